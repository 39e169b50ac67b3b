"""Backend series: each ``backend_metric`` target's points over a stored run's window, read
from the Graphite render API the operators configure, and their mean kept with the run.

The server does this after the run (``scenarios.runs.tasks.fetch_backend_series``); the agent
never talks to the user's Graphite, and a scenario names targets, never the server they are
read from (``PERFITE_BACKEND_GRAPHITE_URL``). What is written is docs/result-document.md's
contract: ``metrics["backend.<name>"]`` (the mean of the target's non-null points),
``backend[<name>]`` (``target``, ``from``, ``until``, ``points``, ``error``) and, for a series
without a value, the reason in ``metric_errors["backend.<name>"]``.

Graphite's answer is untrusted input: its size, the time it takes and its shape are bounded
and checked, and whatever goes wrong becomes that metric's reason, never an exception for the
run and never a change of its status. (``scenarios.runs.graphite`` pushes to our own carbon;
this module only reads a render API.)
"""

import json
import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import requests
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from core.metrics import BACKEND
from core.result.validate import FLOAT_MAX
from scenarios.models import Run
from scenarios.runs import graphite

MAX_RESPONSE_BYTES = 1_000_000  # a render answer for one run's window is a few kB
MAX_POINTS = 1_000  # non-null points kept per series: a quarter of an hour at one a second
_CHUNK_BYTES = 16_384
UNCONFIGURED = "no Graphite render URL is configured (PERFITE_BACKEND_GRAPHITE_URL)"


class GraphiteUnreachable(Exception):
    """The render API did not answer usefully for now (no connection, a timeout, HTTP 5xx or
    429): the fetch is worth trying again later."""


class BadAnswer(ValueError):
    """The render API answered something that is not one usable series; the text says why."""


class _SlowAnswer(BadAnswer):
    """The body kept coming past the read's deadline (worth trying again)."""


@dataclass(frozen=True)
class Series:
    """One declared target over a run's window: its non-null ``points`` as (unix seconds,
    value) and their ``mean``, or the ``error`` that left it without a value. ``transient``:
    the error may go away when asked again (GraphiteUnreachable's cases)."""

    target: str
    start: int | None
    until: int | None
    points: Sequence[tuple[int, float]] = field(default_factory=tuple)
    error: str | None = None
    transient: bool = False

    @property
    def mean(self) -> float | None:
        if self.error is not None or not self.points:
            return None
        return math.fsum(value for _, value in self.points) / len(self.points)

    def block(self) -> dict[str, Any]:
        """The run's ``backend[<name>]`` object."""
        return {
            "target": self.target,
            "from": self.start,
            "until": self.until,
            "points": [[stamp, value] for stamp, value in self.points],
            "error": self.error,
        }


def declarations(run: Run) -> list[dict[str, str]]:
    """The run's ``backend_metric`` declarations (``name``, ``target``), as the spec carries
    them (``setup["backend"]``). The spec is rebuilt from the scenario, so a script edited
    since the run was measured gives its current declarations."""
    return list(run.spec()["setup"].get("backend") or [])


def window(
    started_at: datetime | None, finished_at: datetime | None, margin_s: int
) -> tuple[int, int] | None:
    """The run's window in unix seconds: the start rounded down and the finish rounded up to
    whole seconds, each moved ``margin_s`` outwards; None without both times. A finish before
    the start (a wrong clock) gives a window of the start's second alone."""
    if started_at is None or finished_at is None:
        return None
    start = math.floor(started_at.timestamp()) - margin_s
    until = math.ceil(finished_at.timestamp()) + margin_s
    return start, max(start, until)


