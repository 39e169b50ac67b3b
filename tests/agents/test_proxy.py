"""The address-policy proxy in process: SOCKS5 in, the policy checked after resolution for
every connection, bytes relayed exactly, and the reasons of what it refused reported."""

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

import pytest

from agents.proxy import PolicyProxy
from core.netpolicy import AddressPolicy, check_url

LOOPBACK = AddressPolicy.parse(["127.0.0.0/8"])
BLOCKED_LOOPBACK = (
    "blocked by the address policy: {host}:{port} resolves to 127.0.0.1, a loopback address; "
    "allow it with PERFITE_ALLOWED_NETWORKS=127.0.0.0/8"
)


def run(test: Callable[[], Coroutine[Any, Any, None]]) -> None:
    asyncio.run(asyncio.wait_for(test(), 20))


class Echo:
    """A loopback server echoing what it reads, closing after the client's end of stream."""

    def __init__(self) -> None:
        self.connections = 0
        self.port = 0
        self.server: asyncio.Server | None = None

    async def __aenter__(self) -> "Echo":
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self.server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *_: object) -> None:
        assert self.server is not None
        self.server.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
        writer.close()


async def socks(
    proxy_port: int, host: str, port: int, command: int = 1
) -> tuple[int, asyncio.StreamReader, asyncio.StreamWriter]:
    """Ask the proxy on ``proxy_port`` for ``host``:``port`` as Chromium does; returns the
    reply code and the open streams."""
    reader, writer = await asyncio.open_connection("127.0.0.1", proxy_port)
    writer.write(b"\x05\x01\x00")
    try:
        address = b"\x01" + ipaddress.IPv4Address(host).packed
    except ValueError:
        address = b"\x03" + bytes([len(host)]) + host.encode()
    writer.write(bytes([5, command, 0]) + address + port.to_bytes(2, "big"))
    assert await reader.readexactly(2) == b"\x05\x00"
    reply = await reader.readexactly(10)
    return reply[1], reader, writer


def resolver(table: dict[str, list[str]], asked: list[str]) -> Callable[..., Awaitable[list[str]]]:
    async def resolve(host: str, port: int) -> list[str]:
        asked.append(host)
        await asyncio.sleep(0.05)  # long enough for connections asking together to meet
        if host not in table:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return table[host]

    return resolve


def test_an_allowed_connection_relays_every_byte_both_ways_and_the_end() -> None:
    async def test() -> None:
        async with Echo() as echo:
            proxy = PolicyProxy(LOOPBACK)
            port = await proxy.start()
            code, reader, writer = await socks(port, "www.example.localhost", echo.port)
            payload = bytes(range(256)) * 1024  # 256 KiB: more than one read, flow control
            writer.write(payload)
            writer.write_eof()
            echoed = await reader.read()  # up to the end of stream the echo's close sends
            writer.close()
            await proxy.close()
        assert (code, echoed == payload, len(echoed)) == (0, True, len(payload))
        assert proxy.take_report().failures == {}

    run(test)


def test_a_refused_address_is_never_connected_to_and_the_reason_is_kept() -> None:
    async def test() -> None:
        async with Echo() as echo:
            proxy = PolicyProxy(AddressPolicy())
            port = await proxy.start()
            code, _, writer = await socks(port, "127.0.0.1", echo.port)
            writer.close()
            await proxy.close()
            assert (code, echo.connections) == (2, 0)  # "not allowed by ruleset"
            assert proxy.take_report().failures == {
                ("127.0.0.1", echo.port): BLOCKED_LOOPBACK.format(host="127.0.0.1", port=echo.port)
            }

    run(test)


def test_a_name_allowed_when_saved_is_refused_when_it_now_resolves_to_loopback() -> None:
    # DNS rebinding: public when the scenario was saved, loopback when the browser connects
    assert check_url(AddressPolicy(), "http://rebind.example/", lambda _: ["93.184.216.34"]) is None

    async def test() -> None:
        async with Echo() as echo:
            asked: list[str] = []
            proxy = PolicyProxy(
                AddressPolicy(), resolve=resolver({"rebind.example": ["127.0.0.1"]}, asked)
            )
            port = await proxy.start()
            code, _, writer = await socks(port, "rebind.example", echo.port)
            writer.close()
            await proxy.close()
            assert (code, echo.connections, asked) == (2, 0, ["rebind.example"])
            assert proxy.take_report().failures == {
                ("rebind.example", echo.port): (
                    f"blocked by the address policy: rebind.example:{echo.port} resolves to "
                    "127.0.0.1, a loopback address; allow it with "
                    "PERFITE_ALLOWED_NETWORKS=127.0.0.0/8 or PERFITE_ALLOWED_HOSTS=rebind.example"
                )
            }

    run(test)


