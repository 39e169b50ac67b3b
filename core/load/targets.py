"""Which hosts a load test targets, and whether an admin allowed each. Pure.

A load test can hurt a site, so it may only target hosts an admin allowed
(``PERFITE_LOAD_ALLOWED_HOSTS`` and each location's own list). The hosts it targets are
those its journey opens: every absolute URL of the measurement spec (the first page, each
``navigate`` step's, and every actor's first page in a spec that has actors). The requests
those pages make to other hosts (a CDN, an ad network) are not targets: they are loaded as
the same number of real visitors would load them.
"""

from collections.abc import Iterable, Iterator, Mapping
from fnmatch import fnmatchcase
from typing import Any
from urllib.parse import urlsplit


def _urls(value: Any) -> Iterator[str]:
    """Every ``url`` value anywhere in ``value`` (nested objects and lists)."""
    if isinstance(value, Mapping):
        for key, item in value.items():
            if key == "url" and isinstance(item, str):
                yield item
            else:
                yield from _urls(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _urls(item)


def target_hosts(spec: Mapping[str, Any]) -> list[str]:
    """The hosts of the absolute http(s) URLs ``spec`` opens, lower case, sorted."""
    hosts = set()
    for url in _urls(spec):
        try:
            parts = urlsplit(url.strip())
            host = parts.hostname
        except ValueError:
            continue
        if parts.scheme.lower() in ("http", "https") and host:
            hosts.add(host.lower().rstrip("."))
    return sorted(hosts)


def host_allowed(host: str, patterns: Iterable[str]) -> bool:
    """Whether ``host`` matches one of ``patterns``: a host name, or a glob
    (``*.example.com`` matches its subdomains, not ``example.com`` itself; ``*`` matches
    every host), case-insensitively."""
    name = host.lower().rstrip(".")
    return any(fnmatchcase(name, p.strip().lower().rstrip(".")) for p in patterns if p.strip())


def refused_hosts(spec: Mapping[str, Any], patterns: Iterable[str]) -> list[str]:
    """The hosts ``spec`` targets that no pattern allows, sorted."""
    allowed = list(patterns)
    return [host for host in target_hosts(spec) if not host_allowed(host, allowed)]
