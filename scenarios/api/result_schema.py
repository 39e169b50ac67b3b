"""The result document (docs/result-document.md) as the OpenAPI schema states it: a run's
``result``, its page metrics and named metrics described from the metric registry.

OpenAPI 3.0 has no ``patternProperties``: the page metrics are properties, and every other
key of ``metrics`` (the named families, and the splits an import may give) is the documented
``additionalProperties``, whose description lists each family's names, units and meaning.
Nested shapes are stated as far as the contract fixes them and left open beyond (a stored
document may carry keys an older or newer agent wrote).
"""

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.metrics import ACTOR, CPU, NAMED_FAMILIES, PAGE, STEP_SCOPED, Family, Metric

Schema = dict[str, Any]

_NUMBER: Schema = {"type": "number"}
_TEXT: Schema = {"type": "string"}


def _nullable(schema: Schema, description: str = "") -> Schema:
    found = {**schema, "nullable": True}
    return {**found, "description": description} if description else found


def _said(metric: Metric) -> str:
    """``LCP (ms): Largest contentful paint``."""
    unit = f" ({metric.unit.symbol or metric.unit.name})"
    return f"{metric.label}{unit}" + (f": {metric.description}" if metric.description else "")


def _family_names(family: Family) -> str:
    """One line per name a named family makes, e.g. ``request.<name>.duration_ms — …``."""
    if family is ACTOR:
        return (
            f"`{family.prefix}.<actor>.<page metric>` — an actor's own page metrics (any "
            "property above), in a run of a scenario with actors"
        )
    if family.value is not None:
        return f"`{family.prefix}.<name>` — {_said(family.value)}"
    return "; ".join(f"`{family.prefix}.<name>.{f.name}` — {_said(f)}" for f in family.fields)


def _named_description(families: tuple[Family, ...], cpu: bool) -> str:
    lines = [_family_names(family) for family in families]
    if cpu:
        lines.append("; ".join(f"`{m.name}` — {_said(m)}" for m in CPU))
    return " | ".join(lines)


METRICS: Schema = {
    "type": "object",
    "description": "Page metrics of the first navigation (null when unknown), and the named "
    "metrics the run measured: a named metric that was not measured is absent, never 0.",
    "properties": {m.name: _nullable(_NUMBER, _said(m)) for m in PAGE},
    "additionalProperties": _nullable(
        _NUMBER,
        "A named metric (names people give: lower-case letters, digits, _ - and . between "
        "them, at most 64 characters): "
        + _named_description(NAMED_FAMILIES, cpu=False)
        + ". An imported run may also carry splits (party.<first|third>.<field>, "
        "host.<host>.<field>, entity.<entity>.<field>, type.<class>.<field>).",
    ),
}
STEP_METRICS: Schema = {
    "type": "object",
    "description": "The step's own metrics; their metric names are step.<step>.<key>.",
    "additionalProperties": {
        **_NUMBER,
        "description": _named_description(STEP_SCOPED, cpu=True),
    },
}
STEP_ITEM: Schema = {
    "type": "object",
    "description": "A measured step (measure_start … measure_stop)",
    "properties": {
        "name": _TEXT,
        "started_ms": _nullable(_NUMBER, "When it started, from the first navigation"),
        "duration_ms": _nullable(_NUMBER, "Its duration"),
        "metrics": STEP_METRICS,
        "actors": {
            "type": "array",
            "items": _TEXT,
            "description": "A run with actors: who started it, and on whose page it stopped",
        },
    },
}
USER_TIMING: Schema = {
    "type": "object",
    "description": "A performance.mark or performance.measure the page made",
    "properties": {
        "name": _nullable(_TEXT, "The page's own name"),
        "metric": _nullable(_TEXT, "Its metric, user.<name>; null when the name is unusable"),
        "type": {"type": "string", "description": "mark or measure"},
        "page": _nullable(_NUMBER, "Index of the document in pages"),
        "started_ms": _nullable(_NUMBER),
        "duration_ms": _nullable(_NUMBER),
    },
}
BACKEND_SERIES: Schema = {
    "type": "object",
    "description": "A Graphite target's points over the run's window",
    "properties": {
        "target": _TEXT,
        "from": _nullable(_NUMBER, "Unix seconds"),
        "until": _nullable(_NUMBER, "Unix seconds"),
        "points": {
            "type": "array",
            "description": "[unix seconds, value or null]",
            "items": {"type": "array", "items": _nullable(_NUMBER)},
        },
        "error": _nullable(_TEXT, "Why the series could not be read"),
    },
}
PROFILE: Schema = {
    "type": "object",
    "nullable": True,
    "description": "The connection and CPU profile the run was measured under (README, "
    "Connection and CPU profiles); native shapes nothing. Absent from documents stored before "
    "profiles and from imported ones (both count as native); null when the agent could not "
    "apply the profile it was given.",
    "properties": {
        "name": _TEXT,
        "download_kbps": {**_NUMBER, "description": "Download bandwidth, kbps; 0 unlimited"},
        "upload_kbps": {**_NUMBER, "description": "Upload bandwidth, kbps; 0 unlimited"},
        "rtt_ms": {**_NUMBER, "description": "Latency added to every request, ms"},
        "cpu_slowdown": {**_NUMBER, "description": "CPU slow-down factor; 1 none"},
    },
}
_OBJECTS: Schema = {"type": "object", "additionalProperties": {"type": "object"}}
_LIST: Schema = {"type": "array", "items": {"type": "object"}}
ACTOR_ITEM: Schema = {
    "type": "object",
    "description": "One actor's part of a run with actors (docs/result-document.md, Actors)",
    "properties": {
        "name": _TEXT,
        "url": {**_TEXT, "description": "Its first page"},
        "started_ms": {**_NUMBER, "description": "Its first navigation, on the run's axis"},
        "metrics": {
            "type": "object",
            "description": "Its page metrics (also actor.<name>.<metric> in metrics)",
            "additionalProperties": _nullable(_NUMBER),
        },
        "metric_errors": {"type": "object", "additionalProperties": _TEXT},
        "lcp_element": _nullable(_TEXT),
        "pages": _LIST,
        "parties": _OBJECTS,
        "hosts": _OBJECTS,
        "entities": _OBJECTS,
        "content_classes": _OBJECTS,
        "long_tasks": _LIST,
    },
}

