"""The address-policy proxy in a process of its own: started with a policy and a DNS map,
asked for its report, stopped by closing its input."""

import socket

import pytest

from agents.proxy_process import ProxyProcess
from core.netpolicy import AddressPolicy

pytestmark = pytest.mark.system  # starts a Python process


def socks_reply(port: int, host: bytes, dest_port: int) -> int:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(b"\x05\x01\x00")
        sock.sendall(b"\x05\x01\x00\x03" + bytes([len(host)]) + host + dest_port.to_bytes(2, "big"))
        answer = b""
        while len(answer) < 12:
            answer += sock.recv(12 - len(answer))
        return answer[3]


def test_it_enforces_its_policy_and_map_reports_and_stops_quietly(
    capfd: pytest.CaptureFixture[str],
) -> None:
    proxy = ProxyProcess(AddressPolicy.parse([], ["allowed.test"]), {"shop.test": "127.0.0.1"})
    proxy.start()
    try:
        refused = socks_reply(proxy.port, b"shop.test", 9)
        allowed_but_closed = socks_reply(proxy.port, b"allowed.test", 9)
        report = proxy.take_report()
        again = proxy.take_report()
    finally:
        proxy.close()

    assert (refused, allowed_but_closed) == (2, 4)
    assert report.failures == {
        ("shop.test", 9): (
            "blocked by the address policy: shop.test:9 resolves to 127.0.0.1, a loopback "
            "address; allow it with PERFITE_ALLOWED_NETWORKS=127.0.0.0/8 or "
            "PERFITE_ALLOWED_HOSTS=shop.test"
        ),
        ("allowed.test", 9): "net::ERR_NAME_NOT_RESOLVED",
    }
    assert list(report.lookup_ms) == ["allowed.test"]
    assert (again.failures, again.lookup_ms) == ({}, {})
    assert not proxy.alive()
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", proxy.port), timeout=5)
    assert capfd.readouterr().err == ""


def test_a_proxy_that_is_gone_reports_nothing() -> None:
    proxy = ProxyProcess(AddressPolicy()).start()
    assert proxy._process is not None
    proxy._process.kill()
    proxy._process.wait()

    assert not proxy.alive()
    assert proxy.take_report().failures == {}
    proxy.close()
