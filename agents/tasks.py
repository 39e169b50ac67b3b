"""The agent's task: run one scenario measurement and deliver it. Thin: ids in, plain calls."""

import logging
import os
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from celery.signals import worker_process_init
from django.conf import settings
from django.utils.text import slugify

# Imported for its side effect: the worker signal handlers that send agent heartbeats.
from agents import heartbeat  # noqa: F401
from agents.delivery import (
    Delivery,
    DeliveryError,
    DeliveryRefused,
    NotYourShare,
    default_delivery,
)
from agents.engines import InfrastructureError
from agents.identity import agent_name
from agents.load_share import run_share
from agents.measuring import measure
from agents.pool import shared_pool
from agents.spool import Spool, start_flusher
from core.browsers import DEFAULT as DEFAULT_BROWSER
from core.result.build import unmeasured_result

log = logging.getLogger(__name__)

# Claim retries 5, 10, 20, 40, then 60 s apart: about ten minutes, past the lost-run cutoff.
CLAIM_RETRIES = 12
# A browser or renderer that fails is retried twice, 5 and 10 s later, in a fresh browser.
BROWSER_RETRIES = 2


def _warm_up() -> None:
    try:
        shared_pool().version()  # launches the browser on the pool's thread
    except Exception as exc:  # the first run reports the same failure as a retryable error
        log.warning("could not warm the browser: %s", exc)


@worker_process_init.connect
def resume_spool(**_: Any) -> None:
    """In each child of an agent: deliver what an earlier life of this agent kept in its
    spool (the spool's lock lets one process of the agent do it)."""
    if os.environ.get("PERFITE_AGENT_NAME"):
        spool = agent_spool(agent_name())
        if spool.items():
            start_flusher(spool, default_delivery(), agent_name())


@worker_process_init.connect
def warm_browser(**_: Any) -> None:
    """In each child of an agent started by ``manage.py agent``: launch its browser now, in
    the background, so the first run does not pay for it. (Never in the parent: children are
    forked from it, and Playwright's threads and pipes do not survive a fork.)"""
    if os.environ.get("PERFITE_AGENT_NAME"):
        threading.Thread(target=_warm_up, name="perfite-warm-browser", daemon=True).start()


@shared_task(
    bind=True,
    name="agents.tasks.run_scenario",
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=CLAIM_RETRIES,
    soft_time_limit=settings.RUN_TASK_SOFT_LIMIT_S,
    time_limit=settings.RUN_TASK_TIME_LIMIT_S,
)
def run_scenario(self: Any, run_id: int, browser_failures: int = 0) -> str:
    """Claim run ``run_id``, measure it, deliver the result. Returns what became of it.

    Page errors are results (status failed / timed_out), not retried. A crashed browser or
    renderer is retried with backoff (``BROWSER_RETRIES`` times, counted in
    ``browser_failures``), and after that the run is delivered failed with the reason. An
    unreachable server is retried for a claim (nothing was measured yet, for up to the
    lost-run cutoff); a finished measurement is never measured again: it waits in the
    agent's spool (agents.spool) until the server takes it. A result the server refuses for
    good becomes a failed run saying why.
    """
    delivery = default_delivery()
    name = agent_name()
    try:
        spec = delivery.claim(run_id, name)
    except DeliveryError as exc:
        retries = self.request.retries
        raise self.retry(
            exc=exc, countdown=min(60, 5 * 2**retries), max_retries=CLAIM_RETRIES
        ) from exc
    if spec is None:
        return "skipped"
    started = now_iso()
    try:
        measurement = measure(spec, shared_pool())
        result, har, shot = measurement.result, measurement.har, measurement.screenshot
        film = measurement.filmstrip
    except (InfrastructureError, SoftTimeLimitExceeded) as exc:
        shared_pool().reset()  # a crashed browser: the retry starts a fresh one
        broke = (
            exc
            if isinstance(exc, InfrastructureError)
            else InfrastructureError(f"run {run_id} exceeded the task time limit")
        )
        if browser_failures < BROWSER_RETRIES:
            raise self.retry(
                exc=broke,
                countdown=5 * 2**browser_failures,
                kwargs={"browser_failures": browser_failures + 1},
            ) from None
        # The last attempt: a failed run saying why, not a run left running until reaped.
        result = failed(spec, started, "the browser failed on every attempt", broke)
        har = shot = film = None
    except Exception as exc:  # noqa: BLE001 - a bug or bad input: a failed run, never a lost one
        log.exception("run %s could not be measured", run_id)
        result = failed(spec, started, "the agent could not measure this run", exc)
        har = shot = film = None
    outcome, refusal = deliver_or_spool(delivery, name, run_id, result, har, shot, film)
    if refusal is not None:  # e.g. a value the database cannot hold: say so on the run
        log.error("run %s: %s", run_id, refusal)
        result = failed(spec, started, "the server refused this run's result", refusal)
        outcome, _ = deliver_or_spool(delivery, name, run_id, result, None, None)
    if outcome == "delivered":
        report_browser_version(delivery, name, result)
        return str(result["status"])
    return outcome


