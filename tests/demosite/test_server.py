"""The demo site over real loopback sockets: routing, exact bytes, delays, log, lifecycle.

No browser here: Python does not resolve ``*.localhost``, so every request goes to
127.0.0.1 with an explicit Host header.
"""

from __future__ import annotations

import http.client
import json
import os
import socket
import struct
import subprocess
import sys
import time
import zlib
from html.parser import HTMLParser
from pathlib import Path

import pytest

from demosite import content
from demosite.server import DemoSite

from .sockets import read_exactly, read_head

# The demo site on its sockets, and as a child process (``python -m demosite``).
pytestmark = pytest.mark.system

WWW = "www.example.localhost"
STATIC = "static.example.localhost"
ADS = "ads.other.localhost"
BEACON = "beacon.tracker.localhost"
REPO = Path(__file__).resolve().parents[2]

# Every resource with the exact body size the site documents.
RESOURCES = [
    (WWW, "/", 6000, "text/html; charset=utf-8"),
    (WWW, "/search", 4000, "text/html; charset=utf-8"),
    (WWW, "/blank", 256, "text/html; charset=utf-8"),
    (WWW, "/steps", 2000, "text/html; charset=utf-8"),
    (WWW, "/api/search?q=shoes", 2048, "application/json"),
    (STATIC, "/app.css", 4000, "text/css; charset=utf-8"),
    (STATIC, "/app.js", 12000, "text/javascript; charset=utf-8"),
    (STATIC, "/font.woff2", 20000, "font/woff2"),
    (STATIC, "/hero.png", 10283, "image/png"),
    (ADS, "/ad.js", 8000, "text/javascript; charset=utf-8"),
    (BEACON, "/t.js", 3000, "text/javascript; charset=utf-8"),
    (WWW, "/photo?bytes=500000", 512, "text/html; charset=utf-8"),
    (WWW, "/busy?rounds=1000", 1024, "text/html; charset=utf-8"),
    (STATIC, "/photo.jpg?bytes=500000", 500_000, "image/jpeg"),
]


class Reply:
    """A response as http.client saw it, with the client-side wall time it took."""

    def __init__(self, status: int, headers: dict[str, str], body: bytes, seconds: float):
        self.status = status
        self.headers = headers
        self.body = body
        self.seconds = seconds


