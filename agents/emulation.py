"""Applying a connection and CPU profile (core.profiles) to a page, through its CDP session.

``agents.browser`` hands the page's CDP session in as a plain parameter; this module imports
no Playwright. The profile's numbers become Chromium's own emulation:

- ``Network.emulateNetworkConditions``: ``latency`` (the profile's round trip, which the
  browser's network layer adds to every request between sending it and handing its response
  headers to the page) and ``downloadThroughput`` / ``uploadThroughput`` in bytes per second
  (kbps × 1000 / 8; -1 when the profile leaves a direction unlimited);
- ``Emulation.setCPUThrottlingRate``: the renderer's main thread runs ``cpu_slowdown`` times
  slower.

Nothing is sent for the native profile: a native run is measured exactly as before
profiles existed.

One number is repaired. Chromium holds a response's headers for the emulated latency
*after* they arrived from the network, and Navigation Timing's ``responseStart`` is their
arrival (CDP's ``receiveHeadersStart``), not their delivery to the page
(``receiveHeadersEnd``): a document's TTFB would not show the latency at all, while every
later moment of the page does. Under a shaped network, :meth:`Emulation.delay_documents`
moves each document's ``responseStart`` to the delivery of its headers.
"""

from collections.abc import MutableMapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from core.profiles import Profile, from_spec


class EventSession(Protocol):
    """What is needed of the page's DevTools session (Playwright's CDPSession): commands, as
    agents.cdp.CdpSession, and events."""

    def send(self, method: str, params: dict[str, Any] | None = None) -> dict[str, Any]: ...

    def on(self, event: str, handler: Any) -> None: ...


def network_conditions(profile: Profile) -> dict[str, Any]:
    """The parameters of ``Network.emulateNetworkConditions`` for ``profile``."""
    return {
        "offline": False,
        "latency": profile.rtt_ms,
        "downloadThroughput": _bytes_per_second(profile.download_kbps),
        "uploadThroughput": _bytes_per_second(profile.upload_kbps),
    }


def _bytes_per_second(kbps: float) -> float:
    return kbps * 1000 / 8 if kbps else -1


def held_ms(timing: Any) -> float | None:
    """How long the browser held a response's headers after they arrived (CDP
    ``ResourceTiming``: ``receiveHeadersEnd`` − ``receiveHeadersStart``, ms); None when the
    timing does not say (a Chromium without ``receiveHeadersStart``, a cached response)."""
    if not isinstance(timing, dict):
        return None
    start, end = timing.get("receiveHeadersStart"), timing.get("receiveHeadersEnd")
    if not isinstance(start, int | float) or not isinstance(end, int | float) or start < 0:
        return None
    return max(float(end) - float(start), 0.0)


@dataclass
class Emulation:
    """The profile applied to one page, and what its documents' headers were held for."""

    profile: Profile
    # document URL → how long each response for it was held (ms), in the order they came
    held: dict[str, list[float]] = field(default_factory=dict)

    def response(self, event: dict[str, Any]) -> None:
        """CDP ``Network.responseReceived``: keep a document's header hold."""
        if event.get("type") != "Document":
            return
        response = event.get("response") or {}
        ms = held_ms(response.get("timing"))
        if ms is not None and response.get("url"):
            self.held.setdefault(str(response["url"]), []).append(ms)

    def delay_documents(self, snapshots: MutableMapping[float, dict[str, Any]]) -> None:
        """Move each document's ``responseStart`` (collector snapshots, keyed by time origin)
        to when the browser handed its headers over: arrival + hold, at most
        ``responseEnd``. Documents of one URL take that URL's holds in load order. Nothing
        changes when the network was not shaped."""
        if not self.profile.shapes_network:
            return
        taken: dict[str, int] = {}
        for origin in sorted(snapshots):
            snapshot = snapshots[origin]
            url, nav = str(snapshot.get("url") or "").split("#", 1)[0], snapshot.get("nav")
            holds = self.held.get(url, [])
            index = taken.get(url, 0)
            taken[url] = index + 1
            if not nav or index >= len(holds) or nav.get("responseStart") is None:
                continue
            delivered = float(nav["responseStart"]) + holds[index]
            end = nav.get("responseEnd")
            nav["responseStart"] = min(delivered, float(end)) if end else delivered


def apply_profile(cdp: EventSession, value: Any) -> Emulation:
    """Apply the spec's ``profile`` (core.profiles ``as_spec`` form, None: native) to the
    page of ``cdp``, before its first navigation; returns the Emulation, which keeps the
    documents' header holds from now on (``cdp`` must have the Network domain enabled).

    Raises core.profiles.ProfileError, sending nothing, when the spec's profile is
    malformed: the run must not be measured under conditions other than those it names.
    """
    emulation = Emulation(from_spec(value))
    profile = emulation.profile
    if profile.shapes_network:
        cdp.on("Network.responseReceived", emulation.response)
        cdp.send("Network.emulateNetworkConditions", network_conditions(profile))
    if profile.cpu_slowdown != 1:
        cdp.send("Emulation.setCPUThrottlingRate", {"rate": profile.cpu_slowdown})
    return emulation


def refuse_profile(browser: str, value: Any) -> tuple[Emulation, str | None]:
    """For a browser without network and CPU emulation: the native Emulation, and the reason
    the run cannot be measured when the spec's ``profile`` asks for shaping (None when it
    does not). A run is never measured under other conditions than those it names."""
    profile = from_spec(value)
    if profile.native:
        return Emulation(profile), None
    return Emulation(from_spec(None)), (
        f"{browser} cannot apply the profile {profile.name!r}: connection and CPU profiles "
        "need Chromium's emulation"
    )
