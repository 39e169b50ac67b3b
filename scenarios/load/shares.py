"""The agents' side of a load test: claiming a share, and recording its reports.

An agent claims the share its task names: only the agent it was planned for gets it (the
others put the task back on the queue), once. Each report carries a numbered batch of
iterations and samples of the agent's own CPU and memory (taken once: a batch sent again
because its answer was lost is not stored twice) and the share's phase: ``ready`` (the
browser is warm; with the agent's memory before any user starts), ``running``, ``done``
(with ``outcome``: done, stopped or failed, and ``error``). The answer says ``go`` (every
share of the stage is ready: start the users) or ``stop`` (the test was cancelled or
failed, or this stage is over), with the reason.
"""

import math
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from core.load.iteration import IterationError, check_iteration
from scenarios.load import stages
from scenarios.models import LoadIteration, LoadSample, LoadShare, LoadTest

MAX_ITEMS = 5000  # iterations or samples in one report
OUTCOMES = {"done": LoadShare.DONE, "stopped": LoadShare.STOPPED, "failed": LoadShare.FAILED}


class ShareElsewhere(Exception):
    """The share was planned for another agent."""


class ReportRefused(ValueError):
    """The report is not one this agent may send, or not a report; the message says why."""


def claim_share(share_id: int, agent_name: str) -> dict[str, Any] | None:
    """Give share ``share_id`` to ``agent_name`` and return its work (keys in
    agents.load_share.run_share); None when there is nothing to run (no such share, already
    claimed, or its test is over). Raises ShareElsewhere when it is another agent's."""
    with transaction.atomic():
        share = (
            LoadShare.objects.select_for_update(of=("self",))
            .select_related("load_test")
            .filter(pk=share_id)
            .first()
        )
        if share is None or share.load_test.is_settled or share.status != LoadShare.PLANNED:
            return None
        if share.agent_name != agent_name:
            raise ShareElsewhere(f"share {share_id} is planned for agent {share.agent_name}")
        share.status = LoadShare.CLAIMED
        share.claimed_at = timezone.now()
        share.save(update_fields=["status", "claimed_at"])
        test = share.load_test
        return {
            "share": share.pk,
            "load_test": test.pk,
            "stage": share.stage,
            "users": share.users,
            "first_user": share.first_user,
            "kind": test.kind,
            "seconds": test.seconds,
            "iterations": test.iterations,
            "spec": test.spec,
            "report_every": settings.PERFITE_LOAD_REPORT_EVERY,
            "start_within": settings.PERFITE_LOAD_START_TIMEOUT_S,
        }


def _samples(items: Any) -> list[dict[str, Any]]:
    if not isinstance(items, list) or len(items) > MAX_ITEMS:
        raise ReportRefused(f"samples must be a list of at most {MAX_ITEMS}")
    found = []
    for item in items:
        at = parse_datetime(item.get("at", "")) if isinstance(item, dict) else None
        cpu, pss, users = (item.get(k) for k in ("cpu_percent", "pss_bytes", "users"))
        if (
            at is None
            or not isinstance(cpu, int | float)
            or not math.isfinite(cpu)
            or cpu < 0
            or not isinstance(pss, int)
            or pss < 0
            or not isinstance(users, int)
            or users < 0
        ):
            raise ReportRefused(
                "a sample is {at, cpu_percent, pss_bytes, users}: a time, a finite number and "
                "two whole numbers from 0"
            )
        found.append({"at": at, "cpu_percent": float(cpu), "pss_bytes": pss, "users": users})
    return found


def _iterations(items: Any) -> list[dict[str, Any]]:
    if not isinstance(items, list) or len(items) > MAX_ITEMS:
        raise ReportRefused(f"iterations must be a list of at most {MAX_ITEMS}")
    found = []
    for item in items:
        try:
            kept = check_iteration(item)
        except IterationError as exc:
            raise ReportRefused(f"iteration: {exc}") from exc
        started = parse_datetime(kept["started_at"])
        if started is None:
            raise ReportRefused("iteration: started_at must be an ISO 8601 time")
        found.append({**kept, "started_at": started})
    return found


