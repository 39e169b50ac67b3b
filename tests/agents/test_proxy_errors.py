"""The browser's "SOCKS connection failed" errors, explained with the proxy's reasons."""

from agents.proxy_errors import explain

FAILURES = {
    ("ads.example", 80): "blocked by the address policy: ads.example:80 resolves to 10.0.0.1, …",
    ("gone.example", 443): "net::ERR_NAME_NOT_RESOLVED",
}


def test_the_browser_errors_are_explained_with_the_proxys_reasons() -> None:
    socks_failed = "net::ERR_SOCKS_CONNECTION_FAILED"
    assert (
        explain(socks_failed, "http://ads.example/a.js", FAILURES) == FAILURES[("ads.example", 80)]
    )
    assert (
        explain(f"Page.goto: {socks_failed} at https://gone.example/x", "", FAILURES)
        == "Page.goto: net::ERR_NAME_NOT_RESOLVED at https://gone.example/x"
    )
    assert (
        explain(f"line 2: navigate /: {socks_failed} at http://ads.example/", "", FAILURES)
        == "line 2: navigate /: " + FAILURES[("ads.example", 80)]
    )
    # without a reason from the proxy, the browser's own text stays
    assert explain(socks_failed, "http://other.example/", FAILURES) == socks_failed
    assert explain("net::ERR_ABORTED", "http://ads.example/", FAILURES) == "net::ERR_ABORTED"
