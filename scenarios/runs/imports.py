"""Results from elsewhere: a HAR or a JSON of named metrics, stored as an imported Run.

An imported run is a Run of kind ``imported`` with no location; it carries the same result
document as a measured one (so the dashboard, the API, budgets and comparisons treat it like
any other run). A HAR is analysed on the server with the agents' pure HAR functions — the one
place ``scenarios`` uses ``agents`` code, because those functions are plain data in, plain
data out and the alternative is a second copy of them. Timings a HAR does not carry (FCP,
LCP …) stay null unless the HAR's ``pageTimings`` or the posted metrics give them. A run
is one page load, so a HAR holding several pages is refused (docs/architecture.md).
"""

import math
from collections.abc import Mapping
from contextlib import AbstractContextManager, nullcontext
from datetime import UTC, datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from core.har.files import HarError, validate_har
from core.metrics import metric_problem, page_metric
from core.result.validate import ResultError
from scenarios.models import Run, Scenario
from scenarios.runs.har_spool import GzippedHar, SpooledHar, gzipped_har, spool_document
from scenarios.runs.store import store_result

# HAR pageTimings keys (standard and the browsertime/WebPageTest extensions) → page metrics;
# page_metric() refuses at import a name the registry does not know.
PAGE_TIMINGS = {
    key: page_metric(name).name
    for key, name in {
        "onContentLoad": "dom_content_loaded",
        "onLoad": "load",
        "_firstContentfulPaint": "fcp",
        "_largestContentfulPaint": "lcp",
        "_TTFB": "ttfb",
    }.items()
}
META_FIELDS = ("branch", "commit", "base_branch", "base_commit", "build_url", "label")


def clean_metrics(metrics: Any) -> dict[str, float]:
    """``metrics`` as ``{name: float}``; raise ResultError naming the first bad entry.

    Every name must be one the registry places, named metrics included
    (``user.checkout_ready``, ``request.create_chat.duration_ms``; core.metrics.metric_problem),
    as in any result document; refused before a HAR is read.
    """
    if not isinstance(metrics, Mapping) or not metrics:
        raise ResultError("metrics must be a non-empty object of name → number")
    clean = {}
    for name, value in metrics.items():
        if not isinstance(name, str) or not name or len(name) > 200:
            raise ResultError(f"metric name {name!r} must be a string of 1-200 characters")
        if problem := metric_problem(name):
            raise ResultError(f"metrics.{name}: {problem}")
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
        ):
            raise ResultError(f"metric {name!r} must be a finite number")
        clean[name] = float(value)
    return clean


def _page_ids(har: Mapping[str, Any]) -> list[str]:
    """The pages a HAR holds, in order: the ids in ``log.pages`` (``#n`` for a page without
    one), then any ``pageref`` of an entry that no listed page has."""
    pages = har["log"].get("pages") or []
    ids = [
        str(page.get("id") or f"#{n}")
        for n, page in enumerate(pages, 1)
        if isinstance(page, Mapping)
    ]
    for entry in har["log"]["entries"]:
        ref = entry.get("pageref")
        if ref is not None and str(ref) not in ids:
            ids.append(str(ref))
    return ids


def _page_url(har: Mapping[str, Any], default: str) -> str:
    for entry in har["log"]["entries"]:
        if entry.get("_resourceType") == "document" or "html" in str(
            (entry.get("response") or {}).get("content", {}).get("mimeType", "")
        ):
            return str(entry["request"].get("url") or default)
    entries = har["log"]["entries"]
    return str(entries[0]["request"].get("url") or default) if entries else default


