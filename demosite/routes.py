"""Routing of the demo site: which host + path answers what, and the URL parameters.

Pure: a Request in, a Response (status, body, content type, extra headers, extra delay)
out. Sleeping and writing bytes are the server's job.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from demosite import content
from demosite.content import ADS, BEACON, STATIC, WWW
from demosite.relay import ROLES

_HTML = "text/html; charset=utf-8"
_JS = "text/javascript; charset=utf-8"
_CSS = "text/css; charset=utf-8"
_TEXT = "text/plain; charset=utf-8"
_JSON = "application/json"


@dataclass(frozen=True, slots=True)
class Response:
    """What to answer: written by the server after sleeping ``?delay=`` + ``delay_ms``."""

    status: int
    body: bytes
    content_type: str = _TEXT
    headers: tuple[tuple[str, str], ...] = ()
    delay_ms: int = 0  # on top of ``?delay=`` (html_delay of the pages)
    shared_ms: int = 0  # work on the processor the requests in flight share (/crowded)


@dataclass(frozen=True, slots=True)
class Request:
    """A request as routing sees it: Host name, path without query, parsed query, and the
    site's port (for absolute subresource URLs)."""

    host: str
    path: str
    query: dict[str, list[str]]
    port: int


class BadParameter(Exception):
    """A URL parameter is not a whole number within its bound."""


def int_param(query: dict[str, list[str]], name: str, maximum: int) -> int:
    """The last value of ``name`` as a non-negative int <= ``maximum``; 0 when absent."""
    values = query.get(name)
    if not values:
        return 0
    value = values[-1]
    if not (value.isascii() and value.isdigit()) or int(value) > maximum:
        raise BadParameter(name)
    return int(value)


def delay_param(req: Request, name: str) -> int:
    """A delay parameter in ms (0..MAX_DELAY_MS); raises BadParameter."""
    return int_param(req.query, name, content.MAX_DELAY_MS)


def host_name(header: str) -> str:
    """The host name of a Host header: lower case, without port or trailing dot."""
    value = header.strip().lower()
    if value.startswith("["):
        return value.partition("]")[0] + "]"
    return value.partition(":")[0].rstrip(".")


def _home(req: Request) -> Response:
    body = content.home_html(
        req.port,
        ads_delay=delay_param(req, "ads_delay"),
        ads_busy=int_param(req.query, "ads_busy", content.MAX_BUSY_MS),
        static_delay=delay_param(req, "static_delay"),
        beacon_delay=delay_param(req, "beacon_delay"),
    )
    return Response(200, body, _HTML, delay_ms=delay_param(req, "html_delay"))


def _search_page(req: Request) -> Response:
    delay_param(req, "api_delay")  # read by app.js in the browser; rejected here when invalid
    body = content.search_html(req.port, static_delay=delay_param(req, "static_delay"))
    return Response(200, body, _HTML, delay_ms=delay_param(req, "html_delay"))


def _blank(req: Request) -> Response:
    return Response(200, content.blank_html(), _HTML, delay_ms=delay_param(req, "html_delay"))


def _crowded(req: Request) -> Response:
    work = int_param(req.query, "work", content.MAX_DELAY_MS)
    return Response(200, content.blank_html(), _HTML, shared_ms=work)


def _timings(req: Request) -> Response:
    delay_param(req, "wait")  # read by the page's script; rejected here when invalid
    int_param(req.query, "extra", content.MAX_MARKS)
    return Response(200, content.timings_html(), _HTML)


def _memory(req: Request) -> Response:
    int_param(req.query, "mib", content.MAX_MIB)
    int_param(req.query, "spin", content.MAX_BUSY_MS)
    return Response(200, content.memory_html(), _HTML)


def _chat(req: Request) -> Response:
    delay_param(req, "api_delay")
    delay_param(req, "echo_delay")
    int_param(req.query, "calls", content.MAX_CALLS)
    return Response(200, content.chat_html(), _HTML)


_ROOM = re.compile(r"[A-Za-z0-9_-]{1,64}")


def relay_params(req: Request, role: str = "") -> tuple[str, str, int]:
    """``(room, role, relay_delay)`` of a relay connection (or a support-chat page, which is
    ``role`` itself): ``?room=`` (default ``demo``; letters, digits, _ and -), ``?role=``
    (operator or visitor) and ``?relay_delay=`` ms; raises BadParameter."""
    room = (req.query.get("room") or ["demo"])[-1]
    if not _ROOM.fullmatch(room):
        raise BadParameter("room")
    role = role or (req.query.get("role") or [""])[-1]
    if role not in ROLES:
        raise BadParameter("role")
    return room, role, delay_param(req, "relay_delay")


