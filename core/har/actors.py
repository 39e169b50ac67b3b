"""The HAR of a run with actors: every actor's in one file, and one actor's out of it. Pure.

A run with actors keeps one HAR (docs/result-document.md, "Actors"): each actor's pages and
entries, in actor order, each tagged ``"_actor": <name>`` (HAR's custom fields start with
``_``), so that a HAR viewer shows one page per actor's document and one actor's HAR can be
had again (:func:`actor_har`).
"""

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

Json = dict[str, Any]


def merge_hars(hars: Sequence[tuple[str, Mapping[str, Any]]]) -> Json:
    """One HAR of ``hars`` (``(actor, its HAR)``, in actor order): the first's ``log``
    fields (version, creator, browser), every page and entry tagged with its actor."""
    first = dict(hars[0][1].get("log") or {})
    pages: list[Json] = []
    entries: list[Json] = []
    for actor, har in hars:
        log = har.get("log") or {}
        pages += [{**p, "_actor": actor} for p in log.get("pages") or [] if isinstance(p, dict)]
        entries += [{**e, "_actor": actor} for e in log.get("entries") or [] if isinstance(e, dict)]
    return {"log": {**first, "pages": pages, "entries": entries}}


def actor_har(har: Mapping[str, Any], actor: str) -> Json:
    """The part of a run's HAR that is ``actor``'s (its pages and entries); everything of a
    HAR without actors is nobody's."""
    log = dict(har.get("log") or {})
    log["pages"] = _of(log.get("pages"), actor)
    log["entries"] = _of(log.get("entries"), actor)
    return {**har, "log": log}


def actors_in(har: Mapping[str, Any]) -> list[str]:
    """The actors a HAR's pages are tagged with, in order (empty: a one-page run's)."""
    pages = (har.get("log") or {}).get("pages") or []
    return list(
        dict.fromkeys(str(p["_actor"]) for p in pages if isinstance(p, dict) and "_actor" in p)
    )


def _of(items: Iterable[Any] | None, actor: str) -> list[Any]:
    return [i for i in items or [] if isinstance(i, dict) and i.get("_actor") == actor]
