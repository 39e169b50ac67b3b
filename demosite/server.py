"""The demo site server: one loopback HTTP/1.1 server, many hosts routed by the Host header.

Chromium resolves every ``*.localhost`` name to 127.0.0.1 on its own, so a single
listening socket serves first-party (``www.example.localhost``, ``static.example.localhost``)
and third-party (``ads.other.localhost``, ``beacon.tracker.localhost``) hosts. Python does
not resolve those names: connect to 127.0.0.1 and send the Host header yourself.

Every response is written as one header block (built here as bytes) followed by the body,
so ``DemoSite.log`` knows exactly how many bytes of each went on the wire.
"""

from __future__ import annotations

import contextlib
import socket
import socketserver
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from urllib.parse import parse_qs, urlsplit

from demosite import content, websocket
from demosite.content import WWW
from demosite.processor import SharedProcessor
from demosite.relay import Relay
from demosite.routes import (
    RELAY_PATH,
    SOCKET_PATHS,
    BadParameter,
    Request,
    Response,
    delay_param,
    host_name,
    relay_params,
    route,
)

_MAX_REQUEST_BODY = 1 << 20


@dataclass(frozen=True, slots=True)
class Served:
    """One request the site answered completely.

    ``header_bytes`` is the length of the status line + header fields + blank line as
    written; ``body_bytes`` the body bytes written (0 for HEAD, 204 and the WebSocket 101,
    whose frames are not counted); ``delay_ms`` the delay added on purpose before answering.
    Times are ``time.time()`` seconds: ``started_at`` once
    the request head was read, ``finished_at`` when the last write began (the entry is
    logged then, so a client that has read a response always finds it logged).
    ``path`` has no query string; ``query`` holds it.
    """

    host: str
    path: str
    method: str
    status: int
    body_bytes: int
    header_bytes: int
    started_at: float
    finished_at: float
    query: str = ""
    delay_ms: int = 0  # the delay the site added on purpose (URL and configured delays)


