"""core.visual.strip: the picture on screen at each tick of a fixed interval."""

import pytest

from core.visual.strip import MAX_CELLS, cells

FRAMES = [(0.0, 0.0), (120.0, 0.4), (480.0, 0.9), (1010.0, 1.0)]


def test_each_tick_shows_the_latest_frame_at_or_before_it() -> None:
    strip, cut = cells(FRAMES, 500, {"fcp": 118.5, "lcp": 470.0, "load": None})
    assert not cut
    assert [(c.ms, c.frame, c.changed, c.progress, c.marks) for c in strip] == [
        (0, 0, True, 0.0, ()),
        (500, 2, True, 0.9, ("fcp", "lcp")),
        (1000, 2, False, 0.9, ()),
        (1500, 3, True, 1.0, ()),
    ]


def test_ticks_before_the_first_frame_show_nothing() -> None:
    strip, _ = cells([(250.0, None)], 100)
    assert [(c.ms, c.frame, c.changed) for c in strip] == [
        (0, None, False),
        (100, None, False),
        (200, None, False),
        (300, 0, True),
    ]


def test_a_mark_at_zero_lands_on_the_first_tick() -> None:
    strip, _ = cells(FRAMES, 1000, {"ttfb": 0.0})
    assert strip[0].marks == ("ttfb",)


def test_a_long_strip_is_cut_at_the_maximum() -> None:
    strip, cut = cells([(0.0, 0.0), (100.0 * MAX_CELLS, 1.0)], 100)
    assert cut and len(strip) == MAX_CELLS


def test_the_interval_must_be_positive() -> None:
    with pytest.raises(ValueError):
        cells(FRAMES, 0)
