"""core.metrics: the registry's lists, name resolution and the one formatter."""

import pytest

from core import metrics
from core.metrics import UnknownMetric, format_value, metric


def test_run_columns_are_the_registry_entries_marked_as_columns_in_order() -> None:
    assert metrics.page_names(column=True) == (
        "ttfb",
        "fcp",
        "lcp",
        "cls",
        "tbt",
        "dom_content_loaded",
        "load",
        "fully_loaded",
        "requests",
        "transfer_bytes",
        "first_party_bytes",
        "third_party_bytes",
        "third_party_requests",
        "third_party_blocking_ms",
        "speed_index",
    )


def test_the_ci_gate_defaults_to_paint_shift_blocking_and_load() -> None:
    assert metrics.page_names(gated=True) == ("fcp", "lcp", "cls", "tbt", "load")


def test_family_members_resolve_with_dots_in_the_member() -> None:
    found = metric("host.cdn.example.com.transfer_bytes")
    assert (found.name, found.label, found.unit) == (
        "host.cdn.example.com.transfer_bytes",
        "cdn.example.com transfer",
        metrics.BYTES,
    )
    assert metric("party.third.blocking_ms").label == "Third-party blocking"
    assert metric("step.checkout.duration_ms").unit is metrics.MS


@pytest.mark.parametrize("name", ["nope", "party.third", "party.third.nope", "host..time_ms"])
def test_names_the_registry_cannot_place_are_refused(name: str) -> None:
    with pytest.raises(UnknownMetric):
        metric(name)


def test_one_size_unit_everywhere_a_megabyte_is_a_million_bytes() -> None:
    assert format_value("transfer_bytes", 1_000_000) == "1.0 MB"
    assert format_value("transfer_bytes", 1_048_576) == "1.0 MB"
    assert format_value("party.third.transfer_bytes", 999) == "999 B"
    assert format_value("body_bytes", 1_500) == "1.5 kB"
    assert format_value("transfer_bytes", 2_500_000_000) == "2.5 GB"


@pytest.mark.parametrize(
    ("name", "value", "signed", "text"),
    [
        ("fcp", 1234.5, False, "1,234 ms"),
        ("fcp", 40, True, "+40 ms"),
        ("lcp", -1500.0, True, "-1,500 ms"),
        ("tbt", 0, True, "±0 ms"),
        ("cls", 0.1234, False, "0.123"),
        ("requests", 12, False, "12"),
        ("requests", 2.5, False, "2.5"),
        ("transfer_bytes", -2048, True, "-2.0 kB"),
        ("lcp", None, False, "—"),
    ],
)
def test_values_print_in_their_unit(
    name: str, value: float | None, signed: bool, text: str
) -> None:
    assert format_value(name, value, signed=signed) == text


def test_minimum_effects_come_from_the_metric_or_its_unit() -> None:
    assert metric("fcp").effect == 50.0
    assert metric("transfer_bytes").effect == 1024.0
    assert metric("requests").effect == 1.0
    assert metric("cls").effect == 0.01


def test_the_summary_metrics_are_ttfb_lcp_and_transfer_in_total_and_third_party() -> None:
    assert metrics.page_names(summary=True) == (
        "ttfb",
        "lcp",
        "transfer_bytes",
        "third_party_bytes",
    )


def test_the_waterfall_marks_are_paint_and_document_events_with_short_labels() -> None:
    marks = metrics.page_metrics(waterfall_mark=True)

    assert [(m.name, m.short) for m in marks] == [
        ("fcp", "FCP"),
        ("lcp", "LCP"),
        ("dom_content_loaded", "DCL"),
        ("load", "Load"),
    ]
    assert metric("dom_content_loaded").label == "DOM content loaded"


def test_party_page_metrics_name_the_party_they_count() -> None:
    assert {m.name: m.party for m in metrics.PAGE if m.party} == {
        "first_party_requests": "first",
        "first_party_bytes": "first",
        "third_party_bytes": "third",
        "third_party_requests": "third",
        "third_party_blocking_ms": "third",
    }
    assert {m.party for m in metrics.PAGE if m.party} == {
        member for member, _ in metrics.PARTY.member_labels
    }


def test_a_bare_family_field_is_printed_in_its_unit() -> None:
    assert format_value("time_ms", 2500) == "2,500 ms"
    assert format_value("failed", 3) == "3"
    assert format_value("duration_ms", 40, signed=True) == "+40 ms"
    assert metrics.unit_of("not_a_metric") is metrics.MS


def test_every_field_name_has_one_unit_across_families_and_page_metrics() -> None:
    units: dict[str, set[metrics.Unit]] = {}
    for fam in metrics.FAMILIES:
        for field in fam.fields:
            units.setdefault(field.name, set()).add(field.unit)
    for page in metrics.PAGE:
        if page.name in units:
            units[page.name].add(page.unit)
    assert {name for name, found in units.items() if len(found) > 1} == set()


def test_a_splits_cost_is_its_requests_bytes_time_and_blocking() -> None:
    assert metrics.HOST.field_names(cost=True) == (
        "requests",
        "transfer_bytes",
        "time_ms",
        "blocking_ms",
    )
    assert metrics.PARTY.reported == metrics.HOST.field_names(cost=True)
    assert metrics.ENTITY.reported == metrics.HOST.field_names(cost=True)
    assert metrics.CONTENT_CLASS.reported == ("transfer_bytes",)
    assert metrics.HOST.reported == ()


def test_members_are_read_from_the_document_and_steps_by_name() -> None:
    document = {
        "hosts": {"cdn.example.com": {"requests": 2}, "broken": 7},
        "steps": [{"name": "checkout", "duration_ms": 40.0}, "junk"],
    }
    assert list(metrics.HOST.members(document)) == [("cdn.example.com", {"requests": 2})]
    assert list(metrics.STEP.members(document)) == [
        ("checkout", {"name": "checkout", "duration_ms": 40.0})
    ]
    assert list(metrics.PARTY.members(document)) == []


def test_attribution_rules_come_from_the_registry() -> None:
    assert metrics.attribution_of("fcp") == metrics.Attribution("render_blocking", (), False)
    assert metrics.attribution_of("lcp").resource_types == ("image", "font")
    assert metrics.attribution_of("tbt").requests == "none"
    assert metrics.attribution_of("load") == metrics.Attribution()
    assert metrics.attribution_of("step.checkout.duration_ms") == metrics.Attribution()


def test_har_page_timings_and_the_headline_metric() -> None:
    assert metrics.har_timings() == {
        "_TTFB": "ttfb",
        "_firstContentfulPaint": "fcp",
        "_largestContentfulPaint": "lcp",
        "onContentLoad": "dom_content_loaded",
        "onLoad": "load",
    }
    assert metrics.HEADLINE == "lcp"
