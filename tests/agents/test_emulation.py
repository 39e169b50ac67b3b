"""agents.emulation without a browser: the CDP commands a profile becomes, and the repair
of a document's TTFB under a shaped network."""

from typing import Any

import pytest

from agents.emulation import Emulation, apply_profile, held_ms, network_conditions
from core.profiles import BUILTIN, NATIVE, Profile, ProfileError


class RecordingSession:
    """Stands in for Playwright's CDPSession: keeps what was sent and subscribed."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, dict[str, Any] | None]] = []
        self.handlers: dict[str, Any] = {}

    def send(self, method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        self.sent.append((method, params))
        return {}

    def on(self, event: str, handler: Any) -> None:
        self.handlers[event] = handler


def test_bandwidths_become_bytes_per_second_and_the_round_trip_the_latency() -> None:
    assert network_conditions(BUILTIN["3g"]) == {
        "offline": False,
        "latency": 300.0,
        "downloadThroughput": 200_000.0,  # 1,600 kbps = 1,600,000 bit/s / 8
        "uploadThroughput": 96_000.0,  # 768 kbps
    }


def test_an_unlimited_direction_is_minus_one_chromiums_no_limit() -> None:
    conditions = network_conditions(Profile("latency-only", rtt_ms=400))
    assert (conditions["downloadThroughput"], conditions["uploadThroughput"]) == (-1, -1)
    assert conditions["latency"] == 400


def test_native_sends_nothing() -> None:
    cdp = RecordingSession()
    emulation = apply_profile(cdp, NATIVE.as_spec())
    assert cdp.sent == [] and cdp.handlers == {}
    assert emulation.profile == NATIVE
    assert apply_profile(cdp, None).profile == NATIVE  # a spec from before profiles
    assert cdp.sent == []


def test_a_mobile_profile_shapes_the_network_and_slows_the_cpu() -> None:
    cdp = RecordingSession()
    apply_profile(cdp, BUILTIN["lighthouse-mobile"].as_spec())
    assert cdp.sent == [
        (
            "Network.emulateNetworkConditions",
            {
                "offline": False,
                "latency": 562.5,
                "downloadThroughput": 1509.949 * 1000 / 8,
                "uploadThroughput": 691.2 * 1000 / 8,
            },
        ),
        ("Emulation.setCPUThrottlingRate", {"rate": 4.0}),
    ]
    assert set(cdp.handlers) == {"Network.responseReceived"}


def test_a_cpu_only_profile_leaves_the_network_alone() -> None:
    cdp = RecordingSession()
    apply_profile(cdp, Profile("cpu", cpu_slowdown=6).as_spec())
    assert cdp.sent == [("Emulation.setCPUThrottlingRate", {"rate": 6.0})]


def test_a_malformed_profile_is_refused_before_anything_is_sent() -> None:
    cdp = RecordingSession()
    with pytest.raises(ProfileError, match="profile.cpu_slowdown must be between 1 and 20"):
        apply_profile(cdp, {**BUILTIN["4g"].as_spec(), "cpu_slowdown": 0})
    assert cdp.sent == []


def test_the_hold_is_from_the_headers_arrival_to_their_delivery() -> None:
    assert held_ms({"receiveHeadersStart": 1.9, "receiveHeadersEnd": 401.6}) == pytest.approx(399.7)
    assert held_ms({"receiveHeadersEnd": 401.6}) is None  # an older Chromium
    assert held_ms({"receiveHeadersStart": -1, "receiveHeadersEnd": 3}) is None
    assert held_ms(None) is None


def response(url: str, start: float, end: float, kind: str = "Document") -> dict[str, Any]:
    return {
        "type": kind,
        "response": {
            "url": url,
            "timing": {"receiveHeadersStart": start, "receiveHeadersEnd": end},
        },
    }


def snapshot(url: str, response_start: float, response_end: float) -> dict[str, Any]:
    return {"url": url, "nav": {"responseStart": response_start, "responseEnd": response_end}}


def test_each_documents_ttfb_moves_to_the_delivery_of_its_headers_in_load_order() -> None:
    emulation = Emulation(BUILTIN["3g-slow"])
    emulation.response(response("http://a/", 2.0, 402.0))
    emulation.response(response("http://a/app.js", 5.0, 405.0, kind="Script"))
    emulation.response(response("http://a/b", 3.0, 403.5))
    emulation.response(response("http://a/", 1.0, 401.0))
    snapshots = {
        1000.0: snapshot("http://a/", 5.9, 423.4),
        2000.0: snapshot("http://a/b#top", 4.0, 900.0),
        3000.0: snapshot("http://a/", 3.0, 350.0),
    }

    emulation.delay_documents(snapshots)

    assert snapshots[1000.0]["nav"]["responseStart"] == 405.9
    assert snapshots[2000.0]["nav"]["responseStart"] == 404.5
    # never past the end of the response
    assert snapshots[3000.0]["nav"]["responseStart"] == 350.0


def test_a_document_without_a_hold_or_a_native_run_keeps_navigation_timing() -> None:
    shaped = Emulation(BUILTIN["4g"])
    native = Emulation(NATIVE)
    for emulation in (shaped, native):
        emulation.response(response("http://a/", 1.0, 1.5))
    snapshots = {1.0: snapshot("http://other/", 5.0, 9.0)}
    native_snapshots = {1.0: snapshot("http://a/", 5.0, 9.0)}

    shaped.delay_documents(snapshots)
    native.delay_documents(native_snapshots)

    assert snapshots[1.0]["nav"]["responseStart"] == 5.0
    assert native_snapshots[1.0]["nav"]["responseStart"] == 5.0
