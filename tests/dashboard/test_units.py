"""Every page prints metrics by the registry: its labels, its lists and its one formatter.

One size unit everywhere: alert messages print 1,000,000 B as "1.0 MB" (core.metrics), and so
does every dashboard page. A value that was not measured is "—", never 0.
"""

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.test import Client

from core.metrics import page_metrics
from dashboard.waterfall import MARKS
from scenarios.models import Run
from tests.factories import req, result_doc

STYLESHEET = Path(__file__).parents[2] / "dashboard/static/dashboard/dashboard.css"


def megabyte_run(make_run: Callable[..., Run]) -> Run:
    """A run that moved exactly 1,000,000 bytes (999,900 of body, all from one host) and has
    no LCP."""
    doc: dict[str, Any] = result_doc(
        lcp=None,
        requests=[
            req("www.example.com", "/", 0.0, 40.0, kind="document", bytes=1200, body=1100),
            req("www.example.com", "/app.js", 50.0, 40.0, bytes=998_800),
        ],
    )
    return make_run(doc)


def test_the_run_page_prints_a_million_bytes_as_one_megabyte(
    viewer_client: Client, make_run: Callable[..., Run]
) -> None:
    run = megabyte_run(make_run)

    html = viewer_client.get(f"/runs/{run.pk}/").content.decode()

    assert "<dt>Transfer</dt><dd>1.0 MB</dd>" in html
    assert '<td class="num">1.0 MB</td><td class="num">999.9 kB</td>' in html  # host totals
    assert "<dt>LCP</dt><dd>—</dd>" in html


def test_the_run_page_lists_the_registry_column_metrics_with_their_labels(
    viewer_client: Client, make_run: Callable[..., Run]
) -> None:
    html = viewer_client.get(f"/runs/{make_run().pk}/").content.decode()

    labels = re.findall(r"<dt>([^<]+)</dt>", html)

    assert labels == [m.label for m in page_metrics(column=True)]


def test_the_waterfall_marks_are_the_registry_marks_with_short_labels(
    viewer_client: Client, make_run: Callable[..., Run]
) -> None:
    html = viewer_client.get(f"/runs/{make_run().pk}/").content.decode()

    assert re.findall(r'<span class="mark-key (mark\d)">([^<]+)</span>', html) == [
        ("mark0", "FCP 60 ms"),
        ("mark1", "LCP 100 ms"),
        ("mark2", "DCL 70 ms"),
        ("mark3", "Load 120 ms"),
    ]


def test_the_stylesheet_draws_a_line_for_every_registry_mark() -> None:
    css = STYLESHEET.read_text()

    for slot in range(len(MARKS)):
        assert f"var(--mark{slot})" in css


def test_the_scenario_list_shows_the_summary_metrics_in_the_one_unit(
    viewer_client: Client, make_run: Callable[..., Run]
) -> None:
    megabyte_run(make_run)

    html = viewer_client.get("/").content.decode()

    headers = re.findall(r'<th scope="col" class="num">([^<]+)</th>', html)
    assert headers == ["TTFB", "LCP", "Transfer", "Third-party bytes", "Alerts"]
    cells = re.findall(r'<td class="num">([^<]+)(?:<br>|</td>)', html)
    assert cells[:4] == ["10 ms", "—", "1.0 MB", "0 B"]
    assert '<option value="lcp" selected>LCP</option>' in html


def test_the_latest_runs_table_shows_the_summary_metrics(
    viewer_client: Client, make_run: Callable[..., Run]
) -> None:
    run = megabyte_run(make_run)

    html = viewer_client.get("/scenarios/home/").content.decode()

    assert (
        '<th scope="col">Status</th><th scope="col" class="num">TTFB</th>'
        '<th scope="col" class="num">LCP</th><th scope="col" class="num">Transfer</th>'
        '<th scope="col" class="num">Third-party bytes</th>'
    ) in html
    assert (
        f'<span class="status succeeded">{run.get_status_display()}</span></td>'
        '<td class="num">10 ms</td><td class="num">—</td><td class="num">1.0 MB</td>'
        '<td class="num">0 B</td>'
    ) in html


def test_chart_captions_and_units_come_from_the_registry(
    viewer_client: Client, make_run: Callable[..., Run]
) -> None:
    make_run()

    html = viewer_client.get("/scenarios/home/").content.decode()
    data = viewer_client.get("/scenarios/home/series.json").json()

    captions = re.findall(r'<figure class="chart" data-metric="(\w+)"><figcaption>([^<]+)<', html)
    assert captions == [
        ("ttfb", "TTFB (ms)"),
        ("fcp", "FCP (ms)"),
        ("lcp", "LCP (ms)"),
        ("cls", "CLS"),
        ("tbt", "TBT (ms)"),
        ("load", "Load (ms)"),
        ("requests", "Requests"),
        ("transfer_bytes", "Transfer (B)"),
        ("speed_index", "Speed Index (ms)"),
    ]
    assert data["units"] == {
        "ttfb": "ms",
        "fcp": "ms",
        "lcp": "ms",
        "cls": "score",
        "tbt": "ms",
        "load": "ms",
        "requests": "count",
        "transfer_bytes": "bytes",
        "speed_index": "ms",
        "party_bytes": "bytes",
        "party_time": "ms",
    }
