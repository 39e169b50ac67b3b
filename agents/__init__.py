"""The measuring machine: Celery agents that drive a headless browser and deliver results.

Only ``agents.browser`` and the engine modules (``agents.engines.<browser>``, one per browser)
import Playwright. The server never imports this package: it sends
``run_scenario`` by name to a location's queue, and an agent answers with a result document.
"""
