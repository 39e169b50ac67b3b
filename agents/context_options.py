"""What a spec's ``setup`` asks of a browser context: device, viewport, headers, user agent,
and which requests to refuse. Plain data in, plain data out; agents.browser applies it."""

import fnmatch
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit


def context_options(spec: dict[str, Any], devices: Mapping[str, dict[str, Any]]) -> dict[str, Any]:
    """Keyword arguments for a new context: the named device's descriptor (from ``devices``,
    Playwright's registry), then the spec's own user agent, viewport and extra headers over it.
    Raises ValueError for a device ``devices`` does not know."""
    setup = spec.get("setup") or {}
    options: dict[str, Any] = {}
    if setup.get("device"):
        device = devices.get(setup["device"])
        if device is None:
            raise ValueError(f"unknown device {setup['device']!r}")
        options.update(device)
        # Playwright picks the browser type elsewhere; a context refuses this key.
        options.pop("default_browser_type", None)
    if setup.get("user_agent"):
        options["user_agent"] = setup["user_agent"]
    if setup.get("viewport"):
        options["viewport"] = setup["viewport"]
    if setup.get("headers"):
        options["extra_http_headers"] = dict(setup["headers"])
    return options


def blocked(url: str, patterns: list[str]) -> bool:
    """True when ``url`` matches a block pattern: a bare domain (and its subdomains) or a
    glob over the whole URL (``*://ads.example.com/*``)."""
    host = urlsplit(url).hostname or ""
    for pattern in patterns:
        if "/" in pattern or "*" in pattern:
            if fnmatch.fnmatchcase(url, pattern):
                return True
        elif host == pattern or host.endswith("." + pattern):
            return True
    return False
