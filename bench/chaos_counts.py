"""What a chaos run left behind, counted from the database, the file storage and the fake
carbon: runs by outcome, missed and doubled schedule slots, and Graphite points expected
(the push code's own names, scenarios.runs.graphite) against those carbon received."""

import re
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db.models import FileField

from bench.chaos_stack import LOCAL, REMOTE, CountingCarbon
from scenarios.models import Run
from scenarios.runs.graphite import points_for_run

SLOT_S = 60


def reason(error: str) -> str:
    """An error made comparable: run ids, counts and addresses as N, the first 110 chars."""
    return re.sub(r"\d+", "N", error.strip().splitlines()[0] if error.strip() else "")[:110]


def count_runs(runs: list[Run]) -> dict[str, Any]:
    """Per location: scheduled, succeeded, failed, timed out, lost, stuck (still queued or
    running), claimed more than once (attempts > 1); and the reasons of each failure and loss."""
    table: dict[str, Counter[str]] = {LOCAL: Counter(), REMOTE: Counter()}
    reasons: Counter[tuple[str, str]] = Counter()
    for run in runs:
        row = table[run.location.name if run.location else LOCAL]
        row["scheduled"] += 1
        status = run.status if run.status in Run.FINISHED else "stuck"
        row[status] += 1
        row["attempts > 1"] += run.attempts > 1
        if status not in (Run.SUCCEEDED,):
            reasons[(status, reason(run.error or run.flagged))] += 1
    return {"table": {k: dict(v) for k, v in table.items()}, "reasons": reasons.most_common()}


def count_slots(runs: list[Run], first: datetime, slots: int, scenarios: int) -> dict[str, int]:
    """Slots every scenario and location should have had (``slots`` a minute apart from
    ``first``) against the runs created: a run belongs to the slot it was created in (at
    most a minute late). Missed: slots with no run; doubled: runs beyond one a slot."""
    seen: Counter[tuple[int, int, int]] = Counter()
    for run in runs:
        slot = int((run.created_at - first).total_seconds() // SLOT_S)
        seen[(run.scenario_id, run.location_id or 0, slot)] += 1
    expected = slots * scenarios
    hit = sum(1 for key in seen if 0 <= key[2] < slots)
    return {
        "expected": expected,
        "runs": len(runs),
        "missed": expected - hit,
        "doubled": sum(n - 1 for n in seen.values()),
        "outside": sum(n for key, n in seen.items() if not 0 <= key[2] < slots),
    }


def count_files(runs: list[Run]) -> dict[str, int]:
    """Files in storage (HARs, screenshots, every file a run keeps) against the ones runs
    point to: a result written twice would leave a second file (storage never overwrites a
    name)."""
    media = Path(settings.MEDIA_ROOT)
    stored = {p.relative_to(media).as_posix() for p in media.rglob("*") if p.is_file()}
    fields = [f.name for f in Run._meta.get_fields() if isinstance(f, FileField)]
    named = {str(value) for run in runs for name in fields if (value := getattr(run, name))}
    return {"files": len(stored), "named by runs": len(named), "extra": len(stored - named)}


def count_points(runs: list[Run], carbon: CountingCarbon) -> dict[str, int]:
    """Graphite points the stored runs yield (points_for_run, as the store queued them)
    against what carbon read: received exactly once with the right value, missing, received
    more than once, with another value, or not expected at all."""
    expected: dict[tuple[str, int], float] = {}
    shared = 0  # two runs on one (path, second): Graphite keeps one, as documented
    stored = [(run, run.result) for run in runs if run.result is not None]
    for run, result in stored:
        for path, value, stamp in points_for_run(run, result):
            shared += (path, stamp) in expected
            expected[(path, stamp)] = value
    received = carbon.points
    once = sum(1 for k, v in expected.items() if received.get(k) == [v])
    return {
        "runs": len(stored),
        "expected": len(expected),
        "exactly once": once,
        "missing": sum(1 for k in expected if k not in received),
        "more than once": sum(1 for k in expected if len(received.get(k, [])) > 1),
        "other value": sum(
            1 for k, v in expected.items() if k in received and v not in received[k]
        ),
        "unexpected": sum(1 for k in received if k not in expected),
        "shared keys": shared,
    }
