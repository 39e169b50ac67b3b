"""The filmstrip on the run and compare pages: the picture at each tick, the page timings
marked, the visual metrics, frames served only to people who may see the run."""

import re
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from core.visual.archive import pack
from dashboard.filmstrip import strip
from scenarios.models import Location, Run, Scenario
from scenarios.runs.store import store_result
from tests.factories import page

JPEGS = [b"\xff\xd8\xff" + bytes([n]) * 50 for n in range(4)]
FRAMES = [
    {"ms": 0.0, "progress": 0.0},
    {"ms": 120.0, "progress": 0.34},
    {"ms": 520.0, "progress": 0.67},
    {"ms": 1010.0, "progress": 1.0},
]
VISUAL = {
    "first_visual_change": 120.0,
    "speed_index": 553.4,
    "visually_complete_85": 1010.0,
    "visually_complete_99": 1010.0,
    "last_visual_change": 1010.0,
}


def filmed(**changes: Any) -> dict[str, Any]:
    result = page(ttfb=10.0, fcp=118.0, lcp=515.0, dcl=60.0, load=130.0)
    result["metrics"].update(VISUAL)
    result["filmstrip"] = {"frames": FRAMES, "error": None}
    result.update(changes)
    return result


@pytest.fixture
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def stored(scenario: Scenario, location: Location, result: dict[str, Any], film: Any) -> Run:
    run = Run.objects.create(scenario=scenario, location=location)
    assert store_result(run.pk, result, None, filmstrip=film)
    return Run.objects.get(pk=run.pk)


@pytest.fixture
def filmed_run(scenario: Scenario, location: Location, media: Path) -> Run:
    return stored(scenario, location, filmed(), pack(JPEGS))


def cells(html: str) -> list[tuple[str, str, str]]:
    """(time, frame URL or "blank", marks) per cell of the first strip on the page."""
    strip_html = html.split('<ol class="fs-cells">', 1)[1].split("</ol>", 1)[0]
    found = []
    for cell in strip_html.split('<li class="fs-cell')[1:]:
        time = re.search(r'<span class="fs-time">([^<]+)<', cell)
        image = re.search(r'<img src="([^"]+)"', cell)
        marks = re.findall(r'<span class="fs-mark">([^<]+)<', cell)
        assert time is not None
        found.append((time.group(1), image.group(1) if image else "blank", " ".join(marks)))
    return found


def test_the_run_page_shows_the_strip_every_500_ms_with_fcp_lcp_and_load_marked(
    viewer_client: Client, filmed_run: Run
) -> None:
    html = viewer_client.get(f"/runs/{filmed_run.pk}/").content.decode()
    frame = f"/runs/{filmed_run.pk}/filmstrip/{{}}.jpg"

    assert cells(html) == [
        ("0 ms", frame.format(0), ""),
        ("500 ms", frame.format(1), "FCP DCL Load"),
        ("1,000 ms", frame.format(2), "LCP"),
        ("1,500 ms", frame.format(3), ""),
    ]
    assert "<dt>Speed Index</dt><dd>553 ms</dd>" in html
    assert "<dt>Visually complete 85%</dt><dd>1,010 ms</dd>" in html


def test_a_shorter_interval_shows_more_ticks_and_keeps_the_page_s_other_parameters(
    viewer_client: Client, filmed_run: Run
) -> None:
    html = viewer_client.get(f"/runs/{filmed_run.pk}/?filmstrip=100").content.decode()

    strip_cells = cells(html)
    assert len(strip_cells) == 12  # 0, 100 … 1,100 ms: the first tick at or after 1,010 ms
    assert strip_cells[2] == ("200 ms", f"/runs/{filmed_run.pk}/filmstrip/1.jpg", "FCP Load")
    assert '<a href="?filmstrip=100" aria-current="true">100 ms</a>' in html
    assert '<a href="?filmstrip=1000">1,000 ms</a>' in html


def test_a_frame_is_served_as_stored_and_only_to_a_signed_in_viewer(
    viewer_client: Client, filmed_run: Run
) -> None:
    response = viewer_client.get(f"/runs/{filmed_run.pk}/filmstrip/2.jpg")
    assert (response.status_code, response["Content-Type"]) == (200, "image/jpeg")
    assert response.content == JPEGS[2]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert viewer_client.get(f"/runs/{filmed_run.pk}/filmstrip/4.jpg").status_code == 404

    anonymous = Client().get(f"/runs/{filmed_run.pk}/filmstrip/2.jpg")
    assert anonymous.status_code == 302 and "/login" in anonymous["Location"]


def test_a_run_without_stored_frames_says_why(
    viewer_client: Client, scenario: Scenario, location: Location, media: Path
) -> None:
    purged = stored(scenario, location, filmed(), pack(JPEGS))
    Run.objects.filter(pk=purged.pk).update(filmstrip="")
    never = stored(scenario, location, page(ttfb=10.0), None)

    purged_html = viewer_client.get(f"/runs/{purged.pk}/").content.decode()
    never_html = viewer_client.get(f"/runs/{never.pk}/").content.decode()

    assert "The frames were deleted with the run&#x27;s HAR (retention)." in purged_html
    assert "<dt>Speed Index</dt><dd>553 ms</dd>" in purged_html  # the numbers stay
    assert viewer_client.get(f"/runs/{purged.pk}/filmstrip/0.jpg").status_code == 404
    assert "No filmstrip: this run's scenario captures none." in never_html


def test_absent_visual_metrics_show_the_reason(
    viewer_client: Client, scenario: Scenario, location: Location, media: Path
) -> None:
    reason = "the run did not succeed, so its last frame is not the loaded page"
    result = page(ttfb=10.0, fcp=118.0)
    result["filmstrip"] = {"frames": [{"ms": 0.0, "progress": None}], "error": reason}
    result["metric_errors"] = dict.fromkeys(VISUAL, reason)
    run = stored(scenario, location, result, pack(JPEGS[:1]))

    html = viewer_client.get(f"/runs/{run.pk}/").content.decode()

    assert (
        f'<dt>Speed Index</dt><dd>—</dd><dd><small class="metric-error">{reason}</small></dd>'
        in html
    )


def test_the_compare_page_shows_both_sides_filmstrips(
    viewer_client: Client, scenario: Scenario, location: Location, media: Path
) -> None:
    base = stored(scenario, location, filmed(), pack(JPEGS))
    branch = stored(scenario, location, filmed(), pack(JPEGS))

    html = viewer_client.get(
        f"/compare/?base={base.pk}&branch={branch.pk}&filmstrip=1000"
    ).content.decode()

    assert html.count('<ol class="fs-cells">') == 2
    assert f'src="/runs/{base.pk}/filmstrip/3.jpg"' in html
    assert f'src="/runs/{branch.pk}/filmstrip/3.jpg"' in html
    assert f'<a href="?base={base.pk}&amp;branch={branch.pk}&amp;filmstrip=500">' in html


def test_a_run_that_captured_no_filmstrip_has_no_strip() -> None:
    assert strip(page(ttfb=1.0), 500, stored=False) is None
    assert strip(None, 500, stored=False) is None
