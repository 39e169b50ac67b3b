"""Bodies of the demo site: deterministic bytes of documented, fixed sizes.

Every text body is rendered from a template in ``demosite/assets/`` and padded with a
comment to an exact byte count, so a body's size never depends on the port or on the
delay parameters baked into it. Binary bodies (the PNG, the font) are built in code
without zlib's compressor, so their bytes are identical on every platform.

Pure functions and constants only: no sockets, no clocks.
"""

from __future__ import annotations

import json
import struct
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from importlib import resources
from string import Template

WWW = "www.example.localhost"
STATIC = "static.example.localhost"
ADS = "ads.other.localhost"
BEACON = "beacon.tracker.localhost"
HOSTS = (WWW, STATIC, ADS, BEACON)

# Exact body sizes in bytes. HTML pages and the search API are padded too, so every
# 200 response of the site has one of these lengths.
HOME_BYTES = 6000
SEARCH_PAGE_BYTES = 4000
BLANK_BYTES = 256
STEPS_BYTES = 2000
SEARCH_API_BYTES = 2048
APP_CSS_BYTES = 4000
APP_JS_BYTES = 12000
AD_JS_BYTES = 8000
T_JS_BYTES = 3000
FONT_BYTES = 20000
# The named-metrics pages (user timings, memory, the chat client) and the chat's API.
TIMINGS_BYTES = 2000
MEMORY_BYTES = 2000
CHAT_BYTES = 4000
INIT_API_BYTES = 1024
CHATS_API_BYTES = 256
MESSAGES_API_BYTES = 128
SUPPORT_BYTES = 4000  # each page of the support chat (operator, visitor)
HERO_WIDTH = 400
HERO_HEIGHT = 200
# signature 8 + IHDR 25 + PLTE 15 + IDAT (12 + zlib 2 + stored block 5 + raw rows + adler 4)
# + IEND 12; raw rows are one filter byte plus one bit per pixel.
HERO_PNG_BYTES = 8 + 25 + 15 + 12 + 2 + 5 + HERO_HEIGHT * (1 + HERO_WIDTH // 8) + 4 + 12
PHOTO_PAGE_BYTES = 512
BUSY_PAGE_BYTES = 1024

NOT_FOUND_BODY = b"404 not found\n"
UNKNOWN_HOST_BODY = b"404 unknown host\n"
BAD_PARAMETER_BODY = b"400 bad parameter\n"
METHOD_NOT_ALLOWED_BODY = b"405 method not allowed\n"
UPGRADE_REQUIRED_BODY = b"426 websocket upgrade required\n"
BAD_REQUEST_BODY = b"400 bad request\n"

# Upper bounds for numeric parameters: they keep the padded bodies within their sizes
# (at most five digits each) and stop a typo from parking a server thread for hours.
MAX_DELAY_MS = 60_000
MAX_BUSY_MS = 10_000
MAX_QUERY_CHARS = 100
MAX_MARKS = 1000  # extra user timings of the timings page
MAX_CALLS = 100  # extra API calls of the chat page
MAX_MIB = 256  # JavaScript heap the memory page keeps (per allocation)
# The sized photo (``/photo.jpg?bytes=N``): from its 4-byte JPEG header up to 10 MB.
MIN_PHOTO_BYTES = 4
MAX_PHOTO_BYTES = 10_000_000
MAX_BUSY_ROUNDS = 2_000_000_000

_FILLER = "perfite demo padding "


@dataclass(frozen=True, slots=True)
class Subresource:
    """One resource a page makes the browser fetch while loading (not XHR or beacons)."""

    host: str
    path: str
    query: str
    body_bytes: int

    def url(self, port: int) -> str:
        """Absolute URL of the resource on ``port``, query included."""
        return f"http://{self.host}:{port}{self.path}?{self.query}"


def pad(text: str, size: int, opener: str, closer: str) -> bytes:
    """Fill ``${pad}`` in ``text`` with a comment so the result is exactly ``size`` bytes.

    ``text`` must be ASCII. Raises ValueError when ``text`` is too long to fit.
    """
    fixed = len(text.replace("${pad}", "").encode("ascii"))
    room = size - fixed - len(opener) - len(closer)
    if room < 0:
        raise ValueError(f"content of {fixed} bytes does not fit in {size}")
    filler = (_FILLER * (room // len(_FILLER) + 1))[:room]
    body = text.replace("${pad}", opener + filler + closer).encode("ascii")
    assert len(body) == size
    return body


@cache
def _template(name: str) -> Template:
    return Template(resources.files("demosite").joinpath("assets", name).read_text("ascii"))


def _render(name: str, size: int, opener: str, closer: str, **values: object) -> bytes:
    text = _template(name).safe_substitute({k: str(v) for k, v in values.items()})
    return pad(text, size, opener, closer)


def home_subresources(
    ads_delay: int = 0,
    ads_busy: int = 0,
    static_delay: int = 0,
    beacon_delay: int = 0,
) -> list[Subresource]:
    """Resources the home page loads, in document order; the font comes from app.css."""
    return [
        Subresource(STATIC, "/app.css", f"delay={static_delay}", APP_CSS_BYTES),
        Subresource(ADS, "/ad.js", f"delay={ads_delay}&busy={ads_busy}", AD_JS_BYTES),
        Subresource(BEACON, "/t.js", f"delay={beacon_delay}", T_JS_BYTES),
        Subresource(STATIC, "/hero.png", f"delay={static_delay}", HERO_PNG_BYTES),
        Subresource(STATIC, "/app.js", f"delay={static_delay}", APP_JS_BYTES),
        Subresource(STATIC, "/font.woff2", f"delay={static_delay}", FONT_BYTES),
    ]


def search_subresources(static_delay: int = 0) -> list[Subresource]:
    """Resources the search page loads, in document order; the font comes from app.css."""
    return [
        Subresource(STATIC, "/app.css", f"delay={static_delay}", APP_CSS_BYTES),
        Subresource(STATIC, "/app.js", f"delay={static_delay}", APP_JS_BYTES),
        Subresource(STATIC, "/font.woff2", f"delay={static_delay}", FONT_BYTES),
    ]


def page_subresources(page: str) -> list[Subresource]:
    """What the page at path ``page`` loads with default parameters (search_subresources
    …); the named-metrics pages load none (their API calls and socket are not
    subresources). ValueError for a path that is not a page."""
    pages: dict[str, Callable[[], list[Subresource]]] = {
        "/": home_subresources,
        "/search": search_subresources,
        "/blank": list,
        "/crowded": list,
        "/timings": list,
        "/memory": list,
        "/chat": list,
        "/steps": steps_subresources,
    }
    if page not in pages:
        raise ValueError(f"unknown page {page!r}; known: {sorted(pages)}")
    return pages[page]()


def _html_url(resource: Subresource, port: int) -> str:
    return resource.url(port).replace("&", "&amp;")


def home_html(
    port: int, ads_delay: int, ads_busy: int, static_delay: int, beacon_delay: int
) -> bytes:
    """The home page, exactly HOME_BYTES bytes."""
    css, ads, beacon, hero, app, _font = home_subresources(
        ads_delay, ads_busy, static_delay, beacon_delay
    )
    urls = {
        name: _html_url(resource, port)
        for name, resource in (
            ("css", css),
            ("ads", ads),
            ("beacon", beacon),
            ("hero", hero),
            ("app", app),
        )
    }
    return _render("home.html", HOME_BYTES, "<!-- ", " -->", **urls)


def search_html(port: int, static_delay: int) -> bytes:
    """The search journey page, exactly SEARCH_PAGE_BYTES bytes."""
    css, app, _font = search_subresources(static_delay)
    return _render(
        "search.html",
        SEARCH_PAGE_BYTES,
        "<!-- ",
        " -->",
        css=_html_url(css, port),
        app=_html_url(app, port),
    )


# The steps page (``/steps``) on a 1280 × 720 viewport: a 1280 × 180 header with its text from
# the first paint, a 640 × 360 image (the hero, scaled) shown at STEPS_IMAGE_MS and a 640 × 360
# block shown at STEPS_BLOCK_MS from navigation start: three equal areas, the rest white.
STEPS_IMAGE_MS = 500
STEPS_BLOCK_MS = 1000


def steps_subresources() -> list[Subresource]:
    """Resources the steps page loads: the image it shows at STEPS_IMAGE_MS."""
    return [Subresource(STATIC, "/hero.png", "delay=0", HERO_PNG_BYTES)]


def steps_html(port: int) -> bytes:
    """The steps page, whose content appears in known steps, exactly STEPS_BYTES bytes."""
    (hero,) = steps_subresources()
    return _render(
        "steps.html",
        STEPS_BYTES,
        "<!-- ",
        " -->",
        hero=_html_url(hero, port),
        image_ms=STEPS_IMAGE_MS,
        block_ms=STEPS_BLOCK_MS,
    )


def blank_html() -> bytes:
    """A page with no subresources at all, exactly BLANK_BYTES bytes."""
    return _render("blank.html", BLANK_BYTES, "<!-- ", " -->")


def photo_subresources(photo_bytes: int) -> list[Subresource]:
    """Resources the photo page loads: the sized photo only."""
    return [Subresource(STATIC, "/photo.jpg", f"bytes={photo_bytes}", photo_bytes)]


def photo_html(port: int, photo_bytes: int) -> bytes:
    """A page showing one photo of ``photo_bytes`` bytes, exactly PHOTO_PAGE_BYTES bytes."""
    (photo,) = photo_subresources(photo_bytes)
    return _render("photo.html", PHOTO_PAGE_BYTES, "<!-- ", " -->", photo=_html_url(photo, port))


def busy_html(rounds: int) -> bytes:
    """A page whose inline script runs ``rounds`` rounds of arithmetic on the main thread and
    keeps their duration, timed in the page, in ``window.__demoBusy.ms``; exactly
    BUSY_PAGE_BYTES bytes."""
    return _render("busy.html", BUSY_PAGE_BYTES, "<!-- ", " -->", rounds=rounds)


def photo_jpg(size: int) -> bytes:
    """``size`` fixed bytes behind a JPEG start-of-image marker: sized for transfer-time
    tests, never decodable (a broken image to the browser)."""
    pattern = bytes(range(256))
    body = b"\xff\xd8\xff\xe0" + pattern * (size // len(pattern) + 1)
    return body[:size]


def app_css(delay: int) -> bytes:
    """The stylesheet; its font URL carries the stylesheet's own ``delay``."""
    return _render("app.css", APP_CSS_BYTES, "/* ", " */\n", font=f"/font.woff2?delay={delay}")


def app_js() -> bytes:
    """The first-party script (journey logic for the search page)."""
    return _render("app.js", APP_JS_BYTES, "/* ", " */\n")


def ad_js(busy: int) -> bytes:
    """The third-party ad script; it spins the main thread for ``busy`` ms after load."""
    return _render("ad.js", AD_JS_BYTES, "/* ", " */\n", busy=busy)


def t_js() -> bytes:
    """The tracker script; it sends one beacon to /collect after the load event."""
    return _render("t.js", T_JS_BYTES, "/* ", " */\n")


def search_api(q: str) -> bytes:
    """JSON search results for ``q`` (cut to MAX_QUERY_CHARS), padded with trailing spaces
    to exactly SEARCH_API_BYTES bytes. Three results, independent of ``q``."""
    document = {
        "q": q[:MAX_QUERY_CHARS],
        "results": [
            {"id": i, "title": f"Demo product {i}", "url": f"/item/{i}"} for i in (1, 2, 3)
        ],
    }
    text = json.dumps(document, ensure_ascii=True)
    return text.encode("ascii").ljust(SEARCH_API_BYTES, b" ")


@cache
def font_woff2() -> bytes:
    """FONT_BYTES fixed bytes behind a ``wOF2`` signature: requested, never decodable."""
    pattern = bytes(range(256))
    body = b"wOF2" + pattern * (FONT_BYTES // len(pattern) + 1)
    return body[:FONT_BYTES]


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(kind + data)
    return struct.pack("!I", len(data)) + kind + data + struct.pack("!I", crc)


@cache
def hero_png() -> bytes:
    """A valid HERO_WIDTH x HERO_HEIGHT solid-colour PNG, exactly HERO_PNG_BYTES bytes.

    One-bit palette image; the zlib stream is a single stored (uncompressed) block written
    by hand, so the bytes do not depend on the zlib build.
    """
    row = b"\x00" + b"\x00" * (HERO_WIDTH // 8)  # filter type 0, all pixels palette index 0
    raw = row * HERO_HEIGHT
    stored = b"\x01" + struct.pack("<HH", len(raw), len(raw) ^ 0xFFFF) + raw
    stream = b"\x78\x01" + stored + struct.pack("!I", zlib.adler32(raw))
    ihdr = struct.pack("!IIBBBBB", HERO_WIDTH, HERO_HEIGHT, 1, 3, 0, 0, 0)
    body = (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", ihdr)
        + _png_chunk(b"PLTE", bytes((0x2F, 0x6F, 0xDF)))
        + _png_chunk(b"IDAT", stream)
        + _png_chunk(b"IEND", b"")
    )
    assert len(body) == HERO_PNG_BYTES
    return body


def timings_html() -> bytes:
    """The user-timings page, exactly TIMINGS_BYTES bytes: marks "timings start" and
    ``?extra=`` marks "extra 1".."extra N" at once, then, at least ``?wait=`` ms after its
    start mark, "timings done" and the measure "timings wait" between the two."""
    return _render("timings.html", TIMINGS_BYTES, "<!-- ", " -->")


def memory_html() -> bytes:
    """The memory page, exactly MEMORY_BYTES bytes: keeps ``?mib=`` MiB of JavaScript arrays
    alive; its #work button spins ``?spin=`` ms, then keeps ``?mib=`` MiB more."""
    return _render("memory.html", MEMORY_BYTES, "<!-- ", " -->")


def chat_html() -> bytes:
    """The chat client, exactly CHAT_BYTES bytes (what it calls: assets/chat.html)."""
    return _render("chat.html", CHAT_BYTES, "<!-- ", " -->")


def support_html(role: str) -> bytes:
    """A page of the support chat as ``role`` (operator or visitor), exactly SUPPORT_BYTES
    bytes (what it does: assets/support.html; its relay: demosite.relay)."""
    return _render("support.html", SUPPORT_BYTES, "<!-- ", " -->", role=role)


def _json(document: object, size: int) -> bytes:
    return json.dumps(document, ensure_ascii=True).encode("ascii").ljust(size, b" ")


def init_api() -> bytes:
    """GET /api/init: the chat's start-up data, exactly INIT_API_BYTES bytes."""
    return _json({"user": "demo", "chats": []}, INIT_API_BYTES)


def chats_api() -> bytes:
    """POST /api/chats: the chat created, exactly CHATS_API_BYTES bytes."""
    return _json({"id": 1}, CHATS_API_BYTES)


def messages_api() -> bytes:
    """POST /api/messages: the message stored, exactly MESSAGES_API_BYTES bytes."""
    return _json({"stored": True}, MESSAGES_API_BYTES)
