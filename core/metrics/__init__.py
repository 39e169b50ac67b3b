"""The metric registry and the one formatter: every metric's name, label, unit and treatment.

Read :mod:`core.metrics.registry` for the entries, :mod:`core.metrics.types` for what each
flag means, :mod:`core.metrics.lookup` for reading them by name and :mod:`core.metrics.units`
for how values are printed. Everything that lists, labels, formats, stores, pushes, charts
or gates metrics reads them from here.
"""

from core.metrics.lookup import (
    HEADLINE,
    attribution_of,
    family,
    format_value,
    har_timings,
    headline,
    is_known,
    label_of,
    metric,
    metric_problem,
    page_metric,
    page_metrics,
    page_names,
    split_name,
    unit_of,
    unit_symbol,
)
from core.metrics.named import (
    BACKEND,
    CUSTOM,
    REQUEST,
    STEP_SCOPED,
    USER,
    WEBSOCKET,
)
from core.metrics.names import clean_name, name_problem
from core.metrics.registry import (
    ACTOR,
    CONTENT_CLASS,
    CPU,
    ENTITY,
    FAMILIES,
    HOST,
    NAMED_FAMILIES,
    PAGE,
    PARTY,
    STEP,
    TOTALS,
    TOTALS_FAMILIES,
    VISUAL,
)
from core.metrics.types import Attribution, Family, Metric, UnknownMetric
from core.metrics.units import BYTES, COUNT, MISSING, MS, NUMBER, SCORE, Unit, format_in

__all__ = [
    "ACTOR",
    "HEADLINE",
    "Attribution",
    "attribution_of",
    "har_timings",
    "headline",
    "BACKEND",
    "BYTES",
    "CPU",
    "CUSTOM",
    "NAMED_FAMILIES",
    "NUMBER",
    "REQUEST",
    "STEP_SCOPED",
    "USER",
    "VISUAL",
    "WEBSOCKET",
    "clean_name",
    "name_problem",
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
    "metric_problem",
    "page_metric",
    "page_metrics",
    "page_names",
    "split_name",
    "unit_of",
    "unit_symbol",
]
