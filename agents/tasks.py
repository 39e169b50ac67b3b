"""The agent's task: run one scenario measurement and deliver it. Thin: ids in, plain calls."""

import logging
import os
import socket
import threading
from datetime import UTC, datetime
from typing import Any

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from celery.signals import worker_process_init
from django.conf import settings

# Imported for its side effect: the worker signal handlers that send agent heartbeats.
from agents import heartbeat  # noqa: F401
from agents.browser import InfrastructureError, measure
from agents.delivery import Delivery, DeliveryError, default_delivery
from agents.pool import shared_pool
from core.result.build import unmeasured_result

log = logging.getLogger(__name__)


def _warm_up() -> None:
    try:
        shared_pool().version()  # launches the browser on the pool's thread
    except Exception as exc:  # the first run reports the same failure as a retryable error
        log.warning("could not warm the browser: %s", exc)


@worker_process_init.connect
def warm_browser(**_: Any) -> None:
    """In each child of an agent started by ``manage.py agent``: launch its browser now, in
    the background, so the first run does not pay for it. (Never in the parent: children are
    forked from it, and Playwright's threads and pipes do not survive a fork.)"""
    if os.environ.get("PERFITE_AGENT_NAME"):
        threading.Thread(target=_warm_up, name="perfite-warm-browser", daemon=True).start()


def agent_name() -> str:
    return (
        os.environ.get("PERFITE_AGENT_NAME")
        or f"{settings.PERFITE_LOCATION}@{socket.gethostname()}"
    )


@shared_task(
    bind=True,
    name="agents.tasks.run_scenario",
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(InfrastructureError, DeliveryError),
    retry_backoff=5,
    retry_backoff_max=120,
    max_retries=2,
    soft_time_limit=settings.RUN_TASK_SOFT_LIMIT_S,
    time_limit=settings.RUN_TASK_TIME_LIMIT_S,
)
def run_scenario(self: Any, run_id: int) -> str:
    """Claim run ``run_id``, measure it, deliver the result. Returns the run's final status.

    Page errors are results (status failed / timed_out), not retried; a crashed browser or an
    unreachable server raises and is retried with backoff by the decorator.
    """
    delivery = default_delivery()
    name = agent_name()
    spec = delivery.claim(run_id, name)
    if spec is None:
        return "skipped"
    started = now_iso()
    try:
        measurement = measure(spec, shared_pool())
    except InfrastructureError:
        shared_pool().reset()  # a crashed browser: the retry starts a fresh one
        raise
    except SoftTimeLimitExceeded:
        raise InfrastructureError(f"run {run_id} exceeded the task time limit") from None
    except Exception as exc:  # noqa: BLE001 - a bug or bad input: a failed run, never a lost one
        log.exception("run %s could not be measured", run_id)
        failed = unmeasured_result(
            spec,
            error=f"the agent could not measure this run: {type(exc).__name__}: {exc}",
            started_at=started,
            finished_at=now_iso(),
        )
        delivery.deliver(run_id, failed, None, name, None)
        return "failed"
    delivery.deliver(run_id, measurement.result, measurement.har, name, measurement.screenshot)
    report_browser_version(delivery, name, measurement.result)
    return str(measurement.result["status"])


def now_iso() -> str:
    return datetime.now(UTC).isoformat()


_version_reported = False


def report_browser_version(delivery: Delivery, name: str, result: dict[str, Any]) -> bool:
    """After this process's first run: when ``chromium --version`` cannot tell the heartbeats
    which browser runs (Playwright's own build), report the version the run saw. Returns
    whether a report was sent."""
    global _version_reported
    if _version_reported:
        return False
    _version_reported = True
    version = str(result.get("browser_version") or "")
    if not version or heartbeat.browser_version(settings.PERFITE_BROWSER_PATH):
        return False
    try:
        delivery.heartbeat(name, settings.PERFITE_LOCATION, {"browser_version": version})
    except Exception as exc:  # only a detail of the heartbeat: the run itself is delivered
        log.warning("could not report the browser version: %s", exc)
        return False
    return True
