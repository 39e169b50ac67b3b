"""The address-policy proxy: every connection of a browser, checked after name resolution.

A browser of the pool is launched with ``--proxy-server=socks5://127.0.0.1:<port>`` (see
agents.browser), so Chromium hands every connection of a page — document, subresources,
XHR, WebSockets, loopback included — to this SOCKS5 server with the host name as the page
asked for it. The proxy resolves the name (the spec's DNS map first, then ``localhost`` names
as Chromium would, then the system resolver), checks each address with core.netpolicy,
connects to exactly an allowed address and relays bytes unchanged both ways. A name that
resolved to an allowed address when the scenario was saved and to a forbidden one now (DNS
rebinding) is refused here, for every request of the page.

A refused or failed connection answers the SOCKS request with an error, and Chromium fails
that request with ERR_SOCKS_CONNECTION_FAILED; :meth:`PolicyProxy.take_report` says why
(``blocked by the address policy: <reason>``, or the error Chromium would have given without
the proxy: ERR_NAME_NOT_RESOLVED, ERR_CONNECTION_REFUSED …) and agents.proxy_errors puts that
back in the browser's error texts. The report also says how long each name took to look up:
the browser no longer resolves names, so its timings put that time inside "connect".

One proxy serves one browser, in a process of its own (agents.proxy_process), so that its
latency does not depend on how busy the agent's Python is. No Playwright here
(agents.browser is the one module importing it).
"""

import asyncio
import contextlib
import errno
import ipaddress
import logging
import socket
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field

from agents.proxy_errors import BLOCKED
from core.netpolicy import (
    Address,
    AddressPolicy,
    canonical_host,
    check_connect,
    literal_address,
    localhost_addresses,
)

log = logging.getLogger(__name__)

# Resolution and connection together must finish within Chromium's own limit for a SOCKS
# handshake (30 s), or it gives up on the proxy first and the reason is lost.
RESOLVE_TIMEOUT_S = 10.0
CONNECT_TIMEOUT_S = 15.0
# With several addresses, one that does not answer must not use up the whole budget.
CONNECT_ATTEMPT_S = 4.0

# SOCKS5 (RFC 1928) reply codes.
_GENERAL_FAILURE = 1
_NOT_ALLOWED = 2
_NETWORK_UNREACHABLE = 3
_HOST_UNREACHABLE = 4
_REFUSED = 5
_COMMAND_NOT_SUPPORTED = 7
_ADDRESS_TYPE_NOT_SUPPORTED = 8

Resolver = Callable[[str, int], Awaitable[list[str]]]


@dataclass
class Report:
    """What a proxy saw since it was last asked (one run): ``failures`` maps (host as
    asked, port) to the reason the browser should show; ``lookup_ms`` maps a host name the
    proxy looked up with the system resolver to how long that took (milliseconds)."""

    failures: dict[tuple[str, int], str] = field(default_factory=dict)
    lookup_ms: dict[str, float] = field(default_factory=dict)


