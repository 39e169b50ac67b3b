"""Which third-party entity a host belongs to, and that entity's category. Pure.

The project ships a curated mapping (``core/har/data/entities.json``: well-known domains →
entity name + category); users add or override entries with EntityMapping rows, passed in
here as plain ``(pattern, entity, category)`` tuples. A pattern ``example.com`` matches that
domain and every subdomain; ``*.example.com`` matches subdomains only. The longest matching
domain wins, a user's pattern beating a shipped one of the same length. A host nobody maps
belongs to its registrable domain, category ``other``.
"""

import json
from collections.abc import Iterable
from functools import lru_cache
from importlib import resources

from core.har.classify import registrable_domain

CATEGORIES: dict[str, str] = {
    "ads": "Ads",
    "analytics": "Analytics",
    "social": "Social",
    "tag_manager": "Tag manager",
    "cdn": "CDN",
    "fonts": "Fonts",
    "customer_success": "Customer success",
    "video": "Video",
    "other": "Other",
}
OTHER = "other"

Mapping = tuple[str, str, str]  # (pattern, entity, category)


@lru_cache(maxsize=1)
def shipped() -> dict[str, tuple[str, str]]:
    """The shipped mapping as domain → (entity, category); read once per process."""
    text = resources.files("core.har").joinpath("data/entities.json").read_text("utf-8")
    data = json.loads(text)
    out: dict[str, tuple[str, str]] = {}
    for entry in data["entities"]:
        for domain in entry["domains"]:
            out[domain.lower()] = (entry["name"], entry["category"])
    return out


class EntityIndex:
    """Suffix lookups over the shipped mapping plus a user's patterns."""

    def __init__(self, user_mappings: Iterable[Mapping] = ()) -> None:
        self._base = shipped()
        # Per domain: (matches the domain itself?, entity, category).
        self._user: dict[str, tuple[bool, str, str]] = {}
        for pattern, entity, category in user_mappings:
            pattern = pattern.strip().lower().rstrip(".")
            itself = not pattern.startswith("*.")
            domain = pattern[2:] if not itself else pattern
            if domain:
                self._user[domain] = (itself, entity, category or OTHER)

    def classify(self, host: str) -> tuple[str, str]:
        """(entity, category) for ``host``; see the module docstring for the rules."""
        host = host.strip().lower().rstrip(".")
        labels = host.split(".")
        # Suffixes from the longest (the host itself) down: the first hit is the longest.
        for i in range(len(labels)):
            suffix = ".".join(labels[i:])
            user = self._user.get(suffix)
            if user is not None and (user[0] or i > 0):
                return user[1], user[2]
            base = self._base.get(suffix)
            if base is not None:
                return base
        return registrable_domain(host) if host else "", OTHER


@lru_cache(maxsize=32)
def _index(user_mappings: tuple[Mapping, ...]) -> EntityIndex:
    return EntityIndex(user_mappings)


@lru_cache(maxsize=65536)
def _classify(host: str, user_mappings: tuple[Mapping, ...]) -> tuple[str, str]:
    return _index(user_mappings).classify(host)


def classify(host: str, user_mappings: Iterable[Mapping] = ()) -> tuple[str, str]:
    """Return (entity, category) of ``host`` given the user's ``(pattern, entity, category)``s.

    Results are memoised per (host, mappings), so calling it for every host of every run is
    cheap.
    """
    return _classify(host, tuple(tuple(m) for m in user_mappings))  # type: ignore[misc]
