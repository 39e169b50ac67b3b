"""Formatting filters: metric values with units, signed changes, sparkline geometry."""

from dashboard.templatetags.perfite import change_class, metric, signed_pct, spark_points


def test_metric_formats_by_unit() -> None:
    assert metric(None, "ms") == "–"
    assert metric(1234.5, "ms") == "1,234 ms"
    assert metric(512, "B") == "512 B"
    assert metric(2048, "B") == "2.0 kB"
    assert metric(3 * 1024 * 1024, "B") == "3.0 MB"
    assert metric(0.0123) == "0.012"
    assert metric(42) == "42"


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
