"""A load test's report from its rows (core.load.report does the arithmetic), and the earlier
load test of the same scenario it is compared with."""

from typing import Any

from django.conf import settings

from core.load.report import Stage, build_report, compare_reports
from scenarios.models import LoadIteration, LoadSample, LoadShare, LoadTest


def _stage(test: LoadTest, index: int, shares: list[LoadShare]) -> Stage:
    """What stage ``index`` recorded; its wall time once every share of it ended."""
    iterations = LoadIteration.objects.filter(load_test=test, stage=index).values(
        "status", "duration_ms", "values"
    )
    samples = [
        {"cpu_percent": cpu, "pss_bytes": pss, "users": users, "agent": agent}
        for cpu, pss, users, agent in LoadSample.objects.filter(
            load_test=test, stage=index
        ).values_list("cpu_percent", "pss_bytes", "users", "share__agent_name")
    ]
    started = [s.started_at for s in shares if s.started_at]
    finished = [s.finished_at for s in shares if s.finished_at]
    seconds = None
    if started and len(finished) == len(shares):
        seconds = (max(finished) - min(started)).total_seconds()
    return Stage(
        users=int(test.stages[index]),
        seconds=seconds,
        iterations=list(iterations),
        samples=samples,
        baselines={
            s.agent_name: s.baseline_pss_bytes for s in shares if s.baseline_pss_bytes is not None
        },
    )


def load_report(test: LoadTest) -> dict[str, Any]:
    """The report (core.load.report.build_report) of every stage that started so far."""
    shares: dict[int, list[LoadShare]] = {}
    for share in test.shares.all():
        shares.setdefault(share.stage, []).append(share)
    started = [i for i in range(len(test.stages)) if shares.get(i)]
    return build_report(
        (_stage(test, index, shares[index]) for index in started),
        metric=test.metric,
        statistic=test.statistic,
        limit=test.limit,
        saturated_cpu=settings.PERFITE_LOAD_SATURATED_CPU,
    )


def current_report(test: LoadTest) -> dict[str, Any]:
    """The stored report of a settled test, else the report so far."""
    return test.report if test.is_settled and test.report is not None else load_report(test)


def earlier(test: LoadTest) -> LoadTest | None:
    """The latest load test of the same scenario, in the same browser, that ran to its end
    before ``test`` was created."""
    return (
        LoadTest.objects.filter(
            scenario_id=test.scenario_id,
            browser=test.browser,
            status=LoadTest.DONE,
            created_at__lt=test.created_at,
        )
        .exclude(pk=test.pk)
        .order_by("-created_at")
        .first()
    )


def comparison(test: LoadTest, report: dict[str, Any]) -> dict[str, Any] | None:
    """``report``'s metric beside the earlier load test's (:func:`earlier`), per number of
    users: ``load_test`` (its id), ``created_at``, ``rows`` (core.load.report.compare_reports);
    None when there is none."""
    before = earlier(test)
    if before is None or before.report is None:
        return None
    return {
        "load_test": before.pk,
        "created_at": before.created_at.isoformat(),
        "rows": compare_reports(report, before.report, test.metric, test.statistic),
    }
