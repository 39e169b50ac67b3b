"""HAR analysis: every request classified, repaired and summed. Pure functions over plain data.

Playwright's Chromium HARs get some things wrong; the repairs here use data the agent
collected alongside (CDP wire records, Resource and Navigation Timing):
- ``_transferSize``/``bodySize`` can be short when the HAR entry is closed early: the wire
  size comes from CDP ``Network.loadingFinished.encodedDataLength`` when present;
- ``ssl`` is reported on plain http: it is zero unless the URL is https;
- the first document entry lacks dns/connect: they come from Navigation Timing;
- timings of -1 mean "not applicable": zero.
"""

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from core.har.classify import PartyRule, content_class, host_of, registrable_domain

TIMING_KEYS = ("blocked", "dns", "connect", "ssl", "send", "wait", "receive")
Json = dict[str, Any]


def _ms(value: Any) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return 0.0
    return round(number, 1) if number > 0 else 0.0


def epoch_ms(started: str) -> float:
    """HAR ``startedDateTime`` (ISO 8601) as milliseconds since the epoch."""
    return datetime.fromisoformat(started.replace("Z", "+00:00")).timestamp() * 1000.0


def _wire_index(wire: Sequence[Json]) -> dict[str, list[Json]]:
    by_url: dict[str, list[Json]] = defaultdict(list)
    for record in wire:
        by_url[record["url"]].append(record)
    return by_url


def _resource_index(resources: Iterable[Json]) -> dict[str, Json]:
    index: dict[str, Json] = {}
    for entry in resources:
        index.setdefault(entry.get("name", ""), entry)
    return index


def _timings(entry: Json, url: str, nav: Json | None, is_first_document: bool) -> Json:
    raw = entry.get("timings") or {}
    timings = {key: _ms(raw.get(key)) for key in TIMING_KEYS}
    if not url.startswith("https:"):
        timings["ssl"] = 0.0
    if is_first_document and nav:
        timings["dns"] = _ms(nav.get("domainLookupEnd", 0) - nav.get("domainLookupStart", 0))
        timings["connect"] = _ms(nav.get("connectEnd", 0) - nav.get("connectStart", 0))
        secure = nav.get("secureConnectionStart") or 0
        timings["ssl"] = _ms(nav.get("connectEnd", 0) - secure) if secure > 0 else 0.0
        timings["wait"] = _ms(nav.get("responseStart", 0) - nav.get("requestStart", 0))
        timings["receive"] = _ms(nav.get("responseEnd", 0) - nav.get("responseStart", 0))
    return timings


def from_memory_cache(entry: Mapping[str, Any]) -> bool:
    """Whether ``entry`` is a resource the page took from the browser's memory cache, not a
    request: Firefox reports those (status 200, no headers, no body, no wait and no receive
    time) where Chromium reports nothing, and counting them would make one page two sizes
    in two browsers."""
    response, timings = entry.get("response") or {}, entry.get("timings") or {}
    return bool(
        int(response.get("status") or 0) > 0
        and response.get("headersSize") == 0
        and response.get("bodySize") == 0
        and timings.get("wait") == -1
        and timings.get("receive") == -1
    )


def _in_start_order(har: Mapping[str, Any]) -> list[tuple[float, Json]]:
    """(epoch ms, entry) pairs of the requests sorted by start (memory-cache hits left out):
    the order of :func:`analyse_entries` records."""
    return sorted(
        (
            (epoch_ms(e["startedDateTime"]), e)
            for e in har.get("log", {}).get("entries", [])
            if not from_memory_cache(e)
        ),
        key=lambda pair: pair[0],
    )


def repair_har(har: Mapping[str, Any], records: Sequence[Json]) -> Json:
    """A copy of ``har`` carrying the repairs its ``records`` were computed with.

    ``records`` are :func:`analyse_entries`' output for this HAR (the result document's
    ``requests``): each entry gets the record's timings (ssl 0 on http, no -1, the first
    document's from Navigation Timing), ``time`` as their sum, and the wire size as
    ``_transferSize``, so a downloaded HAR agrees with the run's numbers. Entries are put in
    start order, memory-cache hits (which have no record) last and unchanged. When the
    records do not match the entries one to one (by URL), the HAR is returned unchanged.
    """
    timed = _in_start_order(har)
    if len(timed) != len(records) or any(
        entry.get("request", {}).get("url", "") != record.get("url")
        for (_, entry), record in zip(timed, records, strict=True)
    ):
        return dict(har)
    entries = []
    for (_, entry), record in zip(timed, records, strict=True):
        timings = {**(entry.get("timings") or {}), **record["timings"]}
        wire = record["transfer_bytes"]  # None: the browser cannot count it (-1 in a HAR)
        response = {
            **(entry.get("response") or {}),
            "_transferSize": wire if wire is not None else -1,
        }
        entries.append(
            {**entry, "timings": timings, "time": record["duration_ms"], "response": response}
        )
    log = har.get("log") or {}
    entries += [e for e in log.get("entries", []) if from_memory_cache(e)]
    return {**har, "log": {**log, "entries": entries}}