def failed(spec: dict[str, Any], started: str, why: str, exc: BaseException) -> dict[str, Any]:
    """A failed result document saying ``why`` and what went wrong."""
    return unmeasured_result(
        spec, error=f"{why}: {type(exc).__name__}: {exc}", started_at=started, finished_at=now_iso()
    )


def agent_spool(name: str) -> Spool:
    """This agent's spool: its own folder, since each agent's token delivers only its runs."""
    folder = Path(settings.PERFITE_AGENT_SPOOL_DIR) / slugify(name)
    return Spool(folder, settings.PERFITE_AGENT_SPOOL_MAX_BYTES)


def deliver_or_spool(
    delivery: Delivery,
    name: str,
    run_id: int,
    result: dict[str, Any],
    har: dict[str, Any] | None,
    shot: bytes | None,
    film: bytes | None = None,
) -> tuple[str, DeliveryRefused | None]:
    """Deliver; when the server is away keep the measurement in the spool and start its
    flusher. Returns ("delivered" | "spooled" | "dropped" | "refused", the refusal if any)."""
    try:
        delivery.deliver(run_id, result, har, name, shot, filmstrip=film)
    except DeliveryRefused as exc:
        return "refused", exc
    except DeliveryError as exc:
        spool = agent_spool(name)
        if not spool.put(run_id, result, har, shot, film):
            log.error("run %s: the spool is full; its measurement is dropped (%s)", run_id, exc)
            return "dropped", None
        log.warning("run %s: %s; kept in the spool until the server answers", run_id, exc)
        start_flusher(spool, delivery, name)
        return "spooled", None
    return "delivered", None


def now_iso() -> str:
    return datetime.now(UTC).isoformat()


_version_reported = False


def report_browser_version(delivery: Delivery, name: str, result: dict[str, Any]) -> bool:
    """After this process's first run: when ``chromium --version`` cannot tell the heartbeats
    which browser runs (Playwright's own build), report the version the run saw. Returns
    whether a report was sent. Only a Chromium run's version is Chromium's: the runs of
    other browsers are left out (their versions are in the heartbeat's ``browsers``)."""
    global _version_reported
    if _version_reported or (result.get("browser") or DEFAULT_BROWSER) != DEFAULT_BROWSER:
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


# A share of another agent goes back to the queue this often, for about two minutes (the server
# fails the stage when its share is not taken within PERFITE_LOAD_START_TIMEOUT_S anyway).
SHARE_ELSEWHERE_S = 0.2
SHARE_RETRIES = 600


@shared_task(bind=True, name="agents.tasks.run_load_share", max_retries=SHARE_RETRIES)
def run_load_share(self: Any, share_id: int) -> str:
    """Claim share ``share_id`` of a load test's stage and run it (agents.load_share); returns
    how it ended (``skipped`` when there was nothing to run: the test is over). A share
    planned for another agent of the location goes back to the queue; while the server
    cannot be reached, the claim is tried again. The server sets the time limits of each
    share's message from its stage's length."""
    delivery = default_delivery()
    name = agent_name()
    try:
        claim = delivery.claim_share(share_id, name)
    except NotYourShare as exc:
        raise self.retry(exc=exc, countdown=SHARE_ELSEWHERE_S) from None
    except DeliveryRefused as exc:
        log.error("share %s: %s", share_id, exc)
        return "refused"
    except DeliveryError as exc:
        raise self.retry(exc=exc, countdown=2) from exc
    if claim is None:
        return "skipped"
    return run_share(claim, delivery, name)