def fetch(
    site: DemoSite,
    host: str,
    path: str,
    method: str = "GET",
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> Reply:
    connection = http.client.HTTPConnection("127.0.0.1", site.port, timeout=10)
    try:
        started = time.monotonic()
        connection.request(
            method, path, body=body, headers={"Host": f"{host}:{site.port}", **(headers or {})}
        )
        response = connection.getresponse()
        data = response.read()
        seconds = time.monotonic() - started
        return Reply(response.status, dict(response.getheaders()), data, seconds)
    finally:
        connection.close()


def content_length(head: bytes) -> int:
    for line in head.decode("latin-1").split("\r\n")[1:]:
        name, _, value = line.partition(":")
        if name.lower() == "content-length":
            return int(value)
    raise AssertionError(f"no Content-Length in {head!r}")


def raw_get(sock: socket.socket, site: DemoSite, host: str, path: str) -> tuple[bytes, bytes]:
    """Send one GET on ``sock``; return the exact head and body bytes received."""
    request = f"GET {path} HTTP/1.1\r\nHost: {host}:{site.port}\r\n\r\n"
    sock.sendall(request.encode("ascii"))
    head = read_head(sock)
    return head, read_exactly(sock, content_length(head))


class References(HTMLParser):
    """Collects the URLs of <link href>, <script src> and <img src> in document order."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        wanted = {"link": "href", "script": "src", "img": "src"}.get(tag)
        for name, value in attrs:
            if name == wanted and value is not None:
                self.urls.append(value)


def references(html: bytes) -> list[str]:
    parser = References()
    parser.feed(html.decode("ascii"))
    return parser.urls


def test_it_routes_by_the_host_name_of_the_host_header(site: DemoSite) -> None:
    assert fetch(site, STATIC, "/app.css").status == 200
    assert fetch(site, WWW, "/app.css").status == 404
    assert fetch(site, ADS, "/ad.js").status == 200
    assert fetch(site, STATIC, "/ad.js").status == 404
    assert fetch(site, BEACON, "/t.js").status == 200
    assert fetch(site, WWW, "/t.js").status == 404
    home = fetch(site, WWW, "/", headers={"Host": WWW.upper()})
    assert (home.status, len(home.body)) == (200, 6000)


def test_it_answers_an_unknown_host_with_404_and_a_small_body(site: DemoSite) -> None:
    reply = fetch(site, "nope.example.localhost", "/")
    assert (reply.status, reply.body) == (404, b"404 unknown host\n")
    assert reply.headers["Content-Length"] == "17"


def test_it_answers_an_unknown_path_of_a_known_host_with_404(site: DemoSite) -> None:
    reply = fetch(site, WWW, "/missing.html")
    assert (reply.status, reply.body) == (404, b"404 not found\n")


@pytest.mark.parametrize(("host", "path", "size", "content_type"), RESOURCES)
def test_every_resource_has_its_documented_exact_size_and_headers(
    site: DemoSite, host: str, path: str, size: int, content_type: str
) -> None:
    reply = fetch(site, host, path, headers={"Accept-Encoding": "gzip, br"})
    assert reply.status == 200
    assert len(reply.body) == size
    assert reply.headers["Content-Length"] == str(size)
    assert reply.headers["Content-Type"] == content_type
    assert reply.headers["Cache-Control"] == "no-store"
    assert reply.headers["Connection"] == "keep-alive"
    assert "Content-Encoding" not in reply.headers


def test_documented_sizes_match_the_content_module() -> None:
    assert [r[2] for r in RESOURCES] == [
        content.HOME_BYTES,
        content.SEARCH_PAGE_BYTES,
        content.BLANK_BYTES,
        content.STEPS_BYTES,
        content.SEARCH_API_BYTES,
        content.APP_CSS_BYTES,
        content.APP_JS_BYTES,
        content.FONT_BYTES,
        content.HERO_PNG_BYTES,
        content.AD_JS_BYTES,
        content.T_JS_BYTES,
        content.PHOTO_PAGE_BYTES,
        content.BUSY_PAGE_BYTES,
        500_000,
    ]


def test_page_sizes_do_not_depend_on_url_parameters(site: DemoSite) -> None:
    busy = fetch(site, WWW, "/?ads_delay=60000&ads_busy=10000&static_delay=12345&beacon_delay=9")
    assert len(busy.body) == 6000
    assert len(fetch(site, WWW, "/search?static_delay=60000").body) == 4000
    assert len(fetch(site, ADS, "/ad.js?busy=10000").body) == 8000
    assert len(fetch(site, WWW, "/api/search?q=" + "%F0%9F%98%80" * 500).body) == 2048
    # A stylesheet asked with the largest delay keeps its size (built directly: no 60 s wait).
    assert len(content.app_css(60000)) == 4000


def test_bodies_are_deterministic_across_requests(site: DemoSite) -> None:
    for host, path, _size, _type in RESOURCES:
        assert fetch(site, host, path).body == fetch(site, host, path).body


def test_logged_header_bytes_equal_the_head_received_on_the_socket(site: DemoSite) -> None:
    with socket.create_connection(("127.0.0.1", site.port), timeout=10) as sock:
        received = [raw_get(sock, site, host, path) for host, path, _s, _t in RESOURCES]
    log = site.log
    assert [(s.host, s.path, s.method, s.status) for s in log] == [
        (host, path.partition("?")[0], "GET", 200) for host, path, _s, _t in RESOURCES
    ]
    assert [s.header_bytes for s in log] == [len(head) for head, _body in received]
    assert [s.body_bytes for s in log] == [len(body) for _head, body in received]
    assert [s.body_bytes for s in log] == [size for _h, _p, size, _t in RESOURCES]


def test_log_records_query_times_and_clears(site: DemoSite) -> None:
    before = time.time()
    fetch(site, STATIC, "/app.css?delay=20")
    (served,) = site.log
    assert served.query == "delay=20"
    assert before <= served.started_at
    assert served.finished_at - served.started_at >= 0.020
    assert served.finished_at <= time.time()
    site.clear_log()
    assert site.log == []


def test_log_for_returns_only_that_hosts_requests(site: DemoSite) -> None:
    fetch(site, STATIC, "/app.js")
    fetch(site, ADS, "/ad.js")
    fetch(site, STATIC, "/hero.png")
    assert [s.path for s in site.log_for(STATIC)] == ["/app.js", "/hero.png"]
    assert [s.path for s in site.log_for(ADS)] == ["/ad.js"]


def test_one_connection_serves_many_requests_with_keep_alive(site: DemoSite) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", site.port, timeout=10)
    for host, path, size, _type in RESOURCES:
        connection.request("GET", path, headers={"Host": host})
        response = connection.getresponse()
        assert len(response.read()) == size
    connection.close()
    assert len(site.log) == len(RESOURCES)


def test_home_page_propagates_url_delays_into_subresource_urls(site: DemoSite) -> None:
    path = "/?ads_delay=300&html_delay=0&ads_busy=120&static_delay=40&beacon_delay=70"
    p = site.port
    assert references(fetch(site, WWW, path).body) == [
        "data:,",
        f"http://static.example.localhost:{p}/app.css?delay=40",
        f"http://ads.other.localhost:{p}/ad.js?delay=300&busy=120",
        f"http://beacon.tracker.localhost:{p}/t.js?delay=70",
        f"http://static.example.localhost:{p}/hero.png?delay=40",
        f"http://static.example.localhost:{p}/app.js?delay=40",
    ]


def test_home_page_without_parameters_asks_for_no_delays(site: DemoSite) -> None:
    p = site.port
    assert references(fetch(site, WWW, "/").body)[1:] == [
        f"http://static.example.localhost:{p}/app.css?delay=0",
        f"http://ads.other.localhost:{p}/ad.js?delay=0&busy=0",
        f"http://beacon.tracker.localhost:{p}/t.js?delay=0",
        f"http://static.example.localhost:{p}/hero.png?delay=0",
        f"http://static.example.localhost:{p}/app.js?delay=0",
    ]


def test_stylesheet_passes_its_delay_to_the_font_it_declares(site: DemoSite) -> None:
    css = fetch(site, STATIC, "/app.css?delay=25").body.decode("ascii")
    assert 'src: url("/font.woff2?delay=25") format("woff2");' in css
    assert "font-display: block;" in css
    assert 'font-family: "PerfiteDemo", Georgia, serif;' in css


def test_ad_script_spins_for_the_busy_milliseconds_it_was_asked(site: DemoSite) -> None:
    assert "var busy = 250;" in fetch(site, ADS, "/ad.js?busy=250").body.decode("ascii")
    assert "var busy = 0;" in fetch(site, ADS, "/ad.js").body.decode("ascii")


def test_search_page_has_the_journey_elements(site: DemoSite) -> None:
    html = fetch(site, WWW, "/search?static_delay=5").body.decode("ascii")
    assert '<input id="q" name="q" type="search" autocomplete="off">' in html
    assert '<button id="search" type="button">Search</button>' in html
    assert '<ul id="results" data-state="idle" data-count="0"></ul>' in html
    assert references(html.encode("ascii"))[1:] == [
        f"http://static.example.localhost:{site.port}/app.css?delay=5",
        f"http://static.example.localhost:{site.port}/app.js?delay=5",
    ]


def test_app_script_drives_search_and_websocket(site: DemoSite) -> None:
    js = fetch(site, STATIC, "/app.js").body.decode("ascii")
    assert 'new WebSocket("ws://" + location.host + "/ws")' in js
    assert 'socket.send("hello")' in js
    assert 'tell("search:" + q)' in js
    assert 'var url = "/api/search?q=" + encodeURIComponent(q);' in js


def test_tracker_beacons_to_collect_after_the_load_event(site: DemoSite) -> None:
    js = fetch(site, BEACON, "/t.js").body.decode("ascii")
    assert 'new URL("/collect", script ? script.src : location.href).href' in js
    assert 'navigator.sendBeacon(collect, "x")' in js
    assert 'window.addEventListener("load", send);' in js


def test_photo_page_shows_the_photo_of_the_size_it_was_asked(site: DemoSite) -> None:
    assert references(fetch(site, WWW, "/photo?bytes=123456").body) == [
        "data:,",
        f"http://static.example.localhost:{site.port}/photo.jpg?bytes=123456",
    ]


@pytest.mark.parametrize("size", [content.MIN_PHOTO_BYTES, 1000, content.MAX_PHOTO_BYTES])
def test_the_photo_is_exactly_the_bytes_asked_behind_a_jpeg_marker(
    site: DemoSite, size: int
) -> None:
    body = fetch(site, STATIC, f"/photo.jpg?bytes={size}").body
    assert len(body) == size
    assert body[:4] == b"\xff\xd8\xff\xe0"


@pytest.mark.parametrize(
    "query", ["", "?bytes=3", f"?bytes={content.MAX_PHOTO_BYTES + 1}", "?bytes=1e5"]
)
def test_a_photo_size_out_of_bounds_is_a_400(site: DemoSite, query: str) -> None:
    assert fetch(site, STATIC, f"/photo.jpg{query}").status == 400
    assert fetch(site, WWW, f"/photo{query}").status == 400


def test_busy_page_runs_the_rounds_it_was_asked_and_keeps_their_time(site: DemoSite) -> None:
    html = fetch(site, WWW, "/busy?rounds=12345").body.decode("ascii")
    assert "var rounds = 12345;" in html
    assert "window.__demoBusy = { rounds: rounds, ms: performance.now() - started" in html
    assert references(html.encode("ascii")) == ["data:,"]


def test_blank_page_references_nothing(site: DemoSite) -> None:
    assert references(fetch(site, WWW, "/blank").body) == ["data:,"]


def test_steps_page_loads_the_image_it_shows_and_times_its_steps(site: DemoSite) -> None:
    body = fetch(site, WWW, "/steps").body
    hero = site.url("/hero.png?delay=0", host="static.example.localhost").replace("&", "&amp;")
    assert references(body) == ["data:,", hero]
    assert b'showAt(500, "image");' in body
    assert b'showAt(1000, "block");' in body


def test_search_api_returns_three_results_for_the_query(site: DemoSite) -> None:
    reply = fetch(site, WWW, "/api/search?q=red%20shoes")
    assert json.loads(reply.body) == {
        "q": "red shoes",
        "results": [
            {"id": 1, "title": "Demo product 1", "url": "/item/1"},
            {"id": 2, "title": "Demo product 2", "url": "/item/2"},
            {"id": 3, "title": "Demo product 3", "url": "/item/3"},
        ],
    }


def test_delay_parameter_holds_the_response_for_at_least_that_long(site: DemoSite) -> None:
    reply = fetch(site, STATIC, "/app.js?delay=300")
    assert reply.seconds >= 0.300
    assert [s.delay_ms for s in site.log_for(STATIC)] == [300]


def test_html_delay_holds_the_document(site: DemoSite) -> None:
    reply = fetch(site, WWW, "/?html_delay=300")
    assert reply.seconds >= 0.300
    assert [s.delay_ms for s in site.log_for(WWW)] == [300]


def test_html_delay_adds_to_the_page_delay_parameter(site: DemoSite) -> None:
    reply = fetch(site, WWW, "/blank?html_delay=200&delay=150")
    assert reply.seconds >= 0.350
    assert [s.delay_ms for s in site.log_for(WWW)] == [350]


def test_configured_host_delay_applies_to_every_path_of_that_host(site: DemoSite) -> None:
    site.delays[ADS] = 300
    assert fetch(site, ADS, "/ad.js").seconds >= 0.300
    assert fetch(site, ADS, "/nothing-here").seconds >= 0.300
    fetch(site, STATIC, "/app.js")
    assert [(s.host, s.path, s.delay_ms) for s in site.log] == [
        (ADS, "/ad.js", 300),
        (ADS, "/nothing-here", 300),
        (STATIC, "/app.js", 0),
    ]


def test_configured_path_delay_applies_to_that_path_only(site: DemoSite) -> None:
    site.delays[f"{WWW}/"] = 300
    assert fetch(site, WWW, "/").seconds >= 0.300
    fetch(site, WWW, "/blank")
    # What the site added on purpose, exactly: wall-clock upper bounds say more about how
    # busy the machine is than about the delay.
    assert [(s.path, s.delay_ms) for s in site.log_for(WWW)] == [("/", 300), ("/blank", 0)]


def test_configured_and_url_delays_add_up(site: DemoSite) -> None:
    site.delays[STATIC] = 200
    site.delays[f"{STATIC}/app.css"] = 100
    assert fetch(site, STATIC, "/app.css?delay=100").seconds >= 0.400
    assert [s.delay_ms for s in site.log_for(STATIC)] == [400]


def test_reset_forgets_configured_delays(site: DemoSite) -> None:
    site.delays[BEACON] = 400
    site.reset()
    assert site.delays == {}
    fetch(site, BEACON, "/t.js")
    assert [s.delay_ms for s in site.log_for(BEACON)] == [0]


def test_an_invalid_delay_parameter_is_a_400(site: DemoSite) -> None:
    for path in ("/app.js?delay=abc", "/app.js?delay=-5", "/app.js?delay=60001"):
        reply = fetch(site, STATIC, path)
        assert (reply.status, reply.body) == (400, b"400 bad parameter\n")
    assert fetch(site, WWW, "/?ads_busy=x").status == 400


def test_beacon_target_accepts_a_post_with_204(site: DemoSite) -> None:
    reply = fetch(
        site, BEACON, "/collect", method="POST", body=b"x", headers={"Content-Type": "text/plain"}
    )
    assert (reply.status, reply.body) == (204, b"")
    assert "Content-Length" not in reply.headers
    assert site.wait_for(BEACON, "/collect", timeout=1).method == "POST"


def test_beacon_target_refuses_get(site: DemoSite) -> None:
    reply = fetch(site, BEACON, "/collect")
    assert (reply.status, reply.headers["Allow"]) == (405, "POST")


def test_wait_for_times_out_when_nothing_arrives(site: DemoSite) -> None:
    with pytest.raises(TimeoutError):
        site.wait_for(BEACON, "/collect", timeout=0.1)


def test_expected_home_resources_match_the_html_and_the_stylesheet(site: DemoSite) -> None:
    html = fetch(site, WWW, "/").body
    referenced = [url for url in references(html) if url.startswith("http")]
    referenced.append(site.url("/font.woff2?delay=0", host=STATIC))  # declared in app.css
    sizes = {(host, path.partition("?")[0]): size for host, path, size, _t in RESOURCES}
    from_html = []
    for url in referenced:
        authority, _, rest = url.removeprefix("http://").partition("/")
        host = authority.partition(":")[0]
        path = "/" + rest.partition("?")[0]
        from_html.append((host, path, sizes[(host, path)]))
    assert site.expected("/") == from_html
    assert site.expected("/") == [
        (STATIC, "/app.css", 4000),
        (ADS, "/ad.js", 8000),
        (BEACON, "/t.js", 3000),
        (STATIC, "/hero.png", 10283),
        (STATIC, "/app.js", 12000),
        (STATIC, "/font.woff2", 20000),
    ]


def test_expected_search_and_blank_resources(site: DemoSite) -> None:
    assert site.expected("/search") == [
        (STATIC, "/app.css", 4000),
        (STATIC, "/app.js", 12000),
        (STATIC, "/font.woff2", 20000),
    ]
    assert site.expected("/blank") == []
    with pytest.raises(ValueError):
        site.expected("/nope")


def test_hero_is_a_valid_400_by_200_png(site: DemoSite) -> None:
    png = fetch(site, STATIC, "/hero.png").body
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    chunks, offset = [], 8
    while offset < len(png):
        (length,) = struct.unpack("!I", png[offset : offset + 4])
        kind, data = png[offset + 4 : offset + 8], png[offset + 8 : offset + 8 + length]
        (crc,) = struct.unpack("!I", png[offset + 8 + length : offset + 12 + length])
        assert crc == zlib.crc32(kind + data)
        chunks.append((kind, data))
        offset += 12 + length
    assert [kind for kind, _data in chunks] == [b"IHDR", b"PLTE", b"IDAT", b"IEND"]
    assert struct.unpack("!IIBBBBB", chunks[0][1]) == (400, 200, 1, 3, 0, 0, 0)
    assert zlib.decompress(chunks[2][1]) == (b"\x00" * 51) * 200


def test_font_is_fixed_bytes_with_a_woff2_signature(site: DemoSite) -> None:
    font = fetch(site, STATIC, "/font.woff2").body
    assert font[:4] == b"wOF2"
    assert font == content.font_woff2()


def test_url_names_the_host_and_the_bound_port(site: DemoSite) -> None:
    assert site.url() == f"http://www.example.localhost:{site.port}/"
    assert site.url("/app.css", host=STATIC) == f"http://{STATIC}:{site.port}/app.css"


def test_a_client_leaving_during_a_delay_prints_nothing(capfd: pytest.CaptureFixture[str]) -> None:
    with DemoSite() as own:
        own.delays[STATIC] = 200
        sock = socket.create_connection(("127.0.0.1", own.port), timeout=10)
        sock.sendall(f"GET /font.woff2 HTTP/1.1\r\nHost: {STATIC}\r\n\r\n".encode("ascii"))
        # RST instead of FIN, so the server's write fails.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.close()
        time.sleep(0.4)
        own.delays.clear()
        assert fetch(own, STATIC, "/app.css").status == 200
    assert capfd.readouterr() == ("", "")


def test_stop_closes_the_port_and_open_connections() -> None:
    own = DemoSite().start()
    idle = socket.create_connection(("127.0.0.1", own.port), timeout=10)
    raw_get(idle, own, WWW, "/blank")  # accepted and now idle in keep-alive
    own.stop()
    assert idle.recv(1) == b""
    idle.close()
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", own.port), timeout=2)
    own.stop()


def test_a_site_starts_only_once() -> None:
    with DemoSite() as own, pytest.raises(RuntimeError):
        own.start()


def test_main_module_serves_until_terminated_and_prints_the_url() -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    process = subprocess.Popen(
        [sys.executable, "-m", "demosite", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert line.startswith("Demo site: http://www.example.localhost:")
        port = int(line.strip().rsplit(":", 1)[1].rstrip("/"))
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        connection.request("GET", "/blank", headers={"Host": WWW})
        assert len(connection.getresponse().read()) == 256
        connection.close()
    finally:
        process.terminate()
        process.wait(timeout=10)
