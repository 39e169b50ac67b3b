"""The result document (docs/result-document.md) as plain data: validation.

A document that passes can be stored: the bounds here are the database's (integer and bigint
columns, finite floats, no NUL character in any text, real dates), so a run is never left
half-stored by a value the database refuses.
"""

import math
from datetime import datetime
from typing import Any

from core.metrics import (
    ACTOR,
    BYTES,
    COUNT,
    NUMBER,
    STEP,
    TOTALS_FAMILIES,
    Family,
    Unit,
    metric_problem,
    page_names,
    unit_of,
)
from core.profiles import ProfileError, from_spec
from core.visual.filmstrip import document_problem

INT_MAX = 2**31 - 1  # the integer columns (request counts)
BIGINT_MAX = 2**63 - 1  # the bigint columns (bytes)
FLOAT_MAX = 1e15  # far beyond any real time (ms) or score; keeps float columns sane
_LIMITS = {COUNT.name: INT_MAX, BYTES.name: BIGINT_MAX}

STATUSES = ("succeeded", "failed", "timed_out")
_PAGE_NAMES = frozenset(page_names())


class ResultError(ValueError):
    """The result document is malformed; the message names the field."""


def _number_or_none(value: Any, where: str, unit: Unit | None = None) -> None:
    """A number the database can hold for ``unit`` (finite, in range, non-negative unless the
    unit is signed) or null."""
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ResultError(f"{where} must be a number or null, got {type(value).__name__}")
    if isinstance(value, float) and not math.isfinite(value):
        raise ResultError(f"{where} must be a finite number, got {value}")
    limit = _LIMITS.get(unit.name, FLOAT_MAX) if unit is not None else FLOAT_MAX
    low = -limit if unit is not None and unit.signed else 0
    if not low <= value <= limit:
        raise ResultError(f"{where} must be between {low} and {limit}, got {value}")


def _no_nul(value: Any, where: str) -> None:
    """No text anywhere in ``value`` (keys included) may hold a NUL character."""
    stack = [(value, where)]
    while stack:
        item, path = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                raise ResultError(f"{path} holds a NUL character")
        elif isinstance(item, dict):
            for key, inner in item.items():
                if "\x00" in str(key):
                    raise ResultError(f"{path} has a key holding a NUL character")
                stack.append((inner, f"{path}.{key}"))
        elif isinstance(item, list):
            stack.extend((inner, f"{path}[{i}]") for i, inner in enumerate(item))


def _date_or_none(value: Any, where: str) -> None:
    if value is None:
        return
    try:
        datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise ResultError(f"{where} must be an ISO 8601 date and time, got {value!r}") from None


def _totals_map(doc: dict[str, Any], family: Family) -> None:
    """The family's members must be objects whose fields are numbers or null."""
    key = family.document_key
    groups = doc.get(key, {})
    if not isinstance(groups, dict):
        raise ResultError(f"{key} must be an object")
    for name, totals in groups.items():
        if not isinstance(totals, dict):
            raise ResultError(f"{key}.{name} must be an object")
        for field in family.fields:
            _number_or_none(totals.get(field.name), f"{key}.{name}.{field.name}", field.unit)


