"""The measuring machine: Celery agents that drive a headless browser and deliver results.

Only ``agents.browser`` imports Playwright. The server never imports this package: it sends
``run_scenario`` by name to a location's queue, and an agent answers with a result document.
"""
