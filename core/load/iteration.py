"""One iteration of a virtual user: the few numbers an agent sends for it, and the check the
server makes of what it receives. Pure.

An iteration is a whole measurement (``agents.browser.measure``), but a load test keeps
neither its HAR nor its result document: only its status, its duration and its values, the
page metrics, the named metrics and the measured steps of its result document, by the
vocabulary of ``core.stats.budgets.metric_values`` (``lcp``, ``user.checkout_ready``,
``step.send.duration_ms`` …). The splits (parties, hosts, entities, content classes) are
left out: hundreds of iterations a minute would carry them for a report that does not use
them.
"""

import math
from collections.abc import Mapping
from typing import Any

from core.stats.budgets import is_group_metric, metric_values

STATUSES = ("succeeded", "failed", "timed_out")
MAX_VALUES = 400
MAX_ERROR = 500
MAX_NAME = 200


class IterationError(ValueError):
    """A reported iteration is not what an agent sends; the message says what is wrong."""


def iteration_values(result: Mapping[str, Any]) -> dict[str, float]:
    """The values an iteration keeps of its result document (see the module docstring);
    absent metrics stay absent."""
    return {
        name: value for name, value in metric_values(result).items() if not is_group_metric(name)
    }


def iteration(
    result: Mapping[str, Any], *, user: int, started_at: str, duration_ms: float
) -> dict[str, Any]:
    """What an agent reports of one iteration of virtual user ``user`` that began at
    ``started_at`` (ISO 8601) and lasted ``duration_ms`` (the whole journey, as the user
    lived it: context, steps, network quiet and close)."""
    return {
        "user": user,
        "started_at": started_at,
        "duration_ms": round(duration_ms, 1),
        "status": result.get("status"),
        "error": str(result.get("error") or "")[:MAX_ERROR],
        "values": iteration_values(result),
    }


def _name(name: Any) -> bool:
    """A metric name as a result document's keys hold them: text of 1 to MAX_NAME printable
    characters."""
    return isinstance(name, str) and 0 < len(name) <= MAX_NAME and name.isprintable()


def _finite(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def check_iteration(item: Any) -> dict[str, Any]:
    """``item`` as the server keeps it (the error cut to MAX_ERROR characters); raises
    IterationError when it is not an iteration: a user that is not a whole number from 0, a
    duration that is not a finite number from 0, an unknown status, a start that is not
    text, values that are not an object of metric names → finite numbers (at most
    MAX_VALUES)."""
    if not isinstance(item, Mapping):
        raise IterationError("an iteration is an object")
    user = item.get("user")
    if isinstance(user, bool) or not isinstance(user, int) or user < 0:
        raise IterationError("user must be a whole number from 0")
    duration: Any = item.get("duration_ms")
    if not _finite(duration) or duration < 0:
        raise IterationError("duration_ms must be a finite number from 0")
    if item.get("status") not in STATUSES:
        raise IterationError(f"status must be one of {', '.join(STATUSES)}")
    started = item.get("started_at")
    if not isinstance(started, str) or not started:
        raise IterationError("started_at must be an ISO 8601 time")
    values = item.get("values")
    if not isinstance(values, Mapping) or len(values) > MAX_VALUES:
        raise IterationError(f"values must be an object of at most {MAX_VALUES} metrics")
    for name, value in values.items():
        if not _name(name) or not _finite(value):
            raise IterationError(f"values: {name!r} is not a metric name with a finite number")
    error = item.get("error") or ""
    if not isinstance(error, str):
        raise IterationError("error must be text")
    return {
        "user": user,
        "started_at": started,
        "duration_ms": float(duration),
        "status": item["status"],
        "error": error.replace("\x00", "")[:MAX_ERROR],
        "values": {str(k): float(v) for k, v in values.items()},
    }