def validate_result(doc: Any) -> dict[str, Any]:
    """Return ``doc`` if it is a usable result document, else raise ResultError naming the field."""
    if not isinstance(doc, dict):
        raise ResultError("the result document must be a JSON object")
    if doc.get("status") not in STATUSES:
        raise ResultError(f"status must be one of {', '.join(STATUSES)}")
    metrics = doc.get("metrics", {})
    if not isinstance(metrics, dict):
        raise ResultError("metrics must be an object")
    for name, value in metrics.items():
        # Every key is a metric the registry places, so every surface can label, store,
        # push and judge it; a name people gave follows the naming rule (Graphite paths).
        if problem := metric_problem(str(name)):
            raise ResultError(f"metrics.{name}: {problem}")
        _number_or_none(value, f"metrics.{name}", unit_of(str(name)))
    for when in ("started_at", "finished_at"):
        _date_or_none(doc.get(when), when)
    if doc.get("profile") is not None:
        try:
            from_spec(doc["profile"])
        except ProfileError as exc:
            raise ResultError(str(exc)) from None
    _no_nul(doc, "result")
    requests = doc.get("requests", [])
    if not isinstance(requests, list) or not all(isinstance(r, dict) for r in requests):
        raise ResultError("requests must be a list of objects")
    for family in TOTALS_FAMILIES:
        _totals_map(doc, family)
    steps = doc.get("steps", [])
    if not isinstance(steps, list) or not all(isinstance(s, dict) for s in steps):
        raise ResultError("steps must be a list of objects")
    for index, step in enumerate(steps):
        for field in STEP.fields:
            _number_or_none(step.get(field.name), f"steps[{index}].{field.name}", field.unit)
        _named_values(step.get("metrics", {}), f"steps[{index}].metrics")
    _user_timings(doc.get("user_timings", []))
    _actors(doc.get("actors", []))
    errors = doc.get("metric_errors", {})
    if not isinstance(errors, dict):
        raise ResultError("metric_errors must be an object")
    # Reasons are only shown (keyed by the metric they explain): text is all they need to be.
    for name, reason in errors.items():
        if not isinstance(reason, str):
            raise ResultError(f"metric_errors.{name} must be a reason (text)")
    if "filmstrip" in doc and (problem := document_problem(doc["filmstrip"])):
        raise ResultError(f"filmstrip: {problem}")
    return doc


def _actors(actors: Any) -> None:
    """Each actor's part (docs/result-document.md, "Actors"): a name that can start its
    ``actor.<name>.*`` metrics, page metrics in their units, and its splits."""
    if not isinstance(actors, list) or not all(isinstance(a, dict) for a in actors):
        raise ResultError("actors must be a list of objects")
    for index, part in enumerate(actors):
        where = f"actors[{index}]"
        name = part.get("name")
        if not isinstance(name, str) or metric_problem(f"{ACTOR.prefix}.{name}.lcp"):
            raise ResultError(f"{where}.name must be an actor's name")
        metrics = part.get("metrics", {})
        if not isinstance(metrics, dict):
            raise ResultError(f"{where}.metrics must be an object")
        for metric, value in metrics.items():
            if metric not in _PAGE_NAMES:
                raise ResultError(f"{where}.metrics.{metric} is not a page metric")
            _number_or_none(value, f"{where}.metrics.{metric}", unit_of(metric))
        for family in TOTALS_FAMILIES:
            try:
                _totals_map(part, family)
            except ResultError as exc:
                raise ResultError(f"{where}.{exc}") from None


def _named_values(metrics: Any, where: str) -> None:
    """A step's own metrics: known names (``user.x``, ``cpu.script_ms`` …), numbers in their
    units."""
    if not isinstance(metrics, dict):
        raise ResultError(f"{where} must be an object")
    for name, value in metrics.items():
        # Every name a step carries of its own has a family prefix (a dot): not a step field.
        if "." not in str(name) or metric_problem(f"step.s.{name}"):
            raise ResultError(f"{where}.{name} is not a metric a step can have")
        _number_or_none(value, f"{where}.{name}", unit_of(str(name)))


def _user_timings(timings: Any) -> None:
    """Each entry: the page's name, the ``user.*`` metric it gave or null, ``mark`` or
    ``measure``, its page's index and finite times (a measure may end before it starts)."""
    if not isinstance(timings, list) or not all(isinstance(t, dict) for t in timings):
        raise ResultError("user_timings must be a list of objects")
    for index, timing in enumerate(timings):
        where = f"user_timings[{index}]"
        metric, page = timing.get("metric"), timing.get("page")
        if not isinstance(timing.get("name"), str) or timing.get("type") not in ("mark", "measure"):
            raise ResultError(f"{where} needs a name and a type (mark or measure)")
        if metric is not None and not (
            isinstance(metric, str) and metric.startswith("user.") and not metric_problem(metric)
        ):
            raise ResultError(f"{where}.metric must be a user.* metric or null")
        if isinstance(page, bool) or not isinstance(page, int) or page < 0:
            raise ResultError(f"{where}.page must be a page's index")
        for key in ("started_ms", "duration_ms"):
            if timing.get(key) is None:
                raise ResultError(f"{where}.{key} must be a number")
            _number_or_none(timing[key], f"{where}.{key}", NUMBER)