class _Refused(Exception):
    """A connection request that will not be relayed: SOCKS ``code``, the browser-side
    ``reason`` (what agents.proxy_errors.explain shows)."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


async def system_resolve(host: str, port: int) -> list[str]:
    """The addresses of ``host`` from the system resolver, in its order (no duplicates)."""
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


class PolicyProxy:
    """A SOCKS5 server on 127.0.0.1 enforcing ``policy``, with the DNS map ``dns`` (host →
    address, as a spec's ``setup.dns``), serving in the running asyncio loop (see
    agents.proxy_process for the process it runs in). ``resolve`` replaces the system
    resolver (tests). Raises ValueError for a ``dns`` address that is not an IP address.

    Bytes are relayed by protocol callbacks, not stream tasks: what arrives on one side is
    written to the other in the same turn of the loop, so a hop costs one wake-up."""

    def __init__(
        self,
        policy: AddressPolicy,
        dns: Mapping[str, str] | None = None,
        resolve: Resolver | None = None,
    ) -> None:
        self.policy = policy
        # Checked here, so a bad entry fails the start rather than each connection.
        self.dns = {
            canonical_host(host): ipaddress.ip_address(address)
            for host, address in (dns or {}).items()
        }
        self._resolve = resolve or system_resolve
        self._report = Report()
        # Names looked up during this run, as the browser's own host cache would keep them
        # (one per browser context, so per run): one lookup per name, shared by the
        # connections that ask at the same time. Only checked answers are connected to.
        self._lookups: dict[str, asyncio.Future[list[Address]]] = {}
        self._server: asyncio.Server | None = None
        self._links: set[_Link] = set()

    async def start(self) -> int:
        """Listen on an ephemeral loopback port; returns it."""
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(lambda: _Link(self), "127.0.0.1", 0, backlog=256)
        return int(self._server.sockets[0].getsockname()[1])

    async def close(self) -> None:
        """Stop listening and cut every connection."""
        if self._server is not None:
            self._server.close()
        for link in list(self._links):
            link.abort()
        lookups = list(self._lookups.values())
        for lookup in lookups:
            lookup.cancel()
        await asyncio.gather(*lookups, return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()

    def take_report(self) -> Report:
        """What happened since the last call; starts a new run (names are looked up anew)."""
        report, self._report = self._report, Report()
        self._lookups = {}
        return report

    async def _open(self, link: "_Link", host: str, port: int) -> None:
        """Connect ``link`` to ``host``:``port`` if the policy allows, and answer it."""
        try:
            await self._connect(link, host, port)
        except _Refused as refused:
            self._report.failures[(host, port)] = refused.reason
            link.refuse(refused.code)
        except Exception:  # a bug here must not leave the browser waiting
            log.exception("proxy: could not open %s:%s", host, port)
            link.refuse(_GENERAL_FAILURE)
        else:
            link.connected()

    async def _connect(self, link: "_Link", host: str, port: int) -> None:
        """Connect ``link`` upstream to an address of ``host`` the policy allows; raises
        _Refused."""
        addresses = await self._addresses(host, port)
        allowed, refusals = [], []
        for address in addresses:
            refusal = check_connect(self.policy, host, address, port)
            if refusal is None:
                allowed.append(address)
            else:
                refusals.append(refusal)
        if not allowed:
            raise _Refused(_NOT_ALLOWED, BLOCKED + refusals[0])
        loop = asyncio.get_running_loop()
        deadline = loop.time() + CONNECT_TIMEOUT_S
        error: OSError = TimeoutError()
        for n, address in enumerate(allowed):
            left = deadline - loop.time()
            budget = left if n == len(allowed) - 1 else min(left, CONNECT_ATTEMPT_S)
            try:
                async with asyncio.timeout(max(budget, 0.001)):
                    await loop.create_connection(lambda: _Upstream(link), str(address), port)
                return
            except OSError as exc:  # TimeoutError included
                error = exc
        raise _Refused(*_connect_error(error))

    async def _addresses(self, host: str, port: int) -> list[Address]:
        """What ``host`` resolves to, as Chromium would have resolved it; raises _Refused."""
        literal = literal_address(host)
        if literal is not None:
            return [literal]
        if host in self.dns:
            return [self.dns[host]]
        local = localhost_addresses(host)
        if local is not None:
            return local
        lookup = self._lookups.get(host)
        if lookup is None:
            lookup = self._lookups[host] = asyncio.ensure_future(self._look_up(host, port))
        addresses = await asyncio.shield(lookup)  # a browser giving up cancels only its wait
        if not addresses:
            raise _Refused(_HOST_UNREACHABLE, "net::ERR_NAME_NOT_RESOLVED")
        return addresses

    async def _look_up(self, host: str, port: int) -> list[Address]:
        """The addresses of ``host`` from the resolver ([] when none), timed in the report."""
        loop = asyncio.get_running_loop()
        started = loop.time()
        try:
            async with asyncio.timeout(RESOLVE_TIMEOUT_S):
                found = await self._resolve(host, port)
        except (OSError, TimeoutError, UnicodeError):
            found = []
        self._report.lookup_ms[host] = round((loop.time() - started) * 1000, 1)
        addresses = []
        for text in found:
            with contextlib.suppress(ValueError):
                addresses.append(ipaddress.ip_address(text))
        return addresses


class _Link(asyncio.Protocol):
    """One browser connection: the SOCKS5 handshake, then its bytes to and from upstream.

    The choice of "no authentication" is sent as soon as the browser connects, before its
    greeting is read: the browser finds it waiting and sends its request at once, so the
    proxy wakes once per handshake instead of twice (a wake-up can cost milliseconds on a
    busy machine, all of it inside the browser's connect time). A client that does not
    offer that method is cut off."""

    def __init__(self, proxy: PolicyProxy) -> None:
        self.proxy = proxy
        self.transport: asyncio.Transport | None = None
        self.upstream: asyncio.Transport | None = None
        self.pending = bytearray()  # what arrived before the upstream connection was ready
        self.opening: asyncio.Task[None] | None = None
        self.ended = {"browser": False, "upstream": False}  # end of stream seen, per side

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self.proxy._links.add(self)
        transport.write(b"\x05\x00")

    def data_received(self, data: bytes) -> None:
        if self.upstream is not None:
            self.upstream.write(data)
            return
        self.pending += data
        if self.opening is not None:
            return
        try:
            request = _parse_request(self.pending)
        except _Refused as refused:
            self.refuse(refused.code)
            return
        if request is not None:
            host, port, used = request
            del self.pending[:used]
            self.opening = asyncio.ensure_future(self.proxy._open(self, host, port))

    def attach(self, upstream: asyncio.Transport) -> None:
        """The upstream connection is made (not yet answered: see ``connected``)."""
        self.upstream = upstream

    def connected(self) -> None:
        """Tell the browser the connection is made, and pass on what it sent meanwhile."""
        if self.transport is None or self.upstream is None:
            return
        if self.transport.is_closing():  # the browser gave up meanwhile
            self.upstream.close()
            return
        self.transport.write(_reply(0))
        if self.pending:
            self.upstream.write(bytes(self.pending))
            self.pending.clear()

    def refuse(self, code: int) -> None:
        """Answer the request with SOCKS error ``code`` and close."""
        if self.transport is not None:
            self.transport.write(_reply(code))
            self.transport.close()

    def end(self, side: str) -> None:
        """``side`` sent its last byte: pass the half-close on; close once both did."""
        self.ended[side] = True
        other = self.transport if side == "upstream" else self.upstream
        if all(self.ended.values()):
            self.close()
        elif other is not None and other.can_write_eof():
            other.write_eof()

    def close(self) -> None:
        for transport in (self.transport, self.upstream):
            if transport is not None:
                transport.close()

    def abort(self) -> None:
        if self.opening is not None:
            self.opening.cancel()
        for transport in (self.transport, self.upstream):
            if transport is not None:
                transport.abort()

    def eof_received(self) -> bool:
        if self.upstream is None:
            return False  # gone before its connection was made: close
        self.end("browser")
        return True  # keep the other direction open

    def connection_lost(self, exc: Exception | None) -> None:
        self.proxy._links.discard(self)
        if self.opening is not None and not self.opening.done():
            self.opening.cancel()
        if self.upstream is not None:
            self.upstream.close()

    # Flow control: when the browser does not read, stop reading upstream, and back.
    def pause_writing(self) -> None:
        if self.upstream is not None:
            self.upstream.pause_reading()

    def resume_writing(self) -> None:
        if self.upstream is not None:
            self.upstream.resume_reading()


class _Upstream(asyncio.Protocol):
    """The connection to the destination of a :class:`_Link`."""

    def __init__(self, link: _Link) -> None:
        self.link = link

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.link.attach(transport)

    def data_received(self, data: bytes) -> None:
        if self.link.transport is not None:
            self.link.transport.write(data)

    def eof_received(self) -> bool:
        self.link.end("upstream")
        return True

    def connection_lost(self, exc: Exception | None) -> None:
        if self.link.transport is not None:
            self.link.transport.close()

    def pause_writing(self) -> None:
        if self.link.transport is not None:
            self.link.transport.pause_reading()

    def resume_writing(self) -> None:
        if self.link.transport is not None:
            self.link.transport.resume_reading()


def _parse_request(data: bytes | bytearray) -> tuple[str, int, int] | None:
    """The SOCKS5 greeting and CONNECT request at the start of ``data``: (host canonical,
    port, bytes used), or None while incomplete. Raises _Refused for anything but a
    CONNECT offering no authentication."""
    if len(data) < 2:
        return None
    if data[0] != 5:
        raise _Refused(_GENERAL_FAILURE, "the browser spoke another proxy protocol")
    at = 2 + data[1]
    if len(data) < at:
        return None
    if 0 not in data[2:at]:
        raise _Refused(_GENERAL_FAILURE, "the browser offered no method the proxy speaks")
    if len(data) < at + 5:
        return None
    version, command, _, kind = data[at : at + 4]
    if version != 5 or command != 1:
        raise _Refused(_COMMAND_NOT_SUPPORTED, "only CONNECT is relayed")
    if kind == 1:
        start, end = at + 4, at + 8
    elif kind == 4:
        start, end = at + 4, at + 20
    elif kind == 3:
        start, end = at + 5, at + 5 + data[at + 4]
    else:
        raise _Refused(_ADDRESS_TYPE_NOT_SUPPORTED, "unknown address type")
    if len(data) < end + 2:
        return None
    raw = bytes(data[start:end])
    if kind == 3:
        host = canonical_host(raw.decode("ascii", "replace"))
    else:
        host = str(ipaddress.ip_address(raw))
    return host, int.from_bytes(data[end : end + 2], "big"), end + 2


def _reply(code: int) -> bytes:
    """A SOCKS5 reply with ``code`` and an empty IPv4 bound address (Chromium ignores it)."""
    return bytes([5, code, 0, 1, 0, 0, 0, 0, 0, 0])


def _connect_error(error: OSError) -> tuple[int, str]:
    """The SOCKS reply code and the error Chromium itself gives for a failed connect."""
    if isinstance(error, ConnectionRefusedError):
        return _REFUSED, "net::ERR_CONNECTION_REFUSED"
    if isinstance(error, TimeoutError):
        return _HOST_UNREACHABLE, "net::ERR_CONNECTION_TIMED_OUT"
    if error.errno in (errno.ENETUNREACH, errno.EHOSTUNREACH):
        return _NETWORK_UNREACHABLE, "net::ERR_ADDRESS_UNREACHABLE"
    return _GENERAL_FAILURE, "net::ERR_CONNECTION_FAILED"
