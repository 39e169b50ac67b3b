"""core.visual.filmstrip: frames put on the navigation's clock, kept or dropped, developed
into visual metrics or a reason."""

from core.visual.filmstrip import Capture, align, develop

from .images import BLACK, BLUE, BOTTOM_LEFT, RED, TOP_LEFT, TOP_RIGHT, painted

ORIGIN = 1_700_000_000_000.0  # navigation start, epoch ms
WHITE = painted()
ONE = painted((TOP_LEFT, BLACK))
TWO = painted((TOP_LEFT, BLACK), (TOP_RIGHT, BLUE))
THREE = painted((TOP_LEFT, BLACK), (TOP_RIGHT, BLUE), (BOTTOM_LEFT, RED))


def test_frames_before_navigation_collapse_into_the_latest_at_zero() -> None:
    frames = [(ORIGIN + 200.04, ONE), (ORIGIN - 30, b"older"), (ORIGIN - 5, WHITE)]
    assert align(frames, ORIGIN) == [(0.0, WHITE), (200.0, ONE)]


def test_a_frame_sent_again_unchanged_is_dropped() -> None:
    frames = [(ORIGIN, WHITE), (ORIGIN + 100, ONE), (ORIGIN + 150, ONE), (ORIGIN + 300, TWO)]
    assert [ms for ms, _ in align(frames, ORIGIN)] == [0.0, 100.0, 300.0]


def test_three_steps_give_the_metrics_worked_out_by_hand() -> None:
    # The frames of test_progress's three steps: progress 1/3 at 200 ms, 2/3 at 500 ms, 1 at
    # 1,000 ms; Speed Index 200 + 300 × 2/3 + 500 × 1/3 = 566.7 ms.
    capture = Capture(
        [(ORIGIN - 10, WHITE), (ORIGIN + 200, ONE), (ORIGIN + 500, TWO), (ORIGIN + 1000, THREE)]
    )
    film = develop(capture, ORIGIN, complete=True)
    assert film.error is None
    assert film.metrics == {
        "first_visual_change": 200.0,
        "speed_index": 566.7,
        "last_visual_change": 1000.0,
        "visually_complete_85": 1000.0,
        "visually_complete_99": 1000.0,
    }
    assert film.document() == {
        "frames": [
            {"ms": 0.0, "progress": 0.0},
            {"ms": 200.0, "progress": 0.3333},
            {"ms": 500.0, "progress": 0.6667},
            {"ms": 1000.0, "progress": 1.0},
        ],
        "error": None,
    }
    assert [f.jpeg for f in film.frames] == [WHITE, ONE, TWO, THREE]


def test_without_a_frame_before_navigation_the_start_is_taken_as_blank() -> None:
    film = develop(Capture([(ORIGIN + 200, ONE), (ORIGIN + 500, TWO)]), ORIGIN, complete=True)
    # Final TWO: 5,000 painted pixels; ONE matches red 2,500 + green 2,500 + blue 2,500 of
    # 15,000: progress 0.5 from 200 ms. Speed Index = 200 × 1 + 300 × 0.5 = 350 ms.
    assert film.metrics["speed_index"] == 350.0
    assert film.metrics["first_visual_change"] == 200.0
    assert [f.ms for f in film.frames] == [200.0, 500.0]


def test_a_frame_with_the_same_pixels_as_the_one_before_is_not_a_change() -> None:
    # PNG and JPEG of a white viewport differ in bytes; both decode to pure white.
    same = painted(fmt="PNG")
    again = painted(fmt="BMP")
    film = develop(
        Capture([(ORIGIN, same), (ORIGIN + 100, again), (ORIGIN + 400, ONE)]), ORIGIN, complete=True
    )
    assert [f.ms for f in film.frames] == [0.0, 400.0]
    assert film.metrics["first_visual_change"] == 400.0


def test_a_blank_frame_after_navigation_start_is_no_visual_change() -> None:
    # The new document's first, still white, frame at 10 ms: the picture has not changed yet.
    frames = [(ORIGIN + 10, painted(fmt="BMP")), (ORIGIN + 200, ONE), (ORIGIN + 500, TWO)]
    film = develop(Capture(frames), ORIGIN, complete=True)
    assert [(f.ms, f.progress) for f in film.frames] == [(10.0, 0.0), (200.0, 0.5), (500.0, 1.0)]
    assert film.metrics["first_visual_change"] == 200.0
    assert film.metrics["speed_index"] == 350.0


def test_a_cut_capture_keeps_its_frames_and_says_why_it_has_no_metrics() -> None:
    capture = Capture([(ORIGIN, WHITE), (ORIGIN + 100, ONE)], cut="more than 2 frames")
    film = develop(capture, ORIGIN, complete=True)
    assert film.metrics == {}
    assert film.error == "the filmstrip was cut short: more than 2 frames"
    assert film.document()["frames"] == [
        {"ms": 0.0, "progress": None},
        {"ms": 100.0, "progress": None},
    ]


def test_a_run_that_did_not_succeed_has_frames_but_no_metrics() -> None:
    film = develop(Capture([(ORIGIN, WHITE), (ORIGIN + 100, ONE)]), ORIGIN, complete=False)
    assert film.metrics == {}
    assert film.error == "the run did not succeed, so its last frame is not the loaded page"
    assert len(film.frames) == 2


def test_a_viewport_that_never_changed_has_no_metrics() -> None:
    film = develop(Capture([(ORIGIN - 3, WHITE)]), ORIGIN, complete=True)
    assert (film.metrics, film.error) == ({}, "the viewport never changed")


def test_a_frame_that_does_not_decode_is_dropped_and_named() -> None:
    capture = Capture([(ORIGIN, WHITE), (ORIGIN + 50, b"\xff\xd8\xffbroken"), (ORIGIN + 90, ONE)])
    film = develop(capture, ORIGIN, complete=True)
    assert [f.ms for f in film.frames] == [0.0, 90.0]
    assert film.error is not None and film.error.startswith("a frame at 50.0 ms could not be")
