"""Units of measure and the one formatter every surface uses to print a metric value.

Sizes are decimal (1 kB = 1,000 B, 1 MB = 1,000,000 B), as browsers' developer tools and
Lighthouse print them. Times are milliseconds with a thousands separator. A value that was not
measured is ``—`` everywhere: absent is not zero.
"""

from dataclasses import dataclass

MISSING = "—"


@dataclass(frozen=True)
class Unit:
    """A unit of measure: its symbol and the smallest change worth reporting by default."""

    name: str
    symbol: str
    min_effect: float
    signed: bool = False  # values may be negative (a page's own numbers, a backend's series)


MS = Unit("ms", "ms", 50.0)
BYTES = Unit("bytes", "B", 1024.0)
COUNT = Unit("count", "", 1.0)
SCORE = Unit("score", "", 0.01)
# A number a page or a backend reports (``custom.*``, ``backend.*``): no unit Perfite knows,
# so no absolute minimum effect (a comparison's relative one applies) and any sign.
NUMBER = Unit("number", "", 0.0, signed=True)
UNITS = {unit.name: unit for unit in (MS, BYTES, COUNT, SCORE, NUMBER)}

_SIZES = ((1_000_000_000, "GB"), (1_000_000, "MB"), (1_000, "kB"))


def _sign(value: float) -> str:
    return "+" if value > 0 else "-" if value < 0 else "±"


def format_in(unit: Unit, value: float | None, *, signed: bool = False) -> str:
    """``value`` printed in ``unit``: ``1,235 ms``, ``1.2 MB``, ``0.125``, ``12``; ``—`` if None.

    ``signed`` prints a change: ``+40 ms``, ``-1.5 kB``, ``±0 ms``.
    """
    if value is None:
        return MISSING
    number = float(value)
    prefix = _sign(number) if signed else ("-" if number < 0 else "")
    magnitude = abs(number)
    if unit is MS:
        return f"{prefix}{magnitude:,.0f} ms"
    if unit is BYTES:
        for size, symbol in _SIZES:
            if magnitude >= size:
                return f"{prefix}{magnitude / size:,.1f} {symbol}"
        return f"{prefix}{magnitude:,.0f} B"
    if unit is SCORE:
        return f"{prefix}{magnitude:.3f}"
    if magnitude == int(magnitude):
        return f"{prefix}{int(magnitude):,}"
    if unit is NUMBER:
        return f"{prefix}{magnitude:,.3f}".rstrip("0")
    return f"{prefix}{magnitude:,.1f}"
