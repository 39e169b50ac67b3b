"""How a connection the address-policy proxy failed reads in the browser's errors.

Through the proxy (agents.proxy) Chromium reports every failed connection alike, as
ERR_SOCKS_CONNECTION_FAILED; the proxy's report says why, per (host, port). :func:`explain`
puts that reason back in an error text: ``blocked by the address policy: <reason>``, or the
error Chromium gives without a proxy (ERR_NAME_NOT_RESOLVED, ERR_CONNECTION_REFUSED …).
"""

import re
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit

from core.netpolicy import DEFAULT_PORTS, canonical_host

BLOCKED = "blocked by the address policy: "
SOCKS_FAILURE = "net::ERR_SOCKS_CONNECTION_FAILED"

_FAILED_AT = re.compile(re.escape(SOCKS_FAILURE) + r"(?: at (\S+))?")


def failure_key(url: str) -> tuple[str, int] | None:
    """The (host, port) a request to ``url`` asks the proxy for; None without a host."""
    try:
        parts = urlsplit(url)
        host, port = parts.hostname, parts.port
    except ValueError:
        return None
    if not host:
        return None
    port = port if port is not None else DEFAULT_PORTS.get(parts.scheme.lower())
    return (canonical_host(host), port) if port is not None else None


def explain(text: str, url: str, failures: Mapping[tuple[str, int], str]) -> str:
    """``text`` (a browser error about ``url``, or naming its URL after "at") with the SOCKS
    failure replaced by why the proxy failed it; unchanged when the proxy has no reason."""

    def replace(match: re.Match[str]) -> str:
        target = match.group(1) or url
        key = failure_key(target)
        reason = failures.get(key) if key is not None else None
        if reason is None:
            return match.group(0)
        if reason.startswith(BLOCKED) or not match.group(1):
            return reason
        return f"{reason} at {target}"

    return _FAILED_AT.sub(replace, text)


def explain_run(
    failures: Mapping[tuple[str, int], str],
    har: dict[str, Any] | None,
    wire: Iterable[dict[str, Any]],
    error: str | None,
) -> str | None:
    """Put the proxy's reasons (:func:`explain`) in place of Chromium's "SOCKS connection
    failed" in the HAR's failure texts, the CDP ``wire`` records (changed in place) and the
    run's ``error``; returns the error."""
    if not failures:
        return error
    for entry in (har or {}).get("log", {}).get("entries", []):
        response = entry.get("response") or {}
        if response.get("_failureText"):
            url = (entry.get("request") or {}).get("url", "")
            response["_failureText"] = explain(response["_failureText"], url, failures)
    for record in wire:
        if record.get("error"):
            record["error"] = explain(record["error"], record["url"], failures)
    return explain(error, "", failures) if error else error
