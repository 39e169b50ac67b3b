"""The run page's named metrics: grouped by family with the registry's labels and units, each
error in its place ("—" and the reason), a step's own metrics, the user timings list, escaped."""

import re
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from dashboard import named_metrics
from scenarios.models import Run
from tests.factories import result_doc, user_timing, with_named

from .conftest import HOSTILE

CHAT: dict[str, float] = {
    "user.chat_ready": 412.3,
    "user.first_message": 1250.0,
    "request.create_chat.duration_ms": 215.0,
    "request.create_chat.ttfb_ms": 120.4,
    "request.create_chat.transfer_bytes": 1500,
    "request.create_chat.count": 2,
    "request.create_chat.failed": 1,
    "custom.cart_items": 3,
    "cpu.js_heap_used_bytes": 1_843_200,
    "cpu.script_ms": 35.2,
    "ws.chat.connect_ms": 3.2,
    "ws.chat.sent": 4,
    "ws.chat.received": 5,
    "ws.chat.sent_bytes": 20,
    "ws.chat.received_bytes": 2_500_000,
    "ws.chat.reply_ms": 101.5,
    "backend.api_p95": 180.2,
}
API_P95 = {
    "target": "stats.api.p95",
    "from": 1764480000,
    "until": 1764480012,
    "points": [[1764480000, 180.2]],
    "error": None,
}
ERROR_TAG = '<small class="metric-error">'


def chat_doc(**named: Any) -> dict[str, Any]:
    """The dashboard's ``home`` run with a measured step ``send`` and the chat metrics."""
    named.setdefault("backend", {"api_p95": API_P95})
    return with_named(result_doc(steps=[("send", 500.0, 230.0)]), CHAT, **named)


def page_of(client: Client, run: Run) -> str:
    return client.get(f"/runs/{run.pk}/").content.decode()


def section(html: str, title: str) -> str:
    """The table under the ``<h3>`` called ``title``."""
    found = re.search(rf"<h3>{re.escape(title)}</h3>\s*(<table.*?</table>)", html, re.S)
    assert found is not None, title
    return found.group(1)


def steps_table(html: str) -> str:
    found = re.search(r'<table class="list steps">.*?</table>', html, re.S)
    assert found is not None
    return found.group(0)


def rows(table: str) -> list[list[str]]:
    """Each body row's cells as text (tags dropped, the reason after a <br> kept)."""
    body = table.split("<tbody>", 1)[1]
    out = []
    for row in re.findall(r"<tr>(.*?)</tr>", body, re.S):
        cells = re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)
        out.append([re.sub(r"<br>", " | ", re.sub(r"<(?!br)[^>]+>", "", c)) for c in cells])
    return out


def test_the_sections_follow_the_families_in_order(
    viewer_client: Client, make_run: Callable[..., Run]
) -> None:
    html = page_of(viewer_client, make_run(chat_doc()))

    assert re.findall(r"<h3>([^<]+)</h3>", html) == [
        "User timings",
        "Named requests",
        "JS values",
        "CPU and memory",
        "WebSockets",
        "Backend series",
    ]


def test_each_value_is_printed_in_its_registry_unit(
    viewer_client: Client, make_run: Callable[..., Run]
) -> None:
    html = page_of(viewer_client, make_run(chat_doc()))

    assert rows(section(html, "User timings")) == [
        ["chat_ready", "412 ms"],
        ["first_message", "1,250 ms"],
    ]
    requests = section(html, "Named requests")
    headers = re.findall(r'<th scope="col"[^>]*>([^<]+)</th>', requests)
    assert headers == ["Name", "Duration", "TTFB", "Transfer", "Count", "Failed"]
    assert rows(requests) == [["create_chat", "215 ms", "120 ms", "1.5 kB", "2", "1"]]
    assert rows(section(html, "JS values")) == [["cart_items", "3"]]
    assert rows(section(html, "WebSockets")) == [
        ["chat", "3 ms", "4", "5", "20 B", "2.5 MB", "102 ms"]
    ]
    assert rows(section(html, "Backend series")) == [["api_p95", "stats.api.p95", "180.2"]]


def test_cpu_lists_every_counter_and_the_unmeasured_ones_as_missing(
    viewer_client: Client, make_run: Callable[..., Run]
) -> None:
    html = page_of(viewer_client, make_run(chat_doc()))

    assert rows(section(html, "CPU and memory")) == [
        ["JS heap used", "1.8 MB"],
        ["JS heap total", "—"],
        ["Script time", "35 ms"],
        ["Layout time", "—"],
        ["Style time", "—"],
        ["Task time", "—"],
        ["DOM nodes", "—"],
    ]


def test_an_error_is_shown_in_its_place_as_missing_with_the_reason(
    viewer_client: Client, make_run: Callable[..., Run]
) -> None:
    doc = chat_doc(
        errors={
            "custom.total": "TypeError: x is undefined",
            "request.search.duration_ms": "no request matched",
            "backend.api_errors": "Graphite did not answer: timed out after 5 s",
            "cpu.dom_nodes": "the browser gives no counters",
        },
        backend={"api_p95": API_P95, "api_errors": {"target": "stats.api.5xx", "error": None}},
    )

    html = page_of(viewer_client, make_run(doc))

    assert rows(section(html, "JS values")) == [
        ["cart_items", "3"],
        ["total", "— | TypeError: x is undefined"],
    ]
    assert rows(section(html, "Named requests"))[1] == [
        "search",
        "— | no request matched",
        "—",
        "—",
        "—",
        "—",
    ]
    assert rows(section(html, "Backend series")) == [
        ["api_errors", "stats.api.5xx", "— | Graphite did not answer: timed out after 5 s"],
        ["api_p95", "stats.api.p95", "180.2"],
    ]
    assert rows(section(html, "CPU and memory"))[-1] == [
        "DOM nodes",
        "— | the browser gives no counters",
    ]
    assert "Other metric errors" not in html


