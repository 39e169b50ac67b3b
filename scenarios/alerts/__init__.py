"""Alerting: thresholds evaluated after each run, incidents, insights, messages and channels."""
