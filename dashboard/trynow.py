""" "Try it now": measure a scenario once from the web process, without waiting for a worker.

One trial at a time per process (a browser is heavy): ``start_trial`` creates a manual Run
and measures it on a background thread, which stores the result like an agent delivery
would. The browser work runs on the pool's own Playwright thread (agents.browser), so this
thread may use the ORM. A second trial while one runs is refused, not queued.
"""

import logging
import threading
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import connection
from django.utils import timezone

from scenarios.models import Run, Scenario

log = logging.getLogger(__name__)

_busy = threading.Lock()
_pool: Any = None
_pool_lock = threading.Lock()


def default_pool() -> Any:
    """This process's trial browser pool, started on first use."""
    global _pool
    with _pool_lock:
        if _pool is None:
            from agents.browser import BrowserPool

            _pool = BrowserPool(settings.PERFITE_BROWSER_PATH)
        return _pool


pool_factory: Callable[[], Any] = default_pool
"""Where trials get their browser pool; tests point it at their warm pool."""


class TrialBusy(RuntimeError):
    """Another trial is still running in this process."""


def start_trial(scenario: Scenario) -> Run:
    """Create a manual run of ``scenario`` and measure it in the background; return the run.

    The run is on the scenario's first location (none when it has none) and ends
    succeeded/failed/timed_out like any run; an unexpected error marks it failed with the
    error text. Raises TrialBusy when a trial is already running.
    """
    if not _busy.acquire(blocking=False):
        raise TrialBusy("a trial run is already in progress; try again in a moment")
    try:
        location = scenario.locations.order_by("name").first()
        run = Run.objects.create(
            scenario=scenario,
            location=location,
            kind=Run.KIND_MANUAL,
            status=Run.RUNNING,
            started_at=timezone.now(),
            attempts=1,
            agent_name="dashboard trial",
        )
        thread = threading.Thread(target=_measure, args=(run.pk,), name=f"trial-{run.pk}")
        thread.daemon = True
        thread.start()
    except BaseException:
        _busy.release()
        raise
    return run


def _measure(run_id: int) -> None:
    from agents.browser import InfrastructureError, measure
    from scenarios.runs.store import store_result

    try:
        run = Run.objects.select_related("scenario", "location").get(pk=run_id)
        try:
            measurement = measure(run.spec(), pool_factory())
        except InfrastructureError:
            _discard_default_pool()  # a crashed browser: the next trial starts a fresh one
            raise
        store_result(
            run_id,
            measurement.result,
            measurement.har,
            agent_name="dashboard trial",
            screenshot=measurement.screenshot,
        )
    except Exception as exc:  # a trial must always end; the run page shows why it failed
        log.exception("trial run %s failed", run_id)
        Run.objects.filter(pk=run_id, result__isnull=True).update(
            status=Run.FAILED, error=f"trial failed: {exc}"[:2000], finished_at=timezone.now()
        )
    finally:
        connection.close()  # this thread's connection is never reused
        _busy.release()


def _discard_default_pool() -> None:
    global _pool
    with _pool_lock:
        pool, _pool = _pool, None
    if pool is not None:
        try:
            pool.close()
        except Exception:  # already dead; nothing more to release
            log.warning("could not close the broken trial browser pool")


def busy() -> bool:
    """True while a trial runs in this process."""
    return _busy.locked()
