"""Host → (entity, category): shipped mapping, user patterns, registrable-domain fallback."""

import json
from importlib import resources

import pytest

from core.har.entities import CATEGORIES, classify, shipped


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("www.google-analytics.com", ("Google Analytics", "analytics")),
        ("www.googletagmanager.com", ("Google Tag Manager", "tag_manager")),
        ("securepubads.g.doubleclick.net", ("Google Ads", "ads")),
        ("connect.facebook.net", ("Facebook Pixel", "ads")),
        ("static.xx.fbcdn.net", ("Facebook", "social")),
        ("fonts.googleapis.com", ("Google Fonts", "fonts")),
        ("fonts.gstatic.com", ("Google Fonts", "fonts")),
        ("maps.googleapis.com", ("Google Maps", "other")),
        ("www.gstatic.com", ("Google APIs", "other")),
        ("cdnjs.cloudflare.com", ("cdnjs (Cloudflare)", "cdn")),
        ("cdn.jsdelivr.net", ("jsDelivr", "cdn")),
        ("widget.intercom.io", ("Intercom", "customer_success")),
        ("static.zdassets.com", ("Zendesk", "customer_success")),
        ("i.ytimg.com", ("YouTube", "video")),
        ("player.vimeo.com", ("Vimeo", "video")),
        ("static.criteo.net", ("Criteo", "ads")),
        ("cdn.taboola.com", ("Taboola", "ads")),
        ("widgets.outbrain.com", ("Outbrain", "ads")),
        ("cdn.segment.com", ("Segment", "analytics")),
        ("js-agent.newrelic.com", ("New Relic", "analytics")),
        ("browser.sentry-cdn.com", ("Sentry", "analytics")),
        ("CDN.Optimizely.com.", ("Optimizely", "analytics")),
    ],
)
def test_well_known_hosts_map_to_their_entity_and_category(
    host: str, expected: tuple[str, str]
) -> None:
    assert classify(host) == expected


def test_unknown_hosts_fall_back_to_their_registrable_domain() -> None:
    assert classify("img.shop.example.co.uk") == ("example.co.uk", "other")
    assert classify("ads.other.localhost") == ("other.localhost", "other")
    assert classify("10.0.0.7") == ("10.0.0.7", "other")


def test_user_patterns_add_domains_and_win_ties_with_the_shipped_mapping() -> None:
    mine = [("example.net", "Our CDN", "cdn"), ("google-analytics.com", "GA (ours)", "analytics")]
    assert classify("img.example.net", mine) == ("Our CDN", "cdn")
    assert classify("example.net", mine) == ("Our CDN", "cdn")
    assert classify("www.google-analytics.com", mine) == ("GA (ours)", "analytics")


def test_the_longest_matching_suffix_wins() -> None:
    mine = [("googleapis.com", "Google (all)", "other")]
    assert classify("fonts.googleapis.com", mine) == ("Google Fonts", "fonts")
    assert classify("storage.googleapis.com", mine) == ("Google Cloud Storage", "cdn")
    assert classify("www.googleapis.com", mine) == ("Google (all)", "other")


def test_a_wildcard_pattern_matches_subdomains_only() -> None:
    mine = [("*.tracker.localhost", "Tracker", "analytics")]
    assert classify("beacon.tracker.localhost", mine) == ("Tracker", "analytics")
    assert classify("tracker.localhost", mine) == ("tracker.localhost", "other")


def test_the_shipped_mapping_is_large_consistent_and_uses_known_categories() -> None:
    text = resources.files("core.har").joinpath("data/entities.json").read_text("utf-8")
    data = json.loads(text)
    assert set(data["categories"]) == set(CATEGORIES)
    domains = [d for entry in data["entities"] for d in entry["domains"]]
    assert len(domains) == len(set(domains)) == len(shipped())
    assert len(domains) >= 300
    assert {entry["category"] for entry in data["entities"]} == set(CATEGORIES)
    assert all(d == d.lower().strip(".") and " " not in d for d in domains)
