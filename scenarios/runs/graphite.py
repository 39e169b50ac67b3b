"""The one module that talks to Graphite: metric names, and delivery of the outbox.

Names (documented in README), with <base> = <root>.<scenario>.<location>.<browser>.<profile>:
  <base>.<metric>                                  page metrics
  <base>.party.<first|third>.<m>                   party splits
  <base>.domain.<host_>.<m>                        per host (dots → _)
  <base>.entity.<entity_>.<m>                      per third-party entity
  <base>.type.<class>.<m>                          per content class
  <base>.step.<step>.duration_ms                   per measured step
  <base>.<named metric>                            user.<name>, request.<name>.<f>, custom.<name>,
                                                   ws.<name>.<f>, backend.<name>, cpu.<m>
  <base>.step.<step>.<named metric>                a step's own
where <root> is <prefix> for scheduled runs (the monitoring series) and <prefix>.<kind> for
every other kind (manual, ci, imported, …), or nothing at all for those with
PERFITE_GRAPHITE_OTHER_KINDS=off; <profile> is the connection and CPU profile the run was
measured under (``native`` when none), so that runs under different conditions never share
a series.
"""

import fcntl
import os
import re
import socket
import struct
import termios
import time
from collections.abc import Iterator
from typing import Any

import graphyte
from django.conf import settings
from django.db import models, transaction

from core import metrics
from core.metrics import CPU, STEP, STEP_SCOPED, UnknownMetric, page_names, split_name
from core.profiles import NATIVE_NAME
from scenarios.models import GraphitePoint, Run

PAGE_METRICS = page_names(graphite=True)
# The splits pushed per member, in path order: the family's node, then its pushed fields.
# Named families are not splits: their values are keys of ``metrics`` (named_paths).
FAMILIES = tuple(
    (family, family.field_names(graphite=True)) for family in metrics.FAMILIES if not family.named
)
_CPU = frozenset(m.name for m in CPU)
_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")
# Points per connection (about 100 KB): each batch is confirmed, or re-sent, as a whole.
BATCH_POINTS = 1000
# How long carbon may take to read a batch and close its side before it counts as unconfirmed.
CONFIRM_TIMEOUT_S = 10.0


def enabled() -> bool:
    return bool(settings.GRAPHITE_HOST)


def node(value: str) -> str:
    """One path component: dots and anything unsafe become underscores."""
    return _UNSAFE.sub("_", value).strip("_") or "_"


def root(kind: str = Run.KIND_SCHEDULED) -> str | None:
    """The path every point of a run of ``kind`` starts with: ``<prefix>`` for scheduled runs,
    ``<prefix>.<kind>`` for the other kinds, None when those are not pushed
    (PERFITE_GRAPHITE_OTHER_KINDS=off). Kept under the prefix so that carbon's retention
    rules for it apply to every kind."""
    prefix = [settings.GRAPHITE_PREFIX] if settings.GRAPHITE_PREFIX else []
    if kind == Run.KIND_SCHEDULED:
        return ".".join(prefix)
    if settings.PERFITE_GRAPHITE_OTHER_KINDS == "off":
        return None
    return ".".join([*prefix, node(kind)])


def base_path(
    scenario: str,
    location: str,
    browser: str,
    profile: str = NATIVE_NAME,
    kind: str = Run.KIND_SCHEDULED,
) -> str | None:
    """``<root>.<scenario>.<location>.<browser>.<profile>`` for a run of ``kind`` measured
    under ``profile``; None when runs of that kind are not pushed."""
    top = root(kind)
    if top is None:
        return None
    parts = [
        node(scenario),
        node(location or "local"),
        node(browser or "chromium"),
        node(profile or NATIVE_NAME),
    ]
    return ".".join([top, *parts] if top else parts)


def metric_paths(base: str, result: dict[str, Any]) -> Iterator[tuple[str, float]]:
    """Every (path, value) a result document yields, values that are null left out."""
    for name in PAGE_METRICS:
        value = result.get("metrics", {}).get(name)
        if value is not None:
            yield f"{base}.{name}", float(value)
    for family, fields in FAMILIES:
        for member, totals in family.members(result):
            # Entities are pushed for third parties only (the documented names).
            if family is metrics.ENTITY and totals.get("party") != "third":
                continue
            for name in fields:
                value = totals.get(name)
                if value is not None:
                    yield f"{base}.{family.graphite_node}.{node(member)}.{name}", float(value)
    # The run's CPU metrics are page metrics (above); a step's are among its own.
    yield from named_paths(base, result.get("metrics") or {}, metrics.NAMED_FAMILIES)
    for member, step in STEP.members(result):
        own = step.get("metrics")
        if isinstance(own, dict):
            step_base = f"{base}.{STEP.graphite_node}.{node(member)}"
            yield from named_paths(step_base, own, STEP_SCOPED, cpu=True)


def named_paths(
    base: str,
    values: dict[str, Any],
    families: tuple[metrics.Family, ...],
    *,
    cpu: bool = False,
) -> Iterator[tuple[str, float]]:
    """(``<base>.<name>``, value) for each metric of ``values`` (a document's or a step's
    ``metrics``) that is a pushed member of one of the named ``families``, or with ``cpu`` a
    CPU metric. A name's dots stay path separators (its members follow core.metrics.names);
    node() still cleans each part, for a document stored before names were checked. Other
    keys, and values that are not numbers, are left out."""
    for name, value in values.items():
        if isinstance(value, bool) or not isinstance(value, int | float):
            continue
        if (cpu and name in _CPU) or _named_member(str(name), families):
            path = ".".join(node(part) for part in str(name).split("."))
            yield f"{base}.{path}", float(value)


