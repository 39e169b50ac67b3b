"""A load test's stages: each shared among the live agents, watched, and moved on.

How N maps to agents: a stage's N users are split among the live agents of the location
that serve the scenario's browser, in proportion to the virtual users each announced it
holds (core.load.plan.split_users); each agent's part is a share, sent as one
``run_load_share`` task to the location's now-queue for that browser (agents take those
before their scheduled runs). Any agent of the location may receive it; the claim gives it
to the agent it was planned for, and the others put it back on the queue. An agent runs its
share in one worker process, its users sharing one browser.

A stage starts when all its shares are claimed (each agent's first report is answered "go"
then), and ends when every share has reported done; the next stage is then shared out
afresh among the agents live at that moment. :func:`advance` moves a test on and fails it,
saying why, when a share is not taken within ``PERFITE_LOAD_START_TIMEOUT_S``, an agent stops
reporting for ``PERFITE_LOAD_SILENT_AFTER_S``, or an agent's share failed. It is idempotent
and cheap: the agents' last reports, beat's ``watch_load_tests`` and every read through the
API call it.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from core.load.plan import PlanError, capacity_refusal, split_users
from core.queues import now_queue
from perfite.celery import app
from scenarios.models import LoadShare, LoadTest

log = logging.getLogger(__name__)

SHARE_TASK = "agents.tasks.run_load_share"
# Beyond a stage's own length, the time a share may take: a journey under way when the stage
# ends, the last report, and a margin.
SHARE_MARGIN_S = 120


def share_time_limit(test: LoadTest) -> int:
    """Seconds a share of ``test`` may run in its worker before Celery stops it: the wait for
    its start, the stage (its seconds, or its iterations each as long as a run may last),
    and SHARE_MARGIN_S."""
    run_s = int(test.spec.get("run_timeout_ms", 120_000)) // 1000
    length = (test.seconds or 0) + run_s if test.seconds else (test.iterations or 1) * run_s
    return settings.PERFITE_LOAD_START_TIMEOUT_S + length + SHARE_MARGIN_S


def _send(share_ids: list[int], queue: str, limit: int) -> None:
    for share_id in share_ids:
        try:
            app.send_task(
                SHARE_TASK,
                args=[share_id],
                queue=queue,
                soft_time_limit=limit,
                time_limit=limit + 30,
                expires=settings.PERFITE_LOAD_START_TIMEOUT_S + 60,
            )
        except Exception as exc:  # broker down: the share is not taken, and the watch fails it
            log.warning("could not send share %s to %s: %s", share_id, queue, exc)


def start_stage(test: LoadTest, index: int) -> list[LoadShare]:
    """Share stage ``index`` of ``test`` among its location's live agents and send the shares
    once the transaction commits (inside one). Raises PlanError, with the numbers, when the
    live agents no longer hold the stage."""
    users = int(test.stages[index])
    capacity = test.location.load_capacity(test.browser)
    try:
        parts = split_users(users, capacity)
    except PlanError:
        where = f"{test.location.name} with {test.browser}"
        raise PlanError(capacity_refusal(users, capacity, where)) from None
    shares, first = [], 0
    for agent, count in sorted(parts.items()):
        shares.append(
            LoadShare.objects.create(
                load_test=test, stage=index, agent_name=agent, users=count, first_user=first
            )
        )
        first += count
    now = timezone.now()
    test.stage = index
    test.status = LoadTest.RUNNING
    test.started_at = test.started_at or now
    test.save(update_fields=["stage", "status", "started_at"])
    ids, limit = [s.pk for s in shares], share_time_limit(test)
    queue = now_queue(test.location.name, test.browser)
    transaction.on_commit(lambda: _send(ids, queue, limit))
    return shares


def settle(test: LoadTest, status: str, error: str = "") -> None:
    """End ``test`` with ``status`` (done, cancelled, failed) and ``error``, keeping its
    report as it stands (its running shares are told to stop at their next report)."""
    from scenarios.load.report import load_report

    test.status = status
    test.error = error[:2000]
    test.finished_at = timezone.now()
    test.report = load_report(test)
    test.save(update_fields=["status", "error", "finished_at", "report"])
    test.shares.filter(status=LoadShare.PLANNED).update(
        status=LoadShare.STOPPED, error="never taken: the test ended first"
    )


def _why_stuck(test: LoadTest, shares: list[LoadShare]) -> str:
    """Why the running stage cannot go on, "" when it can."""
    now = timezone.now()
    start_by = now - timedelta(seconds=settings.PERFITE_LOAD_START_TIMEOUT_S)
    silent_since = now - timedelta(seconds=settings.PERFITE_LOAD_SILENT_AFTER_S)
    stage = test.stage + 1
    for share in shares:
        if share.status == LoadShare.FAILED:
            return f"stage {stage}: agent {share.agent_name} failed: {share.error}"
        if share.status == LoadShare.STOPPED:
            return f"stage {stage}: agent {share.agent_name} stopped: {share.error}"
        if share.status == LoadShare.PLANNED and share.created_at < start_by:
            return (
                f"stage {stage}: the share of {share.users} users planned for agent "
                f"{share.agent_name} was not taken within "
                f"{settings.PERFITE_LOAD_START_TIMEOUT_S} s (is the agent busy, or gone?)"
            )
        last = share.reported_at or share.claimed_at
        if share.status in (LoadShare.CLAIMED, LoadShare.RUNNING) and last and last < silent_since:
            return (
                f"stage {stage}: agent {share.agent_name} stopped reporting "
                f"{(now - last).total_seconds():.0f} s ago"
            )
    return ""


def advance(test_id: int) -> LoadTest:
    """Move the test on by what its shares say, and return it: fail it when its running stage
    is stuck (:func:`_why_stuck`), start the next stage when every share of this one is done,
    settle it done after the last. A settled test is returned unchanged."""
    with transaction.atomic():
        test = LoadTest.objects.select_for_update().select_related("location").get(pk=test_id)
        if test.is_settled or test.stage < 0:
            return test
        shares = list(test.shares.filter(stage=test.stage))
        if why := _why_stuck(test, shares):
            settle(test, LoadTest.FAILED, why)
        elif shares and all(s.status == LoadShare.DONE for s in shares):
            if test.stage + 1 < len(test.stages):
                try:
                    start_stage(test, test.stage + 1)
                except PlanError as exc:
                    settle(test, LoadTest.FAILED, f"stage {test.stage + 2}: {exc}")
            else:
                settle(test, LoadTest.DONE)
    return test


def cancel(test_id: int, reason: str) -> LoadTest:
    """Cancel the test (``error`` says why): its users stop at their agents' next report,
    within seconds, and a share not yet taken never starts. A settled test is returned
    unchanged."""
    with transaction.atomic():
        test = LoadTest.objects.select_for_update().select_related("location").get(pk=test_id)
        if not test.is_settled:
            settle(test, LoadTest.CANCELLED, reason)
    return test


def watch_all() -> int:
    """:func:`advance` every unsettled test (beat's tick); returns how many there were."""
    ids = list(LoadTest.objects.exclude(status__in=LoadTest.SETTLED).values_list("pk", flat=True))
    for test_id in ids:
        advance(test_id)
    return len(ids)
