"""HAR files as plain data: check their shape, and gzip them. No ORM, no I/O."""

import gzip
import json
import zlib
from typing import Any


class HarError(ValueError):
    """The upload is not a usable HAR; the message says why."""


def validate_har(har: Any) -> dict[str, Any]:
    """Return ``har`` when it has the HAR 1.2 shape Perfite relies on, else raise HarError."""
    if not isinstance(har, dict) or not isinstance(har.get("log"), dict):
        raise HarError("not a HAR: the top level must be an object with a 'log' object")
    entries = har["log"].get("entries")
    if not isinstance(entries, list):
        raise HarError("not a HAR: log.entries must be a list")
    for index, entry in enumerate(entries):
        if not isinstance(entry, dict):
            raise HarError(f"not a HAR: entry {index} is not an object")
        for key in ("request", "response", "startedDateTime"):
            if key not in entry:
                raise HarError(f"not a HAR: entry {index} has no '{key}'")
        if not isinstance(entry["request"], dict) or "url" not in entry["request"]:
            raise HarError(f"not a HAR: entry {index} has no request.url")
    return har


def gzip_json(document: Any) -> bytes:
    return gzip.compress(
        json.dumps(document, separators=(",", ":")).encode(), compresslevel=6, mtime=0
    )


def gunzip_json(data: bytes, *, max_bytes: int) -> Any:
    """Decompress and parse gzipped JSON, refusing more than ``max_bytes`` once inflated."""
    try:
        inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
        raw = inflater.decompress(data, max_bytes + 1)
        if len(raw) > max_bytes:
            raise HarError(f"HAR larger than {max_bytes} bytes once decompressed")
        if not inflater.eof:
            raise HarError("truncated gzip data")
    except zlib.error as exc:
        raise HarError(f"not gzip data: {exc}") from exc
    try:
        return json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise HarError(f"HAR is not valid JSON: {exc}") from exc
