"""The metric registry and the one formatter: every metric's name, label, unit and treatment.

Read :mod:`core.metrics.registry` for the entries and :mod:`core.metrics.units` for how values
are printed. Everything that lists, labels, formats, stores, pushes, charts or gates metrics
reads them from here.
"""

from core.metrics.registry import (
    CONTENT_CLASS,
    ENTITY,
    FAMILIES,
    HOST,
    PAGE,
    PARTY,
    STEP,
    TOTALS,
    TOTALS_FAMILIES,
    Family,
    Metric,
    UnknownMetric,
    family,
    format_value,
    is_known,
    label_of,
    metric,
    page_metric,
    page_metrics,
    page_names,
    split_name,
    unit_of,
    unit_symbol,
)
from core.metrics.units import BYTES, COUNT, MISSING, MS, SCORE, Unit, format_in

__all__ = [
    "BYTES",
    "CONTENT_CLASS",
    "COUNT",
    "ENTITY",
    "FAMILIES",
    "HOST",
    "MISSING",
    "MS",
    "PAGE",
    "PARTY",
    "SCORE",
    "STEP",
    "TOTALS",
    "TOTALS_FAMILIES",
    "Family",
    "Metric",
    "Unit",
    "UnknownMetric",
    "family",
    "format_in",
    "format_value",
    "is_known",
    "label_of",
    "metric",
    "page_metric",
    "page_metrics",
    "page_names",
    "split_name",
    "unit_of",
    "unit_symbol",
]