RESULT_DOCUMENT: Schema = {
    "type": "object",
    "nullable": True,
    "description": "The run's result document (docs/result-document.md); null before the run "
    "is stored.",
    "properties": {
        "schema": _NUMBER,
        "scenario": _nullable(_TEXT),
        "location": _nullable(_TEXT),
        "browser": _nullable(_TEXT),
        "browser_version": _nullable(_TEXT),
        "profile": PROFILE,
        "url": _nullable(_TEXT),
        "started_at": _nullable(_TEXT, "ISO 8601"),
        "finished_at": _nullable(_TEXT, "ISO 8601"),
        "status": {"type": "string", "description": "succeeded, failed or timed_out"},
        "error": _nullable(_TEXT),
        "metrics": METRICS,
        "lcp_element": _nullable(_TEXT),
        "pages": {**_LIST, "description": "Each document the run loaded, with its metrics"},
        "steps": {"type": "array", "items": STEP_ITEM},
        "user_timings": {"type": "array", "items": USER_TIMING},
        "metric_errors": {
            "type": "object",
            "description": "Why a named metric is absent (metric name → reason): a throwing "
            "or non-numeric expression, a backend that did not answer",
            "additionalProperties": _TEXT,
        },
        "backend": {
            "type": "object",
            "description": "Backend series by name (backend.<name>)",
            "additionalProperties": BACKEND_SERIES,
        },
        "requests": {**_LIST, "description": "Every request of the run"},
        "parties": {**_OBJECTS, "description": "first and third: their totals"},
        "hosts": {**_OBJECTS, "description": "Totals per host"},
        "entities": {**_OBJECTS, "description": "Totals per entity"},
        "content_classes": {**_OBJECTS, "description": "Totals per content class"},
        "long_tasks": _LIST,
        "websockets": _LIST,
        "actors": {
            "type": "array",
            "items": ACTOR_ITEM,
            "description": "A run with actors: each actor's part, in declaration order",
        },
    },
}


@extend_schema_field(RESULT_DOCUMENT)
class ResultDocumentField(serializers.JSONField):
    """A run's stored result document, described in the schema by RESULT_DOCUMENT."""