def parse_render(body: bytes) -> list[tuple[int, float]]:
    """The non-null (unix seconds, value) points of a render API ``format=json`` answer
    holding exactly one series, in the answer's order; BadAnswer otherwise.

    Refused: text that is not JSON, anything but a list of one object with ``datapoints``
    (none: the target matches nothing; several: they must be combined in the target), a
    datapoint that is not ``[value or null, integer seconds]``, a value that is not a finite
    number within the stored documents' bounds (NaN, Infinity, 1e300), more than MAX_POINTS
    non-null points.
    """
    try:
        answer = json.loads(body, parse_constant=_no_constant)
    except BadAnswer:
        raise
    except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
        raise BadAnswer("Graphite's answer is not JSON") from None
    if not isinstance(answer, list):
        raise BadAnswer("Graphite's answer is not a list of series")
    if not answer:
        raise BadAnswer("no series matches the target")
    if len(answer) > 1:
        raise BadAnswer(
            f"the target gives {len(answer)} series; combine them into one (e.g. averageSeries(…))"
        )
    series = answer[0]
    datapoints = series.get("datapoints") if isinstance(series, dict) else None
    if not isinstance(datapoints, list):
        raise BadAnswer("Graphite's series has no list of datapoints")
    points: list[tuple[int, float]] = []
    for index, pair in enumerate(datapoints):
        if not isinstance(pair, list) or len(pair) != 2:
            raise BadAnswer(f"datapoint {index} is not a [value, timestamp] pair")
        value, stamp = pair
        if isinstance(stamp, bool) or not isinstance(stamp, int):
            raise BadAnswer(f"datapoint {index} has no integer timestamp")
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise BadAnswer(f"datapoint {index} has a value that is not a number")
        if not -FLOAT_MAX <= value <= FLOAT_MAX:
            raise BadAnswer(f"datapoint {index} has a value beyond ±{FLOAT_MAX:g}")
        if len(points) == MAX_POINTS:
            raise BadAnswer(f"more than {MAX_POINTS} points in the window")
        points.append((stamp, float(value)))
    return points


def _no_constant(name: str) -> None:
    raise BadAnswer(f"Graphite's answer holds {name}, which is not a finite number")


def fetch(base_url: str, target: str, start: int, until: int, timeout_s: float) -> Series:
    """``target``'s series over [start, until] from the render API at ``base_url``; never
    raises for what Graphite does (no answer, an error status, a malformed or oversized
    answer): that is the Series' ``error``.

    The target goes into the query string encoded; redirects are not followed (the URL is
    the operators' to give). Each connection attempt and each read waits at most
    ``timeout_s``, and the body is read for at most ``timeout_s`` in all (checked between
    chunks) and MAX_RESPONSE_BYTES once decompressed.
    """
    query: dict[str, str | int] = {
        "target": target,
        "from": start,
        "until": until,
        "format": "json",
    }

    def failed(reason: str, transient: bool = False) -> Series:
        return Series(target, start, until, error=reason, transient=transient)

    deadline = time.monotonic() + timeout_s
    try:
        with requests.get(
            base_url.rstrip("/") + "/render",
            params=query,
            timeout=(timeout_s, timeout_s),
            stream=True,
            allow_redirects=False,
            headers={"Accept": "application/json", "User-Agent": "Perfite"},
        ) as response:
            status = response.status_code
            body = _read(response, deadline)
    except requests.Timeout:
        return failed(f"Graphite did not answer within {timeout_s:g} s", transient=True)
    except requests.ConnectionError as exc:
        return failed(f"could not reach Graphite ({_reason(exc)})", transient=True)
    except requests.RequestException as exc:
        return failed(f"Graphite's answer could not be read ({_reason(exc)})")
    except BadAnswer as exc:
        return failed(str(exc), transient=isinstance(exc, _SlowAnswer))
    if status != 200:
        detail = _printable(body[:200].decode("utf-8", "replace"))
        return failed(
            f"Graphite answered HTTP {status}" + (f": {detail}" if detail else ""),
            transient=status >= 500 or status == 429,
        )
    try:
        points = parse_render(body)
    except BadAnswer as exc:
        return failed(str(exc))
    if not points:
        return failed("no points in the window")
    return Series(target, start, until, points=tuple(points))


def _read(response: requests.Response, deadline: float) -> bytes:
    """The response's body, decompressed; BadAnswer past MAX_RESPONSE_BYTES, _SlowAnswer
    past ``deadline``."""
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > MAX_RESPONSE_BYTES:
        raise BadAnswer(f"Graphite's answer is larger than {MAX_RESPONSE_BYTES} bytes")
    body = bytearray()
    for chunk in response.iter_content(_CHUNK_BYTES):
        body += chunk
        if len(body) > MAX_RESPONSE_BYTES:
            raise BadAnswer(f"Graphite's answer is larger than {MAX_RESPONSE_BYTES} bytes")
        if time.monotonic() > deadline:
            raise _SlowAnswer("Graphite's answer took too long to arrive")
    return bytes(body)


def _reason(exc: Exception) -> str:
    """The innermost cause's words, without the URL requests puts in its own message."""
    while isinstance(exc.__context__, Exception):
        exc = exc.__context__
    words = exc.strerror if isinstance(exc, OSError) and exc.strerror else ""
    return _printable(f"{type(exc).__name__}: {words}" if words else type(exc).__name__)


