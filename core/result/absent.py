"""What a browser cannot measure, and how a result document says so. Pure.

Every engine lists the capabilities it has (agents.engines.<browser>.CAPABILITIES); a run in
a browser lacking one gets ``unavailable`` in its result document (capability -> reason),
and each metric that needs it is null with that reason in ``metric_errors``: absent, never
zero, so no chart, comparison or threshold takes a missing number for a fast page.
"""

from collections.abc import Mapping, MutableMapping
from typing import Any

from core.metrics import CPU, VISUAL

CAPABILITIES: dict[str, str] = {
    "wire_bytes": "bytes on the wire (headers and compression)",
    "long_tasks": "long tasks (so no blocking time)",
    "layout_shift": "layout shifts (so no CLS)",
    "counters": "CPU and heap counters",
    "profiles": "connection and CPU profiles",
    "filmstrip": "a filmstrip (so no visual metrics)",
    "dns": "DNS overrides",
}
"""Every capability an engine may lack, as the run page names it."""

_PAGE_METRICS: dict[str, tuple[str, ...]] = {
    "wire_bytes": ("transfer_bytes", "first_party_bytes", "third_party_bytes"),
    "long_tasks": ("tbt", "third_party_blocking_ms"),
    "layout_shift": ("cls",),
    "counters": tuple(m.name for m in CPU),
    "filmstrip": tuple(m.name for m in VISUAL),
}
_GROUP_FIELDS: dict[str, tuple[str, ...]] = {
    "wire_bytes": ("transfer_bytes",),
    "long_tasks": ("blocking_ms",),
}
_GROUPS = ("parties", "hosts", "entities", "content_classes")


def unavailable(browser: str, capabilities: frozenset[str] | set[str]) -> dict[str, str]:
    """The capabilities ``browser`` (its label) lacks, each with the reason a run page shows."""
    return {
        name: f"{browser} cannot measure {what}"
        for name, what in CAPABILITIES.items()
        # A profile or a DNS map the browser cannot apply refuses the run instead.
        if name not in capabilities and name not in ("profiles", "dns")
    }


def in_order(missing: Mapping[str, str]) -> list[str]:
    """The reasons of ``missing`` in CAPABILITIES' order (a stored document's keys may come
    back in any order: PostgreSQL's jsonb keeps none)."""
    return [missing[name] for name in CAPABILITIES if name in missing] + [
        why for name, why in missing.items() if name not in CAPABILITIES
    ]


def leave_out(document: MutableMapping[str, Any], missing: Mapping[str, str]) -> None:
    """Make every metric of ``document`` that needs a ``missing`` capability null (its page
    metrics, its steps', each request's and each group's), with the reason."""
    document["unavailable"] = dict(missing)
    errors = document.setdefault("metric_errors", {})
    metrics = document.get("metrics") or {}
    for capability, reason in missing.items():
        for name in _PAGE_METRICS.get(capability, ()):
            if name in metrics or capability not in ("counters", "filmstrip"):
                metrics[name] = None
                errors.setdefault(name, reason)
        for step in document.get("steps") or []:
            for name in _PAGE_METRICS.get(capability, ()):
                if name in (step.get("metrics") or {}):
                    step["metrics"][name] = None
        fields = _GROUP_FIELDS.get(capability, ())
        for field in fields:
            for record in document.get("requests") or []:
                if field in record:
                    record[field] = None
            for group in _GROUPS:
                for row in (document.get(group) or {}).values():
                    if isinstance(row, MutableMapping) and field in row:
                        row[field] = None
        if capability == "long_tasks":
            document["long_tasks"] = []
        for page in document.get("pages") or []:
            for name in _PAGE_METRICS.get(capability, ()):
                if name in (page.get("metrics") or {}):
                    page["metrics"][name] = None
