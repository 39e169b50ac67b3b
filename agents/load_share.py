"""One agent's share of one stage of a load test, from its claim to its last report.

The share warms a browser of its own (a pool made for it, closed when it ends: a finished or
cancelled share leaves no browser and no context behind) with one unmeasured journey,
reports ``ready`` with the agent's memory before any user starts, and waits until the
server says ``go`` (every share of the stage is ready) or ``stop``. Then its users run
(agents.virtual_users) while this thread reports, every ``report_every`` seconds, the
iterations they finished and a sample of the agent's own CPU and memory (agents.usage). The
server's answer to each report says whether to stop (the test was cancelled or failed): the
users stop within a second. A last ``done`` report carries what is left and, when the share
ended early, why.

A load test never runs unwatched: when the server cannot be reached for
``PERFITE_LOAD_SILENT_AFTER_S`` seconds, the users stop. A report the server may have
received without its answer coming back is sent again with the same batch number, which the
server takes once.
"""

import logging
import threading
import time
from datetime import UTC, datetime
from typing import Any

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings

from agents.delivery import Delivery, DeliveryError, DeliveryRefused
from agents.pool import BrowserPool
from agents.usage import Meter, agent_root
from agents.virtual_users import Users

log = logging.getLogger(__name__)

READY_POLL_S = 0.25


class _Reporter:
    """Sends the share's reports (numbered batches) and keeps what did not get through."""

    def __init__(self, delivery: Delivery, agent: str, share: int, meter: Meter) -> None:
        self.delivery = delivery
        self.agent = agent
        self.share = share
        self.meter = meter
        self.batch = 0
        self.pending: list[dict[str, Any]] = []
        self.samples: list[dict[str, Any]] = []
        self.last_answer = time.monotonic()

    def sample(self, users: int) -> None:
        taken = self.meter.sample()
        self.samples.append(
            {
                "at": datetime.now(UTC).isoformat(),
                "cpu_percent": taken.cpu_percent,
                "pss_bytes": taken.pss_bytes,
                "users": users,
            }
        )

    def send(self, phase: str, iterations: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
        """Report ``phase`` with ``iterations`` (and those an earlier report could not
        deliver); the server's answer, or ``{}`` when it could not be reached. Raises
        DeliveryRefused when the server refuses the share for good."""
        self.pending += iterations
        body = {
            "batch": self.batch + 1,
            "phase": phase,
            "iterations": self.pending,
            "samples": self.samples,
            **extra,
        }
        try:
            answer = self.delivery.report_share(self.share, self.agent, body)
        except DeliveryRefused:
            raise
        except DeliveryError as exc:
            log.warning("share %s: report not delivered (%s); sent again", self.share, exc)
            return {}
        self.batch += 1
        self.pending, self.samples = [], []
        self.last_answer = time.monotonic()
        return answer

    @property
    def silent_for(self) -> float:
        return time.monotonic() - self.last_answer


def run_share(claim: dict[str, Any], delivery: Delivery, agent: str) -> str:
    """Run the share ``claim`` describes (the server's answer to the claim: ``share``,
    ``users``, ``first_user``, ``kind``, ``seconds`` or ``iterations``, ``spec``,
    ``report_every``, ``start_within``) and report it; returns how it ended: ``done``,
    ``stopped`` (told to, or the server went silent) or ``failed`` (the browser would not
    start or died)."""
    pool = BrowserPool(settings.PERFITE_BROWSER_PATH)
    users = Users(
        pool,
        claim["spec"],
        users=int(claim["users"]),
        first_user=int(claim.get("first_user") or 0),
        kind=str(claim["kind"]),
        seconds=claim.get("seconds"),
        iterations=claim.get("iterations"),
    )
    reporter = _Reporter(delivery, agent, int(claim["share"]), Meter(agent_root()))
    every = float(claim.get("report_every") or 1.0)
    outcome = "done"
    try:
        try:
            pool.call(users.warm)
            pool.call(users.rehearse)
        except Exception as exc:  # noqa: BLE001 - reported, and the test fails saying why
            users.stop(f"the browser did not start: {type(exc).__name__}: {exc}")
            return _finish(reporter, users, "failed")
        if not _wait_for_go(reporter, users, float(claim.get("start_within") or 180)):
            return _finish(reporter, users, "failed" if users.failure else "stopped")
        try:
            outcome = _run(pool, users, reporter, every)
        except SoftTimeLimitExceeded:  # the task's limit, from the stage's length: say so
            users.stop("the share ran past its time limit")
            outcome = "failed"
    finally:
        users.stop()
        pool.close()  # the browser, its contexts and the Playwright driver go with it
    return _finish(reporter, users, outcome)


def _wait_for_go(reporter: _Reporter, users: Users, within: float) -> bool:
    """Report ``ready`` (with the agent's memory before any user starts) until the server
    says go (True) or stop, or ``within`` seconds pass (False)."""
    baseline = reporter.meter.sample().pss_bytes
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        answer = reporter.send("ready", [], baseline_pss_bytes=baseline)
        if answer.get("stop"):
            return False
        if answer.get("go"):
            return True
        time.sleep(READY_POLL_S)
    users.stop(f"the server did not start the stage within {within:g} s")
    return False


def _run(pool: BrowserPool, users: Users, reporter: _Reporter, every: float) -> str:
    """Run the users on the pool's thread while reporting from this one; how it ended."""
    crashed: list[BaseException] = []

    def work() -> None:
        try:
            pool.call(users.run)
        except BaseException as exc:  # reported as the share's failure
            crashed.append(exc)

    thread = threading.Thread(target=work, name="perfite-virtual-users", daemon=True)
    thread.start()
    reporter.sample(0)  # starts the CPU interval at go
    reporter.samples.clear()
    stopped = False
    while thread.is_alive():
        thread.join(every)
        reporter.sample(users.running)
        answer = reporter.send("running", users.drain())
        if answer.get("stop") and not users.stopped:
            stopped = True
            users.stop()
        if reporter.silent_for > settings.PERFITE_LOAD_SILENT_AFTER_S and not users.stopped:
            stopped = True
            users.stop(f"the server was unreachable for {reporter.silent_for:.0f} s")
    if crashed:
        users.stop(f"the virtual users stopped: {type(crashed[0]).__name__}: {crashed[0]}")
    if users.failure:
        return "failed" if not stopped else "stopped"
    return "stopped" if stopped else "done"


def _finish(reporter: _Reporter, users: Users, outcome: str) -> str:
    """Send the last report (``done``, with what is left and the failure if any), trying for
    as long as the server may be silent; returns ``outcome``."""
    deadline = time.monotonic() + settings.PERFITE_LOAD_SILENT_AFTER_S
    rest = users.drain()
    while True:
        try:
            answer = reporter.send("done", rest, outcome=outcome, error=users.failure)
        except DeliveryRefused as exc:
            log.error("share %s: last report refused: %s", reporter.share, exc)
            return outcome
        if answer or time.monotonic() > deadline:
            return outcome
        rest = []
        time.sleep(1)