class _Handler(BaseHTTPRequestHandler):
    """Answers one connection: plain requests (keep-alive) or one WebSocket session."""

    protocol_version = "HTTP/1.1"
    timeout = 300  # seconds an idle keep-alive connection or WebSocket may stay open
    # Headers and body go out in two writes: with Nagle's algorithm the second waits for the
    # first's ACK (delayed up to ~40 ms on a reused connection), which no real server adds.
    disable_nagle_algorithm = True
    server: _Server
    _delay_ms = 0  # of the request being answered (a keep-alive handler answers several)

    def setup(self) -> None:
        super().setup()
        self.server.site._track(self.connection)

    def finish(self) -> None:
        self.server.site._untrack(self.connection)
        super().finish()

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the site's record is DemoSite.log, not stderr."""

    def do_GET(self) -> None:
        self._dispatch()

    do_HEAD = do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = do_GET

    def _dispatch(self) -> None:
        started = time.time()
        self._delay_ms = 0
        site = self.server.site
        split = urlsplit(self.path)
        req = Request(
            host=host_name(self.headers.get("Host", "")),
            path=split.path or "/",
            query=parse_qs(split.query, keep_blank_values=True),
            port=site.port,
        )
        if not self._drain_request_body():
            self.close_connection = True
            self._write(req, split.query, started, Response(400, content.BAD_REQUEST_BODY))
            return
        try:
            delay = delay_param(req, "delay")
            if (req.host, req.path) in SOCKET_PATHS and self.command == "GET":
                session = self._session(req)
                self._delay_ms = delay + site.configured_delay(req.host, req.path)
                self._sleep(self._delay_ms)
                self._websocket(req, split.query, started, session)
                return
            response = route(self.command, req)
        except BadParameter:
            delay, response = 0, Response(400, content.BAD_PARAMETER_BODY)
        self._delay_ms = delay + response.delay_ms + site.configured_delay(req.host, req.path)
        self._sleep(self._delay_ms)
        if response.shared_ms:
            site.processor.serve(response.shared_ms)
        self._write(req, split.query, started, response)

    def _drain_request_body(self) -> bool:
        """Read and drop the request body so the connection stays in step; False when the
        body is framed in a way this server does not support (chunked, oversized)."""
        if self.headers.get("Transfer-Encoding"):
            return False
        length = self.headers.get("Content-Length", "0").strip() or "0"
        if not length.isdigit() or int(length) > _MAX_REQUEST_BODY:
            return False
        if int(length):
            self.rfile.read(int(length))
        return True

    @staticmethod
    def _sleep(ms: int) -> None:
        if ms > 0:
            time.sleep(ms / 1000)

    @staticmethod
    def _head(status: int, fields: list[tuple[str, str]]) -> bytes:
        """The status line, ``fields`` and the blank line, as the bytes to write."""
        lines = [f"HTTP/1.1 {status} {HTTPStatus(status).phrase}"]
        lines += [f"{name}: {value}" for name, value in fields]
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")

    def _send(
        self, req: Request, query: str, started: float, status: int, head: bytes, body: bytes
    ) -> None:
        """Write ``head`` in one go, then ``body``, and log the exchange.

        The entry is logged just before the last write (``finished_at`` is that moment), so
        a client that has read the whole response always finds it in the log; it is
        withdrawn again when that write fails.
        """
        if body:
            self.wfile.write(head)
        served = Served(
            req.host,
            req.path,
            self.command,
            status,
            len(body),
            len(head),
            started,
            time.time(),
            query,
            self._delay_ms,
        )
        site = self.server.site
        site._record(served)
        try:
            self.wfile.write(body or head)
        except OSError:
            site._withdraw(served)
            raise

    def _write(self, req: Request, query: str, started: float, response: Response) -> None:
        fields = []
        # RFC 9110 section 8.6: no Content-Length on a 204.
        if response.status != 204:
            fields.append(("Content-Type", response.content_type))
            fields.append(("Content-Length", str(len(response.body))))
        fields += [
            ("Cache-Control", "no-store"),
            # The pages on www load fonts and read Resource Timing of other hosts.
            ("Access-Control-Allow-Origin", "*"),
            ("Timing-Allow-Origin", "*"),
            *response.headers,
            ("Connection", "close" if self.close_connection else "keep-alive"),
        ]
        body = b"" if self.command == "HEAD" else response.body
        head = self._head(response.status, fields)
        self._send(req, query, started, response.status, head, body)

    def _session(self, req: Request) -> Callable[[], None]:
        """What an upgraded connection to ``req`` runs: the support chat's relay (``/relay``)
        or the echo (``/ws``, ``?echo_delay=``); raises BadParameter."""
        site = self.server.site
        if (req.host, req.path) == RELAY_PATH:
            room, role, delay = relay_params(req)
            return lambda: site.relay.serve(self.rfile, self.wfile, room, role, delay)
        echo_delay = delay_param(req, "echo_delay")
        return lambda: self._echo(site, echo_delay)

    def _websocket(
        self, req: Request, query: str, started: float, session: Callable[[], None]
    ) -> None:
        upgrade = self.headers.get("Upgrade", "").lower()
        connection = self.headers.get("Connection", "").lower()
        key = self.headers.get("Sec-WebSocket-Key", "")
        version = self.headers.get("Sec-WebSocket-Version", "")
        tokens = {token.strip() for token in connection.split(",")}
        if upgrade != "websocket" or "upgrade" not in tokens:
            response = Response(
                426,
                content.UPGRADE_REQUIRED_BODY,
                headers=(("Upgrade", "websocket"), ("Sec-WebSocket-Version", "13")),
            )
            self._write(req, query, started, response)
            return
        if version.strip() != "13" or not websocket.valid_client_key(key):
            response = Response(
                400, content.BAD_REQUEST_BODY, headers=(("Sec-WebSocket-Version", "13"),)
            )
            self._write(req, query, started, response)
            return
        head = self._head(
            101,
            [
                ("Upgrade", "websocket"),
                ("Connection", "Upgrade"),
                ("Sec-WebSocket-Accept", websocket.accept_key(key)),
            ],
        )
        self._send(req, query, started, 101, head, b"")
        self.close_connection = True
        session()

    def _echo(self, site: DemoSite, delay_ms: int) -> None:
        """Echo data frames unmasked, each ``delay_ms`` after it arrived (the URL's
        ``?echo_delay=``), until the client closes; answer pings at once."""
        while True:
            try:
                frame = websocket.read_frame(self.rfile)
            except websocket.ProtocolError as error:
                close = websocket.close_payload(error.code)
                self.wfile.write(websocket.encode_frame(websocket.CLOSE, close))
                return
            if frame is None:
                return
            if frame.opcode == websocket.CLOSE:
                # Echo the status code (no reason), as RFC 6455 section 5.5.1 suggests.
                self.wfile.write(websocket.encode_frame(websocket.CLOSE, frame.payload[:2]))
                return
            if frame.opcode == websocket.PING:
                self.wfile.write(websocket.encode_frame(websocket.PONG, frame.payload))
            elif frame.opcode in (websocket.TEXT, websocket.BINARY, websocket.CONTINUATION):
                if frame.opcode == websocket.TEXT:
                    site._record_message(frame.payload.decode("utf-8", "replace"))
                self._sleep(delay_ms)
                self.wfile.write(websocket.encode_frame(frame.opcode, frame.payload, frame.fin))
            elif frame.opcode != websocket.PONG:
                close = websocket.close_payload(websocket.CLOSE_PROTOCOL_ERROR)
                self.wfile.write(websocket.encode_frame(websocket.CLOSE, close))
                return


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # Chromium opens several connections per host at once

    def __init__(self, address: tuple[str, int], site: DemoSite) -> None:
        self.site = site
        super().__init__(address, _Handler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind does a reverse DNS lookup (getfqdn) that can stall.
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name, self.server_port = str(host), int(port)

    def handle_error(self, request: object, client_address: object) -> None:
        """Stay quiet when a client goes away; print real bugs."""
        if isinstance(sys.exc_info()[1], OSError):
            return
        super().handle_error(request, client_address)  # type: ignore[arg-type]


@dataclass(eq=False)
class _State:
    lock: threading.Condition = field(default_factory=threading.Condition)
    log: list[Served] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)
    connections: set[socket.socket] = field(default_factory=set)


