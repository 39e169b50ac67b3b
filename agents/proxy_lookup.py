"""The address-policy proxy's name lookup, given back to the first document's DNS time.

Through the proxy (agents.proxy) Chromium resolves no name: Navigation Timing shows a zero
DNS time and a connect time holding the proxy's lookup. The proxy times each lookup, so the
first document's is moved back where it belongs.
"""

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from core.netpolicy import canonical_host


def restore_lookup_time(first: dict[str, Any] | None, lookup_ms: Mapping[str, float]) -> None:
    """Change the Navigation Timing (``nav``) of ``first``, the first document's collector
    snapshot, in place: its host's lookup (as the proxy timed it) starts where connect
    started, and connect starts after it. A document on a connection opened earlier (a
    connect shorter than the lookup) is left as it is, and so is one without timings."""
    if not first:
        return
    nav, host = first.get("nav"), urlsplit(str(first.get("url") or "")).hostname
    lookup = lookup_ms.get(canonical_host(host)) if host else None
    if not nav or not lookup or nav.get("connectStart") is None or nav.get("connectEnd") is None:
        return
    if nav["connectEnd"] - nav["connectStart"] < lookup:
        return  # the lookup was for another connection (one opened before the document's)
    nav["domainLookupStart"] = nav["connectStart"]
    nav["domainLookupEnd"] = nav["connectStart"] + lookup
    nav["connectStart"] += lookup
