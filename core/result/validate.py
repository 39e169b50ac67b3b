"""The result document (docs/result-document.md) as plain data: validation and summaries."""

from typing import Any

from core.metrics import TOTALS_FAMILIES, Family

STATUSES = ("succeeded", "failed", "timed_out")


class ResultError(ValueError):
    """The result document is malformed; the message names the field."""


def _number_or_none(value: Any, where: str) -> None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
        raise ResultError(f"{where} must be a number or null, got {type(value).__name__}")


def _totals_map(doc: dict[str, Any], family: Family) -> None:
    """The family's members must be objects whose fields are numbers or null."""
    key = family.document_key
    groups = doc.get(key, {})
    if not isinstance(groups, dict):
        raise ResultError(f"{key} must be an object")
    for name, totals in groups.items():
        if not isinstance(totals, dict):
            raise ResultError(f"{key}.{name} must be an object")
        for field in family.field_names():
            _number_or_none(totals.get(field), f"{key}.{name}.{field}")


def validate_result(doc: Any) -> dict[str, Any]:
    """Return ``doc`` if it is a usable result document, else raise ResultError naming the field."""
    if not isinstance(doc, dict):
        raise ResultError("the result document must be a JSON object")
    if doc.get("status") not in STATUSES:
        raise ResultError(f"status must be one of {', '.join(STATUSES)}")
    metrics = doc.get("metrics", {})
    if not isinstance(metrics, dict):
        raise ResultError("metrics must be an object")
    for name, value in metrics.items():
        _number_or_none(value, f"metrics.{name}")
    requests = doc.get("requests", [])
    if not isinstance(requests, list) or not all(isinstance(r, dict) for r in requests):
        raise ResultError("requests must be a list of objects")
    for family in TOTALS_FAMILIES:
        _totals_map(doc, family)
    steps = doc.get("steps", [])
    if not isinstance(steps, list) or not all(isinstance(s, dict) for s in steps):
        raise ResultError("steps must be a list of objects")
    return doc
