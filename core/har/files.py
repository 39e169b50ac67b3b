"""HAR files as plain data: check their shape, keep what analysis reads, gzip them. No ORM,
no I/O (core.har.stream reads them from a stream)."""

import gzip
import json
from typing import Any

from core.har.analyse import epoch_ms


class HarError(ValueError):
    """The upload is not a usable HAR; the message says why."""


def check_log(har: Any) -> list[Any]:
    """The entries of ``har`` when its top level has the HAR 1.2 shape (an object with a
    ``log`` object whose ``entries`` is a list), else raise HarError. Entries unchecked."""
    if not isinstance(har, dict) or not isinstance(har.get("log"), dict):
        raise HarError("not a HAR: the top level must be an object with a 'log' object")
    entries = har["log"].get("entries")
    if not isinstance(entries, list):
        raise HarError("not a HAR: log.entries must be a list")
    return entries


def validate_har(har: Any) -> dict[str, Any]:
    """Return ``har`` when it has the HAR 1.2 shape Perfite relies on, else raise HarError."""
    for index, entry in enumerate(check_log(har)):
        check_entry(index, entry)
    return har  # type: ignore[no-any-return]


def check_entry(index: int, entry: Any) -> float:
    """The start of ``entry`` (the ``index``-th of log.entries) in ms since the epoch, when it
    has the shape Perfite relies on; else raise HarError naming the entry and what is wrong."""
    if not isinstance(entry, dict):
        raise HarError(f"not a HAR: entry {index} is not an object")
    for key in ("request", "response", "startedDateTime"):
        if key not in entry:
            raise HarError(f"not a HAR: entry {index} has no '{key}'")
    if not isinstance(entry["request"], dict) or "url" not in entry["request"]:
        raise HarError(f"not a HAR: entry {index} has no request.url")
    try:
        return epoch_ms(entry["startedDateTime"])
    except (AttributeError, TypeError, ValueError, OverflowError):
        raise HarError(
            f"not a HAR: entry {index} has a startedDateTime that is not an ISO 8601 date"
        ) from None


# What the analysis of an entry reads (core.har.analyse.analyse_entries, and the page an
# import finds): everything else (headers, cookies, bodies) can be dropped before analysis.
_ANALYSED = {
    "request": ("url", "method"),
    "response": ("status", "_failureText", "_transferSize", "content"),
    "content": ("size", "mimeType"),
}


def analysed_part(entry: dict[str, Any]) -> dict[str, Any]:
    """The part of a checked entry that analysis reads: its start, page, type, timings, the
    request's URL and method, and the response's status, sizes, type and failure."""
    slim: dict[str, Any] = {
        k: entry[k]
        for k in ("startedDateTime", "pageref", "_resourceType", "timings")
        if k in entry
    }
    slim["request"] = _pick(entry["request"], "request")
    slim["response"] = _pick(entry["response"], "response")
    if isinstance(slim["response"], dict) and "content" in slim["response"]:
        slim["response"]["content"] = _pick(slim["response"]["content"], "content")
    return slim


def _pick(part: Any, kind: str) -> Any:
    if not isinstance(part, dict):
        return part
    return {k: part[k] for k in _ANALYSED[kind] if k in part}


def gzip_json(document: Any) -> bytes:
    return gzip.compress(
        json.dumps(document, separators=(",", ":")).encode(), compresslevel=6, mtime=0
    )
