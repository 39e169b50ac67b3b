"""Formatting filters for the dashboard: metric values, changes, sparkline geometry."""

from typing import Any

from django import template

register = template.Library()

SPARK_WIDTH = 100
SPARK_HEIGHT = 24


@register.filter
def metric(value: Any, unit: str = "") -> str:
    """``1234.5, "ms"`` → ``"1,235 ms"``; bytes in kB/MB; CLS with 3 decimals; "–" for None."""
    if value is None:
        return "–"
    number = float(value)
    if unit == "B":
        for size, suffix in ((1024 * 1024, "MB"), (1024, "kB")):
            if abs(number) >= size:
                return f"{number / size:,.1f} {suffix}"
        return f"{number:,.0f} B"
    if unit == "ms":
        return f"{number:,.0f} ms"
    if number != int(number):
        return f"{number:,.3f}" if abs(number) < 10 else f"{number:,.1f}"
    return f"{int(number):,}"


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