class DemoSite:
    """The multi-host demo site on one loopback port.

    ``delays`` maps a host name (every path of that host) or ``"host/path"`` (that path
    only, e.g. ``"www.example.localhost/"``) to milliseconds slept before the response
    headers, on top of the URL's ``?delay=``. Safe to mutate while serving.
    """

    def __init__(self, port: int = 0, bind: str = "127.0.0.1") -> None:
        self.port = port
        self.bind = bind
        self.delays: dict[str, int] = {}
        self.relay = Relay()  # the support chat's rooms (demosite.relay)
        self.processor = SharedProcessor()  # /crowded's requests share it
        self._state = _State()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> DemoSite:
        """Listen and serve in a daemon thread; ``port`` becomes the bound port. Returns self."""
        if self._server is not None:
            raise RuntimeError("demo site already started")
        self._server = _Server((self.bind, self.port), self)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"demosite:{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop listening and cut open connections (keep-alive, WebSockets). Idempotent."""
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        server.server_close()
        with self._state.lock:
            connections = list(self._state.connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
        if self._thread is not None:
            self._thread.join(timeout=5)

    def serve_forever(self) -> None:
        """Block the calling thread while the started site serves; return once ``stop`` ran
        (in another thread). An interrupt (Ctrl-C) stops the site and propagates."""
        thread = self._thread
        if thread is None:
            raise RuntimeError("start the site first")
        try:
            while thread.is_alive():
                thread.join(0.5)
        finally:
            self.stop()

    def __enter__(self) -> DemoSite:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def url(self, path: str = "/", host: str = WWW) -> str:
        """``http://<host>:<port><path>``; needs a known port (started, or given)."""
        if not self.port:
            raise RuntimeError("port unknown: start the site first")
        return f"http://{host}:{self.port}{path}"

    def configured_delay(self, host: str, path: str) -> int:
        """Milliseconds from ``delays`` for a request to ``host`` + ``path``."""
        return self.delays.get(host, 0) + self.delays.get(host + path, 0)

    def reset(self) -> None:
        """Forget every configured delay, and the work in flight on ``/crowded``."""
        self.delays.clear()
        self.processor.reset()

    @property
    def log(self) -> list[Served]:
        """A snapshot of the requests answered since start or ``clear_log``, in order."""
        with self._state.lock:
            return list(self._state.log)

    @property
    def ws_messages(self) -> list[str]:
        """Text frames received on /ws since start or ``clear_log``, one entry per frame."""
        with self._state.lock:
            return list(self._state.messages)

    def log_for(self, host: str) -> list[Served]:
        """The part of ``log`` for ``host``."""
        return [served for served in self.log if served.host == host]

    def clear_log(self) -> None:
        """Empty ``log`` and ``ws_messages``."""
        with self._state.lock:
            self._state.log.clear()
            self._state.messages.clear()

    def wait_for(self, host: str, path: str, timeout: float = 5.0) -> Served:
        """The first logged request for ``host`` + ``path`` (already logged or arriving
        within ``timeout`` seconds, e.g. a beacon). Raises TimeoutError otherwise."""

        def match() -> Served | None:
            return next((s for s in self._state.log if (s.host, s.path) == (host, path)), None)

        with self._state.lock:
            found = self._state.lock.wait_for(match, timeout)
        if found is None:
            raise TimeoutError(f"no request for {host}{path} within {timeout} s")
        return found

    def expected(self, page: str = "/") -> list[tuple[str, str, int]]:
        """``(host, path, body_bytes)`` of every subresource ``page`` loads (the font via
        app.css included; XHR, WebSocket and beacons not), in document order."""
        return [(r.host, r.path, r.body_bytes) for r in content.page_subresources(page)]

    def _record(self, served: Served) -> None:
        with self._state.lock:
            self._state.log.append(served)
            self._state.lock.notify_all()

    def _withdraw(self, served: Served) -> None:
        with self._state.lock:
            self._state.log[:] = [entry for entry in self._state.log if entry is not served]

    def _record_message(self, message: str) -> None:
        with self._state.lock:
            self._state.messages.append(message)

    def _track(self, connection: socket.socket) -> None:
        with self._state.lock:
            self._state.connections.add(connection)

    def _untrack(self, connection: socket.socket) -> None:
        with self._state.lock:
            self._state.connections.discard(connection)