def test_a_backend_series_the_server_could_not_read_shows_its_own_error(
    viewer_client: Client, make_run: Callable[..., Run]
) -> None:
    down = {"target": "stats.db.cpu", "points": [], "error": "connection refused"}
    doc = chat_doc(backend={"api_p95": API_P95, "db_cpu": down})

    html = page_of(viewer_client, make_run(doc))

    assert rows(section(html, "Backend series"))[1] == [
        "db_cpu",
        "stats.db.cpu",
        "— | connection refused",
    ]


def test_errors_with_no_place_on_the_page_are_listed_apart(
    viewer_client: Client, make_run: Callable[..., Run]
) -> None:
    doc = chat_doc(errors={"ws.chat": "socket closed early", "lcp": "no paint seen"})

    html = page_of(viewer_client, make_run(doc))

    assert f"<dd>100 ms</dd><dd>{ERROR_TAG}no paint seen</small></dd>" in html
    listed = re.search(r'<ul class="metric-errors">(.*?)</ul>', html, re.S)
    assert listed is not None
    assert listed.group(1) == "<li><code>ws.chat</code>: socket closed early</li>"


def test_the_steps_table_carries_each_steps_own_metrics(
    viewer_client: Client, make_run: Callable[..., Run]
) -> None:
    step = {
        "user.results_shown": 610.0,
        "request.search.duration_ms": 180.0,
        "cpu.script_ms": 35.2,
        "custom.results": 20,
    }
    doc = chat_doc(steps={"send": step}, errors={"step.send.custom.total": "RangeError"})

    html = page_of(viewer_client, make_run(doc))

    table = steps_table(html)
    items = re.findall(r'<li title="([^"]+)">(.*?)</li>', table)
    assert items == [
        ("step.send.user.results_shown", "User timing results_shown: 610 ms"),
        ("step.send.request.search.duration_ms", "Request search Duration: 180 ms"),
        ("step.send.custom.results", "JS value results: 20"),
        ("step.send.custom.total", f"JS value total: — {ERROR_TAG}RangeError</small>"),
        ("step.send.cpu.script_ms", "Script time: 35 ms"),
    ]
    assert rows(table)[0][:3] == ["send", "500 ms", "230 ms"]


def test_the_user_timings_are_listed_as_the_page_made_them(
    viewer_client: Client, make_run: Callable[..., Run]
) -> None:
    timings = [
        user_timing("Chat ready", 412.3),
        user_timing("send→reply", 1300.0, 101.5),
        user_timing("chat ready", 900.0, metric=False),
    ]

    html = page_of(viewer_client, make_run(chat_doc(user_timings=timings)))

    table = re.search(r'<section id="user-timings">.*?(<table.*?</table>)', html, re.S)
    assert table is not None
    url = "http://www.example.com/"
    assert rows(table.group(1)) == [
        ["Chat ready", "mark", url, "412 ms", "0 ms", "user.chat_ready"],
        ["send→reply", "measure", url, "1,300 ms", "102 ms", "user.send_reply"],
        ["chat ready", "mark", url, "900 ms", "0 ms", "—"],
    ]


def test_a_page_controlled_timing_name_and_reason_are_escaped(
    viewer_client: Client, make_run: Callable[..., Run]
) -> None:
    doc = chat_doc(
        user_timings=[user_timing(HOSTILE, 50.0)],
        errors={"custom.total": HOSTILE, "ws.chat": f"<b>{HOSTILE}</b>"},
    )

    html = page_of(viewer_client, make_run(doc))

    assert HOSTILE not in html
    assert "<b>" not in html
    escaped = "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;"
    assert f"<td>{escaped}</td><td>mark</td>" in html
    assert f"{ERROR_TAG}{escaped}</small>" in html
    assert f"<code>ws.chat</code>: &lt;b&gt;{escaped}&lt;/b&gt;</li>" in html


def test_a_run_without_named_metrics_has_no_such_section(
    viewer_client: Client, make_run: Callable[..., Run]
) -> None:
    html = page_of(viewer_client, make_run(result_doc(steps=[("send", 500.0, 230.0)])))

    assert 'id="named-metrics"' not in html
    assert 'id="user-timings"' not in html
    assert rows(steps_table(html)) == [["send", "500 ms", "230 ms", "—"]]


@pytest.mark.parametrize(
    ("name", "section"),
    [
        ("user.chat_ready", "user"),
        ("request.create_chat.ttfb_ms", "request"),
        ("custom.cart_items", "custom"),
        ("cpu.dom_nodes", "cpu"),
        ("ws.chat.reply_ms", "ws"),
        ("backend.api_p95", "backend"),
        ("lcp", None),
        ("host.cdn.example.com.transfer_bytes", None),
        ("step.send.user.sent", None),
        ("request.create_chat", None),
    ],
)
def test_a_name_belongs_to_the_section_of_its_family(name: str, section: str | None) -> None:
    assert named_metrics.section_of(name) == section


def test_a_steps_own_named_metric_is_named_but_its_duration_is_not() -> None:
    assert named_metrics.step_inner("step.send.user.sent") == ("send", "user.sent")
    assert named_metrics.is_named("step.send.user.sent")
    assert not named_metrics.is_named("step.send.duration_ms")
    assert not named_metrics.is_named("step.send.backend.api_p95")