def _support(req: Request) -> Response:
    _, role, _ = relay_params(req, req.path.rpartition("/")[2])
    body = content.support_html(role)
    return Response(200, body, _HTML, delay_ms=delay_param(req, "html_delay"))


def _photo_bytes(req: Request) -> int:
    """``?bytes=`` of the photo: MIN_PHOTO_BYTES..MAX_PHOTO_BYTES; raises BadParameter."""
    size = int_param(req.query, "bytes", content.MAX_PHOTO_BYTES)
    if size < content.MIN_PHOTO_BYTES:
        raise BadParameter("bytes")
    return size


def _photo_page(req: Request) -> Response:
    body = content.photo_html(req.port, _photo_bytes(req))
    return Response(200, body, _HTML, delay_ms=delay_param(req, "html_delay"))


def _busy_page(req: Request) -> Response:
    rounds = int_param(req.query, "rounds", content.MAX_BUSY_ROUNDS)
    return Response(200, content.busy_html(rounds), _HTML)


def _steps(req: Request) -> Response:
    body = content.steps_html(req.port)
    return Response(200, body, _HTML, delay_ms=delay_param(req, "html_delay"))


def _search_api(req: Request) -> Response:
    q = req.query.get("q", [""])[-1]
    return Response(200, content.search_api(q), _JSON)


def _app_css(req: Request) -> Response:
    return Response(200, content.app_css(delay_param(req, "delay")), _CSS)


GET_ROUTES: dict[tuple[str, str], Callable[[Request], Response]] = {
    (WWW, "/"): _home,
    (WWW, "/search"): _search_page,
    (WWW, "/blank"): _blank,
    (WWW, "/crowded"): _crowded,
    (WWW, "/steps"): _steps,
    (WWW, "/api/search"): _search_api,
    (WWW, "/timings"): _timings,
    (WWW, "/memory"): _memory,
    (WWW, "/chat"): _chat,
    (WWW, "/support/operator"): _support,
    (WWW, "/support/visitor"): _support,
    (WWW, "/api/init"): lambda req: Response(200, content.init_api(), _JSON),
    (WWW, "/photo"): _photo_page,
    (WWW, "/busy"): _busy_page,
    (STATIC, "/app.css"): _app_css,
    (STATIC, "/app.js"): lambda req: Response(200, content.app_js(), _JS),
    (STATIC, "/font.woff2"): lambda req: Response(200, content.font_woff2(), "font/woff2"),
    (STATIC, "/hero.png"): lambda req: Response(200, content.hero_png(), "image/png"),
    (STATIC, "/photo.jpg"): lambda req: Response(
        200, content.photo_jpg(_photo_bytes(req)), "image/jpeg"
    ),
    (ADS, "/ad.js"): lambda req: Response(
        200, content.ad_js(int_param(req.query, "busy", content.MAX_BUSY_MS)), _JS
    ),
    (BEACON, "/t.js"): lambda req: Response(200, content.t_js(), _JS),
}
POST_ROUTES: dict[tuple[str, str], Callable[[Request], Response]] = {
    (BEACON, "/collect"): lambda req: Response(204, b""),
    (WWW, "/api/chats"): lambda req: Response(201, content.chats_api(), _JSON),
    (WWW, "/api/messages"): lambda req: Response(201, content.messages_api(), _JSON),
}
WEBSOCKET_PATH = (WWW, "/ws")
RELAY_PATH = (WWW, "/relay")
SOCKET_PATHS = (WEBSOCKET_PATH, RELAY_PATH)


def route(method: str, req: Request) -> Response:
    """The response for a plain (non-upgrade) request; raises BadParameter."""
    if req.host not in content.HOSTS:
        return Response(404, content.UNKNOWN_HOST_BODY)
    key = (req.host, req.path)
    routes = POST_ROUTES if method == "POST" else GET_ROUTES
    if method in ("GET", "HEAD", "POST") and key in routes:
        return routes[key](req)
    if key in GET_ROUTES or key in SOCKET_PATHS:
        return Response(405, content.METHOD_NOT_ALLOWED_BODY, headers=(("Allow", "GET, HEAD"),))
    if key in POST_ROUTES:
        return Response(405, content.METHOD_NOT_ALLOWED_BODY, headers=(("Allow", "POST"),))
    return Response(404, content.NOT_FOUND_BODY)
