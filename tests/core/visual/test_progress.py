"""core.visual.histogram and core.visual.progress on synthetic frames, values worked out by
hand."""

import numpy as np
import pytest

from core.metrics import VISUAL
from core.visual.histogram import FrameError, blank, decode, histogram
from core.visual.progress import Point, frame_progress, visual_metrics

from .images import BLACK, BLUE, BOTTOM_LEFT, RED, TOP_LEFT, TOP_RIGHT, painted


def hist(data: bytes) -> np.ndarray:
    return histogram(decode(data))


def test_white_pixels_are_left_out_of_the_histogram() -> None:
    frame = hist(painted((TOP_LEFT, BLACK)))
    assert frame[:, 0].tolist() == [2500, 2500, 2500]  # the black quarter, per channel
    assert int(frame.sum()) == 3 * 2500  # the white three quarters count nowhere
    assert hist(painted()).tolist() == blank().tolist()


def test_near_white_is_background_but_one_channel_below_250_is_painted() -> None:
    frame = hist(painted((TOP_LEFT, (250, 250, 250)), (TOP_RIGHT, (255, 249, 255))))
    # Only the (255, 249, 255) quarter counts: level 255 in red and blue, 249 in green.
    assert frame[0, 255] == frame[2, 255] == 2500
    assert frame[1, 249] == 2500
    assert int(frame.sum()) == 3 * 2500


def test_progress_is_the_matched_share_of_the_change_to_the_final_frame() -> None:
    # Final: black, blue and red quarters (7,500 painted pixels). Per channel, levels:
    #   red:   0 → 5,000 (black, blue), 255 → 2,500 (red)
    #   green: 0 → 7,500
    #   blue:  0 → 5,000 (black, red),  255 → 2,500 (blue)
    # Total change from blank: 3 × 7,500 = 22,500.
    final = hist(painted((TOP_LEFT, BLACK), (TOP_RIGHT, BLUE), (BOTTOM_LEFT, RED)))
    # Black alone matches 2,500 at level 0 in each channel: 7,500 / 22,500.
    assert frame_progress(hist(painted((TOP_LEFT, BLACK))), blank(), final) == pytest.approx(1 / 3)
    # Black and blue: red 5,000 + green 5,000 + blue 2,500 (level 0) + 2,500 (255) = 15,000.
    both = hist(painted((TOP_LEFT, BLACK), (TOP_RIGHT, BLUE)))
    assert frame_progress(both, blank(), final) == pytest.approx(2 / 3)
    assert frame_progress(final, blank(), final) == 1.0
    assert frame_progress(blank(), blank(), final) == 0.0


def test_levels_within_the_slop_count_as_the_same_colour() -> None:
    final = hist(painted((TOP_LEFT, (100, 100, 100))))
    assert frame_progress(hist(painted((TOP_LEFT, (105, 105, 105)))), blank(), final) == 1.0
    assert frame_progress(hist(painted((TOP_LEFT, (106, 106, 106)))), blank(), final) == 0.0


def test_a_final_frame_no_different_from_the_start_is_complete_throughout() -> None:
    same = hist(painted((TOP_LEFT, BLACK)))
    assert frame_progress(blank(), same, same) == 1.0


def test_visual_metrics_of_three_steps() -> None:
    # Progress 0 until 200 ms, 1/3 until 500 ms, 2/3 until 1,000 ms, then 1:
    # Speed Index = 200 × 1 + 300 × 2/3 + 500 × 1/3 = 200 + 200 + 166.67 = 566.7 ms.
    curve = [Point(0, 0), Point(200, 1 / 3), Point(500, 2 / 3), Point(1000, 1.0)]
    assert visual_metrics(curve) == {
        "first_visual_change": 200.0,
        "speed_index": 566.7,
        "last_visual_change": 1000.0,
        "visually_complete_85": 1000.0,
        "visually_complete_99": 1000.0,
    }


def test_visually_complete_85_comes_at_the_first_frame_past_85_percent() -> None:
    # 0 until 100, 0.9 until 300, 0.995 until 900, then 1:
    # Speed Index = 100 + 200 × 0.1 + 600 × 0.005 = 100 + 20 + 3 = 123.0 ms.
    curve = [Point(0, 0), Point(100, 0.9), Point(300, 0.995), Point(900, 1.0)]
    metrics = visual_metrics(curve)
    assert metrics["visually_complete_85"] == 100.0
    assert metrics["visually_complete_99"] == 300.0
    assert metrics["speed_index"] == 123.0
    assert metrics["last_visual_change"] == 900.0


def test_a_viewport_that_never_changed_has_no_visual_metrics() -> None:
    with pytest.raises(ValueError, match="never changed"):
        visual_metrics([Point(0, 0)])


def test_the_metrics_computed_are_the_registry_s_visual_metrics() -> None:
    curve = [Point(0, 0), Point(10, 1.0)]
    assert set(visual_metrics(curve)) == {m.name for m in VISUAL}


def test_a_jpeg_decodes_and_garbage_does_not() -> None:
    assert decode(painted((TOP_LEFT, BLACK), fmt="JPEG")).shape == (100, 100, 3)
    with pytest.raises(FrameError):
        decode(b"\xff\xd8\xffnot really")
