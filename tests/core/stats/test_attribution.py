"""Attribution of a page-metric change to hosts and entities (core/stats/attribution.py)."""

from typing import Any

from core.stats.attribution import attribute
from tests.factories import ADS, STATIC, WWW, Req, home_result, req

BASE_FCP = [100.0, 104.0, 98.0, 102.0, 101.0]


def test_a_slower_render_blocking_script_leads_the_lcp_attribution() -> None:
    base = [home_result(f, ad_ms=20.0) for f in BASE_FCP]
    branch = [home_result(f + 420, ad_ms=420.0) for f in BASE_FCP]
    found = attribute("lcp", base, branch)
    assert found["change"] == 420.0
    assert [h["name"] for h in found["hosts"]] == [ADS]
    assert found["hosts"][0]["change"] == 400.0
    assert found["hosts"][0]["detail"] == "render-blocking script +400 ms"
    assert found["message"] == "LCP +420 ms — ads.other.localhost: render-blocking script +400 ms"
    assert found["entities"][0]["name"] == "other.localhost"
    assert found["entities"][0]["change"] == 400.0


def test_requests_started_after_the_metric_do_not_count() -> None:
    late = req(STATIC, "/late.js", 900.0, 500.0, blocking=True)
    base = [home_result(f) for f in BASE_FCP]
    branch = [home_result(f + 100, extra=[late], ad_ms=120.0) for f in BASE_FCP]
    found = attribute("fcp", base, branch)
    assert [h["name"] for h in found["hosts"]] == [ADS]


def test_a_request_that_appeared_is_named_as_appeared() -> None:
    widget = req("cdn.widgets.localhost", "/w.js", 18.0, 250.0, blocking=True)
    base = [home_result(f) for f in BASE_FCP]
    branch = [home_result(f + 250, extra=[widget]) for f in BASE_FCP]
    found = attribute("fcp", base, branch)
    top = found["hosts"][0]
    assert top["name"] == "cdn.widgets.localhost"
    assert top["appeared"] == ["render-blocking script /w.js"]
    assert top["detail"] == "appeared: render-blocking script +250 ms"
    assert found["message"] == (
        "FCP +250 ms — cdn.widgets.localhost: appeared: render-blocking script +250 ms"
    )


def test_a_query_string_change_does_not_make_a_request_new() -> None:
    base = [home_result(f) for f in BASE_FCP]
    branch = [home_result(f + 300, ad_ms=320.0, ad_path="/ad.js?delay=300") for f in BASE_FCP]
    found = attribute("lcp", base, branch)
    assert found["hosts"][0]["appeared"] == []
    assert found["hosts"][0]["detail"] == "render-blocking script +300 ms"


def test_an_improvement_ranks_the_host_that_got_faster_first() -> None:
    base = [home_result(f + 300, ad_ms=320.0) for f in BASE_FCP]
    branch = [home_result(f, ad_ms=20.0) for f in BASE_FCP]
    found = attribute("lcp", base, branch)
    assert found["change"] == -300.0
    assert found["hosts"][0]["name"] == ADS
    assert found["hosts"][0]["change"] == -300.0
    assert found["message"] == "LCP -300 ms — ads.other.localhost: render-blocking script -300 ms"


def test_blocking_time_explains_tbt() -> None:
    base = [home_result(f) for f in BASE_FCP]
    branch = [home_result(f, blocking=180.0) for f in BASE_FCP]
    found = attribute("tbt", base, branch)
    assert found["hosts"][0]["name"] == ADS
    assert found["hosts"][0]["detail"] == "blocking time +180 ms"


def test_bytes_metrics_rank_by_transfer_bytes() -> None:
    big = req(WWW, "/big.js", 30.0, 5.0, bytes=50_000)
    base = [home_result(f) for f in BASE_FCP]
    branch = [home_result(f, extra=[big]) for f in BASE_FCP]
    found = attribute("transfer_bytes", base, branch)
    assert found["hosts"][0]["name"] == WWW
    assert found["hosts"][0]["change"] == 50_000.0
    assert found["message"] == (
        "Transfer +50.0 kB — www.example.localhost: appeared: script +50.0 kB"
    )


API = "api.example.localhost"
CREATE_CHAT = {"name": "create_chat", "method": "POST", "pattern": "*/api/chats"}


def chats(
    *posts: Req, steps: list[dict[str, Any]] | None = None, named: dict[str, float] | None = None
) -> dict[str, Any]:
    """A home-page run (FCP 100 ms) with ``posts`` besides, ``named`` metrics and ``steps``."""
    document = home_result(100.0, extra=list(posts))
    document["metrics"].update(named or {})
    document["steps"] = steps or []
    return document