def test_only_an_allowed_address_of_a_name_is_connected_to() -> None:
    async def test() -> None:
        async with Echo() as echo:
            table = {"split.example": ["10.1.1.1", "127.0.0.1"]}
            proxy = PolicyProxy(AddressPolicy.parse(["127.0.0.1/32"]), resolve=resolver(table, []))
            port = await proxy.start()
            code, reader, writer = await socks(port, "split.example", echo.port)
            writer.write(b"ping")
            answer = await reader.readexactly(4)
            writer.close()
            await proxy.close()
        assert (code, answer, echo.connections) == (0, b"ping", 1)

    run(test)


def test_the_dns_map_answers_first_and_its_address_is_checked() -> None:
    async def test() -> None:
        async with Echo() as echo:
            mapped = {"Shop.Test": "127.0.0.1"}
            asked: list[str] = []
            allowed = PolicyProxy(LOOPBACK, mapped, resolver({}, asked))
            refused = PolicyProxy(AddressPolicy(), mapped, resolver({}, asked))
            codes = []
            for proxy in (allowed, refused):
                code, _, writer = await socks(await proxy.start(), "shop.test", echo.port)
                codes.append(code)
                writer.close()
                await proxy.close()
            assert (codes, asked, echo.connections) == ([0, 2], [], 1)
            assert refused.take_report().failures == {
                ("shop.test", echo.port): (
                    f"blocked by the address policy: shop.test:{echo.port} resolves to "
                    "127.0.0.1, a loopback address; allow it with "
                    "PERFITE_ALLOWED_NETWORKS=127.0.0.0/8 or PERFITE_ALLOWED_HOSTS=shop.test"
                )
            }

    run(test)


def test_a_name_is_looked_up_once_per_run_and_timed() -> None:
    async def test() -> None:
        async with Echo() as echo:
            asked: list[str] = []
            proxy = PolicyProxy(LOOPBACK, resolve=resolver({"app.lab": ["127.0.0.1"]}, asked))
            port = await proxy.start()
            first = await asyncio.gather(*(socks(port, "app.lab", echo.port) for _ in range(3)))
            report = proxy.take_report()
            second = await socks(port, "app.lab", echo.port)
            for _, _, writer in [*first, second]:
                writer.close()
            await proxy.close()
        assert [code for code, _, _ in [*first, second]] == [0, 0, 0, 0]
        assert asked == ["app.lab", "app.lab"]  # once for the three together, once after
        assert list(report.lookup_ms) == ["app.lab"]
        assert report.lookup_ms["app.lab"] >= 50

    run(test)


def test_network_failures_carry_the_error_the_browser_would_have_given() -> None:
    async def test() -> None:
        closed = socket.socket()
        closed.bind(("127.0.0.1", 0))
        free = closed.getsockname()[1]
        closed.close()
        proxy = PolicyProxy(LOOPBACK, resolve=resolver({}, []))
        port = await proxy.start()
        unknown, _, w1 = await socks(port, "nothing.invalid", 80)
        refused, _, w2 = await socks(port, "127.0.0.1", free)
        w1.close()
        w2.close()
        await proxy.close()
        assert (unknown, refused) == (4, 5)
        assert proxy.take_report().failures == {
            ("nothing.invalid", 80): "net::ERR_NAME_NOT_RESOLVED",
            ("127.0.0.1", free): "net::ERR_CONNECTION_REFUSED",
        }

    run(test)


def test_only_connect_requests_are_served() -> None:
    async def test() -> None:
        proxy = PolicyProxy(LOOPBACK)
        port = await proxy.start()
        code, _, writer = await socks(port, "127.0.0.1", 80, command=2)  # BIND
        writer.close()
        await proxy.close()
        assert code == 7

    run(test)


def test_a_bad_dns_map_address_is_refused_at_start() -> None:
    with pytest.raises(ValueError, match="does not appear to be an IPv4 or IPv6 address"):
        PolicyProxy(LOOPBACK, {"shop.test": "not-an-ip"})
