"""Formatting filters for the dashboard: metric values, changes, sparkline geometry.

Metric values go through the one formatter of :mod:`core.metrics`, so a megabyte on a page is
the megabyte of an alert message (1,000,000 B) and a missing value is ``—``.
"""

import math
from typing import Any

from django import template

from core.metrics import Unit, UnknownMetric, format_in, is_known, unit_of
from core.metrics.units import UNITS

register = template.Library()

SPARK_WIDTH = 100
SPARK_HEIGHT = 24


def _unit(name_or_unit: str) -> Unit:
    """The unit of a metric name (``lcp``, ``host.cdn.example.com.transfer_bytes``), or the
    unit called ``name_or_unit`` (``ms``, ``bytes``, ``count``, ``score``) where a template
    only knows a unit. Raises UnknownMetric for anything else, so a typo fails loudly."""
    if is_known(name_or_unit):
        return unit_of(name_or_unit)
    if name_or_unit in UNITS:
        return UNITS[name_or_unit]
    raise UnknownMetric(name_or_unit)


def _measured(value: Any) -> float | None:
    """``value`` as a number, or None when it was not measured: None, a key the document
    lacks (the template engine passes ``""``), or anything that is not a finite number."""
    if value is None or isinstance(value, bool | str | bytes):
        return None
    try:
        number = float(value)  # int, float, Decimal, numpy numbers
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


@register.filter
def metric(value: Any, name_or_unit: str) -> str:
    """``1234.5|metric:"lcp"`` → ``"1,234 ms"``, ``1000000|metric:"bytes"`` → ``"1.0 MB"``;
    ``—`` for a value that was not measured (absent, null, not a number)."""
    return format_in(_unit(name_or_unit), _measured(value))


@register.filter
def metric_change(value: Any, name_or_unit: str) -> str:
    """A difference, signed: ``40|metric_change:"lcp"`` → ``"+40 ms"``; ``—`` when unknown."""
    return format_in(_unit(name_or_unit), _measured(value), signed=True)


@register.filter
def signed_pct(value: float | None) -> str:
    """``12.34`` → ``"+12.3%"``; None → ``""``."""
    if value is None:
        return ""
    rounded = round(value, 1)
    return "0.0%" if rounded == 0 else f"{rounded:+.1f}%"


@register.filter
def change_class(value: float | None) -> str:
    """CSS class for a change where up is worse (times, bytes): worse, better or same."""
    if value is None or abs(value) < 5:
        return "same"
    return "worse" if value > 0 else "better"


@register.filter
def spark_points(values: list[float | None]) -> str:
    """SVG polyline points for a sparkline (SPARK_WIDTH x SPARK_HEIGHT), skipping gaps."""
    known = [v for v in values if v is not None]
    if len(values) < 2 or not known:
        return ""
    low, high = min(known), max(known)
    spread = (high - low) or 1.0
    step = SPARK_WIDTH / (len(values) - 1)
    return " ".join(
        f"{i * step:.1f},{SPARK_HEIGHT - 2 - (v - low) / spread * (SPARK_HEIGHT - 4):.1f}"
        for i, v in enumerate(values)
        if v is not None
    )
