"""Formatting filters: metric values by the one formatter, signed changes, sparklines."""

import pytest

from core.metrics import UnknownMetric
from dashboard.templatetags.perfite import (
    change_class,
    metric,
    metric_change,
    signed_pct,
    spark_points,
)


def test_metric_formats_by_the_metric_name() -> None:
    assert metric(1234.5, "lcp") == "1,234 ms"
    assert metric(0.0123, "cls") == "0.012"
    assert metric(42, "requests") == "42"
    assert metric(2048, "third_party_bytes") == "2.0 kB"
    assert metric(900.0, "host.cdn.example.com.time_ms") == "900 ms"


def test_metric_formats_by_a_unit_where_a_template_knows_only_the_unit() -> None:
    assert metric(512, "bytes") == "512 B"
    assert metric(1234.5, "ms") == "1,234 ms"
    assert metric(3, "count") == "3"
    assert metric(0.25, "score") == "0.250"


def test_a_megabyte_is_a_million_bytes_as_in_alert_messages() -> None:
    assert metric(1_000_000, "transfer_bytes") == "1.0 MB"
    assert metric(1_000_000, "bytes") == "1.0 MB"
    assert metric(1_500, "bytes") == "1.5 kB"


def test_a_missing_value_is_an_em_dash_not_zero() -> None:
    assert metric(None, "lcp") == "—"
    assert metric(None, "bytes") == "—"
    assert metric_change(None, "lcp") == "—"


def test_changes_carry_their_sign() -> None:
    assert metric_change(40.0, "lcp") == "+40 ms"
    assert metric_change(-2048, "transfer_bytes") == "-2.0 kB"
    assert metric_change(0, "ms") == "±0 ms"


@pytest.mark.parametrize("name", ["B", "lcpp", "party.third"])
def test_a_name_that_is_neither_metric_nor_unit_is_refused(name: str) -> None:
    with pytest.raises(UnknownMetric):
        metric(1.0, name)


def test_signed_pct_never_shows_a_negative_zero() -> None:
    assert signed_pct(None) == ""
    assert signed_pct(-0.04) == "0.0%"
    assert signed_pct(12.34) == "+12.3%"
    assert signed_pct(-5.0) == "-5.0%"


def test_change_class_treats_small_changes_as_noise() -> None:
    assert [change_class(v) for v in (None, 4.9, -4.9, 5.0, -5.0)] == [
        "same",
        "same",
        "same",
        "worse",
        "better",
    ]


def test_spark_points_scale_into_the_box_and_skip_gaps() -> None:
    assert spark_points([10.0, None, 30.0]) == "0.0,22.0 100.0,2.0"
    assert spark_points([5.0]) == ""
    assert spark_points([None, None]) == ""