def result_from_har(
    har: Mapping[str, Any], scenario: Scenario, metrics: Mapping[str, float] | None = None
) -> dict[str, Any]:
    """The result document of a HAR recorded elsewhere; ``metrics`` override what it gives."""
    from core.result.build import build_result  # pure: see the module docstring

    validate_har(har)
    ids = _page_ids(har)
    if len(ids) > 1:
        # Merged, several page loads would read as one: requests and bytes summed, the
        # "fully loaded" time spanning the pauses between pages, timings of the first only.
        shown = ", ".join(ids[:5]) + (", …" if len(ids) > 5 else "")
        raise HarError(
            f"this HAR holds {len(ids)} pages ({shown}); an imported run is one page load: "
            "import one HAR per page"
        )
    url = _page_url(har, scenario.url)
    pages = har["log"].get("pages") or []
    started = (pages[0].get("startedDateTime") if pages else None) or (
        har["log"]["entries"][0]["startedDateTime"] if har["log"]["entries"] else None
    )
    now = datetime.now(UTC).isoformat()
    result = build_result(
        spec={"scenario": scenario.slug, "url": url, "first_party": list(scenario.first_party)},
        status="succeeded",
        error=None,
        started_at=started or now,
        finished_at=now,
        browser_version=str((har["log"].get("browser") or {}).get("version", "")),
        har=har,
        snapshots=[],
    )
    timings = (pages[0].get("pageTimings") or {}) if pages else {}
    for key, name in PAGE_TIMINGS.items():
        value = timings.get(key)
        if isinstance(value, int | float) and not isinstance(value, bool) and value >= 0:
            result["metrics"][name] = round(float(value), 1)
    if result["metrics"].get("ttfb") is None:
        document = next((r for r in result["requests"] if r["resource_type"] == "document"), None)
        if document is not None:
            receive = document["timings"].get("receive", 0.0)
            result["metrics"]["ttfb"] = round(
                document["started_ms"] + document["duration_ms"] - receive, 1
            )
    result["metrics"].update(metrics or {})
    result["browser"] = str((har["log"].get("browser") or {}).get("name") or "imported")
    result["source"] = "har"
    return result


def result_from_metrics(
    metrics: Mapping[str, float], scenario: Scenario, tool: str = ""
) -> dict[str, Any]:
    """A result document holding only named metrics (``party.third.transfer_bytes`` etc.)."""
    now = datetime.now(UTC).isoformat()
    return {
        "schema": 1,
        "scenario": scenario.slug,
        "location": "",
        "browser": tool or "imported",
        "browser_version": "",
        "url": scenario.url,
        "started_at": now,
        "finished_at": now,
        "status": "succeeded",
        "error": None,
        "metrics": dict(metrics),
        "pages": [],
        "steps": [],
        "requests": [],
        "parties": {},
        "hosts": {},
        "entities": {},
        "content_classes": {},
        "source": "metrics",
    }


def import_result(
    scenario: Scenario,
    *,
    har: Mapping[str, Any] | SpooledHar | None = None,
    metrics: Any = None,
    tool: str = "",
    meta: Mapping[str, str] | None = None,
) -> Run:
    """Store a HAR and/or named metrics as an imported run of ``scenario``; return the run.

    A spooled HAR (scenarios.runs.har_spool) must have been spooled with ``keep_analysed``:
    the result is computed from the analysed part of its entries, and the HAR is stored from
    the spool. Raises ResultError / HarError (writing nothing) when the input is unusable.
    """
    if har is None and metrics is None:
        raise ResultError("post a HAR ('har') or named metrics ('metrics')")
    clean = clean_metrics(metrics) if metrics is not None else None
    if har is not None and not isinstance(har, SpooledHar):
        har = spool_document(har, keep_analysed=True)
    if har is not None:
        try:
            result = result_from_har(har.for_analysis(), scenario, clean)
        except (KeyError, TypeError, ValueError) as exc:
            if isinstance(exc, HarError | ResultError):
                raise
            raise HarError(f"not a usable HAR: {exc}") from exc
    else:
        assert clean is not None
        result = result_from_metrics(clean, scenario, tool)
    # Gzipped before the transaction: a large HAR never holds the database's write lock.
    stored: AbstractContextManager[GzippedHar | None] = nullcontext(None)
    if har is not None:
        stored = gzipped_har(har, result.get("requests") or [], scenario.secret_names or [])
    with stored as payload, transaction.atomic():
        run = Run.objects.create(
            scenario=scenario,
            location=None,
            kind=Run.KIND_IMPORTED,
            browser="",  # measured elsewhere: its result document names the tool
            status=Run.RUNNING,
            started_at=timezone.now(),
            agent_name=(tool or "import")[:200],
            **{k: str(v)[:200] for k, v in (meta or {}).items() if k in META_FIELDS and v},
        )
        store_result(run.pk, result, payload)
    run.refresh_from_db()
    return run