def _named_member(name: str, families: tuple[metrics.Family, ...]) -> bool:
    """Whether ``name`` is a member of one of ``families`` whose field is pushed."""
    try:
        parts = split_name(name)
    except UnknownMetric:
        return False
    return parts is not None and parts[0] in families and parts[2].graphite


def points_for_run(run: Any, result: dict[str, Any]) -> Iterator[tuple[str, float, int]]:
    """(path, value, unix seconds) for a stored run; the timestamp is the run's start, the
    browser level the run's browser (the one its scenario asked for). Nothing for a kind
    that is not pushed."""
    when = run.started_at or run.created_at
    base = base_path(
        run.scenario.slug,
        run.location.name if run.location else "",
        # An imported run had no browser of ours: its level is the tool its document names.
        run.browser or result.get("browser", ""),
        run.profile,
        run.kind,
    )
    if base is None:
        return
    stamp = int(when.timestamp())
    for path, value in metric_paths(base, result):
        yield path, value, stamp


def queue_run(run: Any, result: dict[str, Any]) -> int:
    """Queue the points of a stored run in the outbox (inside the caller's transaction).
    Returns how many; nothing when Graphite is off or runs of its kind are not pushed."""
    if not enabled():
        return 0
    points = GraphitePoint.objects.bulk_create(
        GraphitePoint(path=path, value=value, timestamp=stamp)
        for path, value, stamp in points_for_run(run, result)
    )
    return len(points)


def queue_release(release: Any) -> int:
    """Queue a release marker: ``<prefix>.<scenario>.events.release`` = 1 at the release time
    for each of its scenarios (``<prefix>.events.release`` when it covers every scenario).
    Returns the number of points queued; nothing when Graphite is off."""
    if not enabled():
        return 0
    stamp = int(release.time.timestamp())
    prefix = [settings.GRAPHITE_PREFIX] if settings.GRAPHITE_PREFIX else []
    slugs = list(release.scenarios.values_list("slug", flat=True))
    paths = [".".join([*prefix, node(s), "events", "release"]) for s in slugs] or [
        ".".join([*prefix, "events", "release"])
    ]
    GraphitePoint.objects.bulk_create(
        GraphitePoint(path=path, value=1.0, timestamp=stamp) for path in paths
    )
    return len(paths)


def push_outbox(batch_size: int = BATCH_POINTS) -> int:
    """Send queued points to carbon, ``batch_size`` per connection, deleting a batch only once
    carbon has confirmed it (``deliver``). Returns the count delivered.

    Raises OSError at the first batch carbon did not confirm (unreachable, reset, timed out),
    leaving it and the rest queued for the retry, with the reason on the batch's points.
    A batch that was not confirmed may still have reached carbon, in part: it is sent again,
    and carbon keeps one value per (path, timestamp), so a point sent twice lands once.
    """
    sender = graphyte.Sender(settings.GRAPHITE_HOST, port=settings.GRAPHITE_PORT, prefix=None)
    sent = 0
    while True:
        # Each batch is locked while it is sent, so two pushers never send the same points.
        with transaction.atomic():
            batch = list(
                GraphitePoint.objects.select_for_update(skip_locked=True).order_by("id")[
                    :batch_size
                ]
            )
            if not batch:
                return sent
            ids = [p.id for p in batch]
            message = b"".join(sender.build_message(p.path, p.value, p.timestamp) for p in batch)
            try:
                deliver(message)
            except OSError as exc:
                failure = exc
            else:
                GraphitePoint.objects.filter(id__in=ids).delete()
                sent += len(batch)
                continue
        GraphitePoint.objects.filter(id__in=ids).update(
            attempts=models.F("attempts") + 1,
            last_error=(str(failure) or type(failure).__name__)[:500],
        )
        raise failure


def deliver(message: bytes) -> None:
    """Send ``message`` (plaintext protocol lines) to carbon over one connection and return
    once carbon has read all of it; raise OSError when that is not certain.

    The plaintext protocol has no acknowledgement, and ``sendall()`` returning only means the
    bytes reached our kernel. What carbon does give is an orderly close: it reads a connection
    to its end, then closes its side. So the batch is sent, our side shut (SHUT_WR), and the
    connection read until carbon's end. Not confirmed: a reset (carbon died, or closed with
    bytes unread), no end within CONFIRM_TIMEOUT_S, or an end while bytes of ours are still
    unacknowledged (carbon closed before they arrived, and resets them when they do).
    """
    deadline = time.monotonic() + CONFIRM_TIMEOUT_S
    address = (settings.GRAPHITE_HOST, settings.GRAPHITE_PORT)
    with socket.create_connection(address, timeout=CONFIRM_TIMEOUT_S) as sock:
        sock.sendall(message)
        sock.shutdown(socket.SHUT_WR)
        try:
            while sock.recv(4096):  # carbon writes nothing back; what a relay writes is ignored
                if time.monotonic() > deadline:
                    raise TimeoutError
        except TimeoutError:
            raise TimeoutError(
                f"carbon did not close the connection within {CONFIRM_TIMEOUT_S} s of the batch"
            ) from None
        error = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
        if error:
            raise OSError(error, f"carbon closed the connection in error: {os.strerror(error)}")
        if unacknowledged_bytes(sock):
            raise ConnectionAbortedError("carbon closed the connection before it had the batch")


def unacknowledged_bytes(sock: socket.socket) -> int:
    """Bytes sent on ``sock`` that the peer has not acknowledged yet (Linux's SIOCOUTQ, which
    is TIOCOUTQ); 0 on a platform that cannot tell."""
    try:
        raw = fcntl.ioctl(sock.fileno(), termios.TIOCOUTQ, b"\0\0\0\0")
    except OSError:
        return 0
    return int(struct.unpack("i", raw)[0])