def _printable(text: str) -> str:
    """``text`` on one line without control characters (it is stored in the result)."""
    return " ".join("".join(c if c.isprintable() else " " for c in text).split())


def fetch_for_run(run_id: int, *, final: bool = True) -> int:
    """Read every series Run ``run_id`` declares over its window and write them on the run
    (:func:`record`). Returns how many Graphite points were queued for them (our own
    outbox), 0 when there was nothing to do (no such run, no result, no declaration).

    Raises GraphiteUnreachable, writing nothing, when a series failed for a reason that may
    go away and ``final`` is False (the caller tries again later); on the final attempt that
    reason is recorded like any other.
    """
    run = Run.objects.select_related("scenario", "location").filter(pk=run_id).first()
    if run is None or run.result is None:
        return 0
    declared = declarations(run)
    if not declared:
        return 0
    span = window(run.started_at, run.finished_at, settings.PERFITE_BACKEND_MARGIN_S)
    base_url = settings.PERFITE_BACKEND_GRAPHITE_URL
    series: dict[str, Series] = {}
    for item in declared:
        name, target = item["name"], item["target"]
        if span is None:
            series[name] = Series(target, None, None, error="the run has no start or finish time")
        elif not base_url:
            series[name] = Series(target, *span, error=UNCONFIGURED)
        else:
            series[name] = fetch(base_url, target, *span, settings.PERFITE_BACKEND_TIMEOUT_S)
    unreachable = [f"{name}: {s.error}" for name, s in series.items() if s.transient]
    if unreachable and not final:
        raise GraphiteUnreachable("; ".join(unreachable))
    return record(run_id, series)


def record(run_id: int, series: Mapping[str, Series]) -> int:
    """Write ``series`` (name → Series) on Run ``run_id``'s result: the ``backend`` block (the
    declared series only, replacing an earlier one), ``metrics["backend.<name>"]`` for each
    with a value and ``metric_errors["backend.<name>"]`` for each without (the other's key
    removed), creating those objects when absent. Nothing else of the run changes. Queues
    the values for our Graphite like the run's other points and returns how many were
    queued (none when Graphite is off or the run's kind is not pushed)."""
    with transaction.atomic():
        run = (
            Run.objects.select_for_update(of=("self",))
            .select_related("scenario", "location")
            .get(pk=run_id)
        )
        result = dict(run.result or {})
        metrics = dict(result.get("metrics") or {})
        errors = dict(result.get("metric_errors") or {})
        values: dict[str, float] = {}
        for name, one in series.items():
            key = f"{BACKEND.prefix}.{name}"
            mean = one.mean
            if mean is None:
                metrics.pop(key, None)
                errors[key] = one.error or "no points in the window"
            else:
                values[key] = metrics[key] = mean
                errors.pop(key, None)
        result["metrics"] = metrics
        result["metric_errors"] = errors
        result["backend"] = {name: one.block() for name, one in series.items()}
        run.result = result
        run.save(update_fields=["result"])
        return graphite.queue_run(run, {"browser": result.get("browser", ""), "metrics": values})


# A run whose fetch was never queued (the broker was down as it was stored) is found again by
# the periodic sweep once its own fetch would surely have finished (delay plus every retry),
# for as long as its window is likely still in Graphite's finest retention.
SWEEP_AFTER = timedelta(minutes=20)
SWEEP_WITHIN = timedelta(days=1)


def unfetched(limit: int = 50) -> list[int]:
    """Ids of up to ``limit`` stored runs (oldest first) that declare backend series but carry
    no ``backend`` block: their fetch was lost before it ran. Finished between a day and
    twenty minutes ago, so a fetch still waiting for its retries is not taken twice."""
    now = timezone.now()
    candidates = (
        Run.objects.filter(
            status__in=(Run.SUCCEEDED, Run.FAILED, Run.TIMED_OUT),
            finished_at__gte=now - SWEEP_WITHIN,
            finished_at__lte=now - SWEEP_AFTER,
            result__isnull=False,
            scenario__script__icontains="backend",  # the declaration's keyword in both forms
        )
        .exclude(result__has_key="backend")
        .select_related("scenario", "location")
        .order_by("pk")
    )
    found: list[int] = []
    declares: dict[int, bool] = {}
    for run in candidates.iterator():
        if run.scenario_id not in declares:
            declares[run.scenario_id] = bool(declarations(run))
        if declares[run.scenario_id]:
            found.append(run.pk)
            if len(found) >= limit:
                break
    return found