def analyse_entries(
    har: Mapping[str, Any],
    *,
    page_url: str,
    first_party: list[str] | None = None,
    time_origin: float | None = None,
    nav: Json | None = None,
    wire: Sequence[Json] = (),
    resources: Iterable[Json] = (),
) -> list[Json]:
    """One plain record per HAR entry (see docs/result-document.md, ``requests``).

    ``time_origin`` is the epoch ms of the first navigation (``performance.timeOrigin``);
    without it the first entry's start is used. ``wire`` are CDP records in request order
    (``url``, ``encoded_bytes``, ``failed``, ``error``); ``resources`` Resource Timing entries.
    """
    timed = _in_start_order(har)
    if not timed:
        return []
    rule = PartyRule(page_url, first_party)
    origin = time_origin if time_origin is not None else timed[0][0]
    wire_by_url = _wire_index(wire)
    timing_by_url = _resource_index(resources)
    seen_document = False
    records: list[Json] = []
    for started, entry in timed:
        request, response = entry.get("request", {}), entry.get("response", {})
        url = request.get("url", "")
        host = host_of(url)
        resource_type = entry.get("_resourceType", "")
        is_first_document = not seen_document and resource_type == "document"
        seen_document = seen_document or resource_type == "document"
        status = response.get("status", -1)
        wire_record = wire_by_url[url].pop(0) if wire_by_url.get(url) else None
        failure = response.get("_failureText") or (wire_record or {}).get("error")
        failed = bool(status in (-1, 0) or failure or (wire_record or {}).get("failed"))
        content = response.get("content") or {}
        body = max(int(content.get("size") or 0), 0)
        transfer = max(int(response.get("_transferSize") or 0), 0)
        if wire_record and wire_record.get("encoded_bytes", -1) >= 0:
            transfer = int(wire_record["encoded_bytes"])
        if failed:
            body = 0
        if status in (-1, 0):
            # No response: whatever the wire counted was the browser's own error page.
            transfer = 0
        timing_entry = timing_by_url.get(url, {})
        timings = _timings(entry, url, nav, is_first_document)
        records.append(
            {
                "url": url,
                "method": request.get("method", "GET"),
                "host": host,
                "party": rule.party(host),
                "entity": registrable_domain(host) if host else "",
                "content_class": content_class(content.get("mimeType", ""), resource_type, url),
                "content_type": content.get("mimeType", ""),
                "resource_type": resource_type,
                "status": status,
                "body_bytes": body,
                "transfer_bytes": transfer,
                "started_ms": round(started - origin, 1),
                "duration_ms": round(sum(timings.values()), 1),
                "timings": timings,
                "failed": failed,
                "error": failure or None,
                "render_blocking": timing_entry.get("renderBlockingStatus") == "blocking",
            }
        )
    return records


def _blank_totals() -> Json:
    return {
        "requests": 0,
        "failed": 0,
        "body_bytes": 0,
        "transfer_bytes": 0,
        "time_ms": 0.0,
        "blocking_ms": 0.0,
    }


def attribute_blocking(
    long_tasks: Sequence[Json], scripts: Sequence[Json], fcp: float | None
) -> dict[str, float]:
    """Blocking time (task duration beyond 50 ms, after FCP) per script URL.

    Each long task's blocking time goes to the script (from Long Animation Frame script
    entries: ``start``, ``duration``, ``url``) that overlaps it most; none → ``""``.
    """
    blocking: dict[str, float] = defaultdict(float)
    for task in long_tasks:
        start, duration = float(task["start"]), float(task["duration"])
        if fcp is not None and start + duration <= fcp:
            continue
        excess = duration - 50.0
        if fcp is not None and start < fcp:
            excess = min(excess, start + duration - fcp - 50.0)
        if excess <= 0:
            continue
        best, best_overlap = "", 0.0
        for script in scripts:
            s_start = float(script["start"])
            overlap = min(start + duration, s_start + float(script["duration"])) - max(
                start, s_start
            )
            if overlap > best_overlap and script.get("url"):
                best, best_overlap = str(script["url"]), overlap
        blocking[best] += excess
    return dict(blocking)


def summarise(records: Sequence[Json], blocking_by_url: Mapping[str, float] | None = None) -> Json:
    """Totals per party, host, entity and content class (TOTALS in the result document)."""
    blocking_by_url = blocking_by_url or {}
    parties: dict[str, Json] = {"first": _blank_totals(), "third": _blank_totals()}
    hosts: dict[str, Json] = {}
    entities: dict[str, Json] = {}
    classes: dict[str, Json] = {}
    host_of_url = {r["url"]: r for r in records}
    for record in records:
        host = hosts.setdefault(
            record["host"],
            {**_blank_totals(), "party": record["party"], "entity": record["entity"]},
        )
        entity = entities.setdefault(
            record["entity"], {**_blank_totals(), "party": record["party"], "hosts": []}
        )
        if record["host"] not in entity["hosts"]:
            entity["hosts"].append(record["host"])
        if record["party"] == "first":
            entity["party"] = "first"
        klass = classes.setdefault(record["content_class"], _blank_totals())
        for group in (parties[record["party"]], host, entity, klass):
            group["requests"] += 1
            group["failed"] += int(record["failed"])
            group["body_bytes"] += record["body_bytes"]
            group["transfer_bytes"] += record["transfer_bytes"]
            group["time_ms"] = round(group["time_ms"] + record["duration_ms"], 1)
    for url, ms in blocking_by_url.items():
        blocker = host_of_url.get(url)
        if blocker is None:
            continue
        for group in (
            parties[blocker["party"]],
            hosts[blocker["host"]],
            entities[blocker["entity"]],
            classes[blocker["content_class"]],
        ):
            group["blocking_ms"] = round(group["blocking_ms"] + ms, 1)
    return {"parties": parties, "hosts": hosts, "entities": entities, "content_classes": classes}
