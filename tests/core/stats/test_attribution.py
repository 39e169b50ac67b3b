"""Attribution of a page-metric change to hosts and entities (core/stats/attribution.py)."""

from core.stats.attribution import attribute
from tests.factories import ADS, STATIC, WWW, home_result, req

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