def post(start: float, ms: float, *, status: int = 200, path: str = "/api/chats", **kw: Any) -> Req:
    return req(API, path, start, ms, kind="fetch", method="POST", status=status, **kw)


def test_a_named_requests_time_is_its_first_match_and_bytes_count_every_match() -> None:
    """ttfb_ms: the first POST's time to its first byte (not the second POST's, nor a GET);
    transfer_bytes: every POST's bytes."""
    split = {"wait": 60.0, "receive": 20.0}
    base = [
        chats(post(30, 80, timings=split, bytes=400), post(200, 50, bytes=300)) for _ in BASE_FCP
    ]
    slow = {"wait": 260.0, "receive": 20.0}
    branch = [
        chats(
            post(30, 280, timings=slow, bytes=400),
            post(400, 250, bytes=1300),
            req(API, "/api/chats", 40, 500, kind="fetch"),
        )
        for _ in BASE_FCP
    ]
    ttfb = attribute("request.create_chat.ttfb_ms", base, branch, requests=[CREATE_CHAT])
    assert [(h["name"], h["change"]) for h in ttfb["hosts"]] == [(API, 200.0)]
    assert ttfb["hosts"][0]["detail"] == "create_chat POST /api/chats +200 ms"
    sent = attribute("request.create_chat.transfer_bytes", base, branch, requests=[CREATE_CHAT])
    assert [(h["name"], h["change"]) for h in sent["hosts"]] == [(API, 1000.0)]


def test_a_named_requests_failures_count_the_matches_that_failed() -> None:
    base = [chats(post(30, 50), post(90, 50)) for _ in BASE_FCP]
    branch = [
        chats(post(30, 50, status=503), post(90, 50, status=0, error="net::ERR_FAILED"))
        for _ in BASE_FCP
    ]
    found = attribute("request.create_chat.failed", base, branch, requests=[CREATE_CHAT])
    assert [(h["name"], h["change"]) for h in found["hosts"]] == [(API, 2.0)]


def test_an_undeclared_named_request_is_attributed_to_nothing() -> None:
    metric = "request.create_chat.duration_ms"
    base = [chats(post(30, 80), named={metric: 80.0}) for _ in BASE_FCP]
    branch = [chats(post(30, 280), named={metric: 280.0}) for _ in BASE_FCP]
    found = attribute(metric, base, branch)
    assert (found["change"], found["hosts"], found["request"]) == (200.0, [], None)
    assert found["message"] == "Request create_chat Duration +200 ms"


def test_a_steps_metric_counts_only_the_requests_of_that_step() -> None:
    """The POST during step ``send`` (at 600 ms) explains the step's duration and its own
    named request; the one before the step, which got slower too, does not."""

    def run(before_ms: float, during_ms: float) -> dict[str, Any]:
        send = {"name": "send", "started_ms": 500.0, "duration_ms": during_ms + 150.0}
        send["metrics"] = {"request.create_chat.duration_ms": during_ms}
        return chats(
            post(30, before_ms),
            post(600, during_ms, path="/api/chats"),
            steps=[send],
        )

    base = [run(80, 100) for _ in BASE_FCP]
    branch = [run(380, 300) for _ in BASE_FCP]
    step = attribute("step.send.duration_ms", base, branch, requests=[CREATE_CHAT])
    assert (step["change"], [(h["name"], h["change"]) for h in step["hosts"]]) == (
        200.0,
        [(API, 200.0)],
    )
    own = attribute(
        "step.send.request.create_chat.duration_ms", base, branch, requests=[CREATE_CHAT]
    )
    assert own["request"] == CREATE_CHAT
    assert [(h["name"], h["change"], h["detail"]) for h in own["hosts"]] == [
        (API, 200.0, "create_chat POST /api/chats +200 ms")
    ]


def test_cpu_time_is_traced_to_blocking_and_memory_to_nothing() -> None:
    base = [chats(named={"cpu.script_ms": 50.0, "cpu.js_heap_used_bytes": 1e6}) for _ in BASE_FCP]
    branch = [
        home_result(100.0, blocking=180.0)
        | {"metrics": {"cpu.script_ms": 230.0, "cpu.js_heap_used_bytes": 3e6}}
        for _ in BASE_FCP
    ]
    script = attribute("cpu.script_ms", base, branch)
    assert [(h["name"], h["detail"]) for h in script["hosts"]] == [(ADS, "blocking time +180 ms")]
    heap = attribute("cpu.js_heap_used_bytes", base, branch)
    assert (heap["change"], heap["hosts"]) == (2e6, [])
