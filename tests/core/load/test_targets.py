"""core.load.targets: the hosts a load test targets and the admin's allow list."""

from core.load.targets import host_allowed, refused_hosts, target_hosts

SPEC = {
    "url": "http://WWW.Example.localhost:8123/chat",
    "steps": [
        {"action": "navigate", "url": "/relative"},
        {"action": "navigate", "url": "https://shop.example.com/cart"},
        {"action": "click", "selector": "#go"},
    ],
    "actors": [{"name": "operator", "url": "https://console.example.com./"}],
    "setup": {"block": ["ads.other.localhost"], "dns": {"x.localhost": "127.0.0.1"}},
}


def test_a_load_test_targets_the_hosts_of_every_absolute_url_its_journey_opens() -> None:
    assert target_hosts(SPEC) == [
        "console.example.com",
        "shop.example.com",
        "www.example.localhost",
    ]


def test_globs_allow_subdomains_and_a_star_allows_every_host() -> None:
    assert host_allowed("shop.example.com", ["*.example.com"])
    assert not host_allowed("example.com", ["*.example.com"])
    assert host_allowed("Shop.Example.com.", ["shop.example.com"])
    assert host_allowed("anything.test", ["*"])
    assert not host_allowed("anything.test", ["", " "])


def test_the_hosts_no_pattern_allows_are_refused() -> None:
    assert refused_hosts(SPEC, ["*.example.com"]) == ["www.example.localhost"]
    assert refused_hosts(SPEC, ["*.example.com", "www.example.localhost"]) == []
    assert refused_hosts(SPEC, []) == [
        "console.example.com",
        "shop.example.com",
        "www.example.localhost",
    ]