def _store(
    share: LoadShare, iterations: list[dict[str, Any]], samples: list[dict[str, Any]]
) -> None:
    LoadIteration.objects.bulk_create(
        LoadIteration(load_test_id=share.load_test_id, share=share, stage=share.stage, **item)
        for item in iterations
    )
    LoadSample.objects.bulk_create(
        LoadSample(load_test_id=share.load_test_id, share=share, stage=share.stage, **item)
        for item in samples
    )


def _phase(share: LoadShare, report: dict[str, Any]) -> None:
    """Apply the report's phase to the share (unsaved)."""
    phase = report.get("phase")
    if phase == "ready":
        baseline = report.get("baseline_pss_bytes")
        if isinstance(baseline, int) and baseline >= 0 and share.baseline_pss_bytes is None:
            share.baseline_pss_bytes = baseline
    elif phase == "done" and share.status not in LoadShare.ENDED:
        outcome = report.get("outcome", "done")
        if outcome not in OUTCOMES:
            raise ReportRefused(f"outcome must be one of {', '.join(OUTCOMES)}")
        share.status = OUTCOMES[outcome]
        share.error = str(report.get("error") or "")[:2000]
        share.finished_at = timezone.now()
    elif phase not in ("ready", "running", "done"):
        raise ReportRefused("phase must be ready, running or done")


def _answer(share: LoadShare, test: LoadTest) -> dict[str, Any]:
    """Go, stop or wait, for the share's agent (and mark the share running at its go)."""
    if test.is_settled:
        return {"go": False, "stop": True, "reason": f"the load test is {test.status}"}
    if share.stage != test.stage or share.status in LoadShare.ENDED:
        return {"go": False, "stop": True, "reason": "this stage is over"}
    if share.status == LoadShare.CLAIMED:
        waiting = test.shares.filter(stage=share.stage, status=LoadShare.PLANNED).exists()
        if waiting:
            return {"go": False, "stop": False, "reason": "waiting for the stage's other agents"}
        share.status = LoadShare.RUNNING
        share.started_at = timezone.now()
    return {"go": True, "stop": False, "reason": ""}


def record_report(share_id: int, agent_name: str, report: Any) -> dict[str, Any]:
    """Record one report of share ``share_id`` from ``agent_name`` (see the module
    docstring) and answer it. Raises ReportRefused, storing nothing, when the share is not
    this agent's claimed share or the report is malformed."""
    if not isinstance(report, dict):
        raise ReportRefused("a report is a JSON object")
    batch = report.get("batch")
    if isinstance(batch, bool) or not isinstance(batch, int) or batch < 1:
        raise ReportRefused("batch must be a whole number from 1")
    with transaction.atomic():
        share = (
            LoadShare.objects.select_for_update(of=("self",))
            .select_related("load_test")
            .filter(pk=share_id)
            .first()
        )
        if share is None or share.agent_name != agent_name:
            raise ReportRefused(f"share {share_id} is not one of agent {agent_name}'s")
        if share.status == LoadShare.PLANNED:
            raise ReportRefused(f"share {share_id} has not been claimed")
        test = share.load_test
        ended_before = share.status in LoadShare.ENDED
        if batch > share.batch:
            iterations = _iterations(report.get("iterations", []))
            samples = _samples(report.get("samples", []))
            _phase(share, report)
            _store(share, iterations, samples)
            share.batch = batch
        answer = _answer(share, test)
        share.reported_at = timezone.now()
        share.save()
        ended = share.status in LoadShare.ENDED and not ended_before
        if ended and test.is_settled:
            # What came after the end (a cancel) still belongs in the report.
            stages.settle(test, test.status, test.error)
    if ended:
        stages.advance(share.load_test_id)
    return answer
