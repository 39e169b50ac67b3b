"""Measuring a spec, whatever its shape: one page (agents.browser) or actors (agents.actors).

The agent's task and ``manage.py measure`` measure through here; both kinds give the same
Measurement (a result document, a HAR, a screenshot and a filmstrip).
"""

from typing import Any

from agents.actors import measure_actors
from agents.browser import BrowserPool, Measurement
from agents.browser import measure as measure_page


def measure(spec: dict[str, Any], pool: BrowserPool) -> Measurement:
    """Measure ``spec`` (core.spec) with ``pool``'s warm browser: its actors when it has some,
    else its page (agents.browser.measure says what is raised)."""
    if spec.get("actors"):
        return measure_actors(spec, pool)
    return measure_page(spec, pool)
