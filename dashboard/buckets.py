"""Time buckets over the runs table: a chart range, its SQL bucket number, and the cache that
keeps the closed buckets' rows.

Every chart point is one SQL bucket, so a series never carries more than ``MAX_POINTS + 1``
points whatever the range: a year of 5-minute runs is 289 points, not 100,000. Closed buckets
are cached for CLOSED_CACHE_S; the current bucket is always read fresh. Works on PostgreSQL
and SQLite (the bucket expression differs).
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.core.cache import cache
from django.db import connection
from django.utils import timezone

MAX_POINTS = 288
CLOSED_CACHE_S = 300
RANGES: dict[str, timedelta] = {
    "24h": timedelta(hours=24),
    "7d": timedelta(days=7),
    "30d": timedelta(days=30),
    "1y": timedelta(days=365),
}
DEFAULT_RANGE = "7d"


def bucket_seconds(span: timedelta) -> int:
    """Width of one bucket so that ``span`` holds at most MAX_POINTS buckets."""
    return max(60, -(-int(span.total_seconds()) // MAX_POINTS))


def bucket_sql(column: str) -> str:
    """SQL for the bucket number of ``column`` (a datetime): its epoch seconds divided by the
    next SQL parameter, rounded down."""
    if connection.vendor == "postgresql":
        # DATE_PART gives a double: much cheaper to divide than EXTRACT's numeric.
        return f"FLOOR(DATE_PART('epoch', {column}) / %s)::bigint"
    # SQLite stores datetimes as ISO text; %% survives Django's placeholder translation.
    return f"CAST(STRFTIME('%%s', {column}) AS INTEGER) / %s"


def fetch(sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
    """Rows of a raw query, with PostgreSQL's numeric results (SUM/AVG of integers, as
    Decimal) turned into floats so that every backend gives the same types."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [
            tuple(float(v) if isinstance(v, Decimal) else v for v in row)
            for row in cursor.fetchall()
        ]


@dataclass
class Window:
    """A chart range ending now: its name, bucket width in seconds, start (aligned down to a
    bucket boundary, so every bucket is whole), end (now) and the current bucket's start."""

    name: str
    start: datetime
    width: int
    end: datetime
    current: datetime

    @classmethod
    def named(cls, name: str, now: datetime | None = None) -> "Window":
        """The window for a range name; unknown names fall back to DEFAULT_RANGE."""
        if name not in RANGES:
            name = DEFAULT_RANGE
        span = RANGES[name]
        width = bucket_seconds(span)
        end = now or timezone.now()
        start = int((end - span).timestamp()) // width * width
        current = int(end.timestamp()) // width * width
        return cls(name, utc_at(start), width, end, utc_at(current))


def utc_at(epoch: int) -> datetime:
    return datetime.fromtimestamp(epoch, tz=UTC)


def closed_and_current(
    key: str, window: Window, query: Callable[[datetime, datetime | None], list[tuple[Any, ...]]]
) -> list[tuple[Any, ...]]:
    """``query(start, end)`` rows for the window: the closed buckets' rows from the cache
    (filled on a miss, kept CLOSED_CACHE_S), the current bucket's rows fresh.

    Only for queries grouped by bucket: closed and current rows never share a bucket. A run
    that finishes after its bucket closed shows up once the cache entry expires.
    """
    full_key = f"dashboard:{key}:{window.width}:{int(window.current.timestamp())}"
    closed = cache.get(full_key)
    if closed is None:
        closed = query(window.start, window.current)
        cache.set(full_key, closed, CLOSED_CACHE_S)
    return list(closed) + query(window.current, None)


def end_clause(column: str, end: datetime | None) -> tuple[str, list[Any]]:
    """``AND column < %s `` and its parameter for a bounded query; nothing when ``end`` is
    None (the current bucket, read up to now)."""
    return ("", []) if end is None else (f"AND {column} < %s ", [end])


def rounded(value: Any, digits: int) -> float | None:
    """A bucket's aggregate as a float with ``digits`` decimals; None stays None (a gap)."""
    return None if value is None else round(float(value), digits)
