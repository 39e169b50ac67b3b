"""What a spec's setup asks of a browser context, as plain data: no browser needed."""

import pytest

from agents.context_options import blocked, context_options

PHONE = {
    "user_agent": "Phone/1.0",
    "viewport": {"width": 390, "height": 844},
    "is_mobile": True,
    "default_browser_type": "webkit",
}


def test_a_bare_domain_blocks_itself_and_its_subdomains_only() -> None:
    patterns = ["other.localhost"]
    assert blocked("http://other.localhost/a.js", patterns) is True
    assert blocked("http://ads.other.localhost/a.js", patterns) is True
    assert blocked("http://another.localhost/a.js", patterns) is False
    assert blocked("http://www.example.localhost/other.localhost", patterns) is False


def test_a_glob_matches_the_whole_url() -> None:
    patterns = ["*://ads.example.com/*"]
    assert blocked("https://ads.example.com/banner.js", patterns) is True
    assert blocked("https://www.example.com/ads.example.com/", patterns) is False
    assert blocked("https://ads.example.com", patterns) is False


def test_the_spec_overrides_the_device_it_starts_from() -> None:
    spec = {
        "setup": {
            "device": "Phone",
            "viewport": {"width": 400, "height": 300},
            "headers": {"X-Test": "1"},
        }
    }
    assert context_options(spec, {"Phone": PHONE}) == {
        "user_agent": "Phone/1.0",
        "viewport": {"width": 400, "height": 300},
        "is_mobile": True,
        "extra_http_headers": {"X-Test": "1"},
    }


def test_no_setup_means_the_browsers_defaults() -> None:
    assert context_options({"url": "http://www.example.localhost/"}, {"Phone": PHONE}) == {}


def test_an_unknown_device_is_refused() -> None:
    with pytest.raises(ValueError, match="^unknown device 'Toaster'$"):
        context_options({"setup": {"device": "Toaster"}}, {"Phone": PHONE})
