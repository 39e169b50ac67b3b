"""Benchmarks: run them with bench/run_all.py (make bench) or one script at a time."""
