from core.har.classify import PartyRule, content_class, registrable_domain


def test_registrable_domain_uses_the_public_suffix_list_offline() -> None:
    assert registrable_domain("a.b.example.co.uk") == "example.co.uk"
    assert registrable_domain("www.googletagmanager.com") == "googletagmanager.com"
    assert registrable_domain("cdn.jsdelivr.net") == "jsdelivr.net"


def test_names_without_public_suffix_use_their_last_two_labels() -> None:
    assert registrable_domain("www.example.localhost") == "example.localhost"
    assert registrable_domain("ads.other.localhost") == "other.localhost"
    assert registrable_domain("intranet") == "intranet"


def test_ip_addresses_stand_for_themselves() -> None:
    assert registrable_domain("127.0.0.1") == "127.0.0.1"


def test_default_first_party_is_the_page_domain_and_its_subdomains() -> None:
    rule = PartyRule("http://www.example.localhost:8123/")
    assert rule.party("www.example.localhost") == "first"
    assert rule.party("static.example.localhost") == "first"
    assert rule.party("example.localhost") == "first"
    assert rule.party("ads.other.localhost") == "third"
    assert rule.party("notexample.localhost") == "third"


def test_explicit_first_party_patterns_replace_the_default() -> None:
    rule = PartyRule("http://www.example.com/", ["*.example.com", "re:^cdn[0-9]+\\.akamai"])
    assert rule.party("img.example.com") == "first"
    assert rule.party("cdn12.akamaized.net") == "first"
    assert rule.party("example.com") == "third"
    assert rule.party("ads.doubleclick.net") == "third"


def test_content_class_from_mime_and_resource_type() -> None:
    assert content_class("text/html; charset=utf-8") == "html"
    assert content_class("text/css") == "css"
    assert content_class("application/javascript") == "js"
    assert content_class("", "script") == "js"
    assert content_class("font/woff2") == "font"
    assert content_class("application/octet-stream", url="/f.woff2") == "font"
    assert content_class("image/png") == "image"
    assert content_class("application/json") == "json"
    assert content_class("text/plain", "fetch") == "json"
    assert content_class("video/mp4") == "media"
    assert content_class("text/plain") == "other"
