"""Waterfall rows from a result document: order, bar geometry, phases, marks, filters."""

from typing import Any

import pytest

from dashboard.waterfall import build_waterfall, totals_table
from tests.factories import Navigation, page, req, result_doc


def test_rows_are_in_start_order_and_numbered() -> None:
    doc = result_doc(
        requests=[
            req("b.example.com", "/asset", 50.0, 40.0),
            req("a.example.com", "/asset", 0.0, 40.0),
            req("c.other.com", "/asset", 25.0, 40.0),
        ]
    )
    doc["requests"].reverse()  # the builder sorts them; the waterfall must not rely on it

    wf = build_waterfall(doc)

    assert [(r.number, r.host) for r in wf.rows] == [
        (1, "a.example.com"),
        (2, "c.other.com"),
        (3, "b.example.com"),
    ]
    assert wf.hosts == ["a.example.com", "b.example.com", "c.other.com"]
    assert wf.parties == ["first", "third"]


def test_bars_are_placed_in_percent_of_the_span() -> None:
    doc = page(requests=[req("a.com", "/", 0.0, 40.0), req("b.com", "/", 60.0, 40.0)])

    wf = build_waterfall(doc)

    assert wf.span_ms == 100.0  # the last request ends at 60 + 40 ms
    assert (wf.rows[1].left, wf.rows[1].width) == (60.0, 40.0)


def test_phases_split_ssl_out_of_connect_and_follow_each_other() -> None:
    phases = {
        "blocked": 1.0,
        "dns": 2.0,
        "connect": 8.0,
        "ssl": 3.0,
        "send": 0.5,
        "wait": 20.0,
        "receive": 5.5,
    }
    doc = page(requests=[req("a.com", "/", 0.0, 40.0, scheme="https", timings=phases)])

    segments = build_waterfall(doc).rows[0].segments

    # blocked 1, dns 2, connect 8 - ssl 3 = 5, ssl 3, send 0.5, wait 20, receive 5.5 (of 40 ms)
    assert [(s.phase, s.ms, s.left, s.width) for s in segments] == [
        ("blocked", 1.0, 0.0, 2.5),
        ("dns", 2.0, 2.5, 5.0),
        ("connect", 5.0, 7.5, 12.5),
        ("ssl", 3.0, 20.0, 7.5),
        ("send", 0.5, 27.5, 1.25),
        ("wait", 20.0, 28.75, 50.0),
        ("receive", 5.5, 78.75, 13.75),
    ]


def test_not_applicable_timings_are_left_out() -> None:
    doc = result_doc(requests=[req("a.com", "/", 0.0, 40.0)])
    # Hand-made: HAR's "not applicable" and garbage, as an imported document could carry.
    doc["requests"][0]["timings"] = {
        "blocked": -1,
        "dns": -1,
        "connect": -1,
        "ssl": -1,
        "send": 0,
        "wait": 30.0,
        "receive": "junk",
    }

    assert [s.phase for s in build_waterfall(doc).rows[0].segments] == ["wait"]


def test_page_marks_are_offset_by_the_page_start() -> None:
    doc = page(
        requests=[req("a.com", "/", 0.0, 40.0)],
        fcp=20.0,
        load=50.0,
        navigations=[Navigation("http://www.example.localhost/next", 100.0, load=100.0)],
    )

    wf = build_waterfall(doc)

    assert wf.span_ms == 200.0
    assert [(m.name, m.ms, m.left) for m in wf.marks] == [
        ("FCP", 20.0, 10.0),
        ("Load", 50.0, 25.0),
        ("Load", 200.0, 100.0),
    ]


def test_an_empty_or_missing_result_gives_an_empty_waterfall() -> None:
    for doc in (None, {}, {"requests": "garbage", "pages": [1]}):
        wf = build_waterfall(doc)
        assert (wf.rows, wf.marks, wf.span_ms) == ([], [], 1.0)


def test_totals_tables_list_heaviest_first() -> None:
    doc = result_doc(
        requests=[
            req("www.example.com", "/", 0.0, 40.0, kind="document", bytes=1200),
            req("ads.other.com", "/ad.js", 50.0, 40.0, bytes=5000),
        ]
    )

    rows = totals_table(doc, "entities")

    assert [r["name"] for r in rows] == ["other.com", "example.com"]
    assert [r["transfer_bytes"] for r in rows] == [5000, 1200]


def test_totals_table_refuses_unknown_keys() -> None:
    with pytest.raises(ValueError, match="no totals table 'requests'"):
        totals_table(result_doc(), "requests")


def test_a_request_missing_its_numbers_shows_them_absent_not_zero() -> None:
    bare = {"url": "http://a.example.com/", "host": "a.example.com", "party": "first"}
    row = build_waterfall({"requests": [bare]}).rows[0]
    assert (row.transfer_bytes, row.started_ms, row.duration_ms) == (None, None, None)
    assert (row.left, row.width) == (0.0, 0.2)


@pytest.mark.parametrize(
    ("partial", "shown"),
    [
        ({"steps": [{"name": "a", "duration_ms": 1}]}, '<td>a</td><td class="num">—</td>'),
        ({"hosts": {"h": {"requests": 1}}}, '<td class="num">—</td><td class="num">—</td>'),
        (
            {"requests": [{"url": "http://h/", "host": "h", "party": "first"}]},
            'title="starts —, takes —"',
        ),
    ],
    ids=["step-without-start", "host-without-bytes", "request-without-numbers"],
)
def test_the_run_page_shows_an_absent_number_as_a_dash(
    viewer_client: Any, make_run: Any, partial: dict[str, Any], shown: str
) -> None:
    run = make_run({**result_doc(), **partial})
    page = viewer_client.get(f"/runs/{run.pk}/")
    assert page.status_code == 200
    assert shown in page.content.decode()
