"""Connection and CPU profiles: the lab conditions a measurement is taken under. Pure.

A profile is a download and an upload bandwidth (kbps, 1 kbps = 1,000 bit/s), a round-trip
latency (ms) and a CPU slow-down factor. An agent applies it through the browser's own
emulation (``agents.emulation``); README "Connection and CPU profiles" says what that can and
cannot reproduce. ``native`` shapes nothing: the agent machine's own connection and CPU.

The built-in profiles carry the figures their sources publish:

- WebPageTest's connectivity profiles (``www/settings/connectivity.ini.sample`` of
  github.com/catchpoint/WebPageTest, formerly WPO-Foundation/webpagetest, as of its 2023
  revision): ``bwIn``/``bwOut`` in bit/s, ``latency`` the round trip in ms. WebPageTest
  shapes packets (its traffic-shaper / netem / dummynet) and applies half the latency each
  way; here the whole round trip is the browser's per-request latency.
- Lighthouse's throttling constants (``core/config/constants.js`` of
  github.com/GoogleChrome/lighthouse): ``mobileSlow4G`` (rttMs 150, throughputKbps
  1.6 × 1024, upload 750, cpuSlowdownMultiplier 4) as Lighthouse's ``devtools`` throttling
  method applies it: ``requestLatencyMs`` = 150 × 3.75 = 562.5 ms and throughputs × 0.9
  (``DEVTOOLS_RTT_ADJUSTMENT_FACTOR`` and ``DEVTOOLS_THROUGHPUT_ADJUSTMENT_FACTOR``, which
  make per-request browser emulation approximate the packet-level figures); and
  ``mobileRegular3G`` (rttMs 300, 700 kbps, cpu 4) the same way. Lighthouse's kbps are
  1,024 bit/s (``core/lib/emulation.js`` multiplies by 1024 / 8), so its throughputs are
  converted to Perfite's 1,000 bit/s here. Lighthouse's desktop profile (``desktopDense4G``,
  40 ms, 10 × 1024 kbps, CPU 1) is WebPageTest's ``4GFast``: it is ``4g-fast``.
"""

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

NATIVE_NAME = "native"
# A profile name is a Graphite path node and a URL query value: lower case, digits, '-'.
NAME_RE = re.compile(r"[a-z0-9][a-z0-9-]{0,39}")
MAX_NAME = 40
# Bounds of what a profile may say: beyond them emulation means nothing (a 10 Gbit/s cap is
# no cap; a minute of latency per request times every run out).
MAX_KBPS = 10_000_000.0
MAX_RTT_MS = 10_000.0
MAX_CPU_SLOWDOWN = 20.0
# Lighthouse's kbps (1,024 bit/s) in Perfite's (1,000 bit/s).
_LIGHTHOUSE_KBPS = 1.024
_LH_RTT = 3.75  # Lighthouse DEVTOOLS_RTT_ADJUSTMENT_FACTOR
_LH_THROUGHPUT = 0.9  # Lighthouse DEVTOOLS_THROUGHPUT_ADJUSTMENT_FACTOR


class ProfileError(ValueError):
    """A profile (a name or its numbers) that cannot be used; the message says why."""


@dataclass(frozen=True)
class Profile:
    """Lab conditions: bandwidths in kbps (0: not limited), round trip in ms (0: none added),
    CPU slow-down factor (1: none)."""

    name: str
    download_kbps: float = 0.0
    upload_kbps: float = 0.0
    rtt_ms: float = 0.0
    cpu_slowdown: float = 1.0
    label: str = field(default="", compare=False)  # for people; not part of the conditions

    @property
    def shapes_network(self) -> bool:
        return bool(self.download_kbps or self.upload_kbps or self.rtt_ms)

    @property
    def native(self) -> bool:
        """Whether it changes nothing: no emulation is applied at all."""
        return not self.shapes_network and self.cpu_slowdown == 1

    def as_spec(self) -> dict[str, Any]:
        """The profile as a spec and a result document carry it (docs/result-document.md)."""
        return {
            "name": self.name,
            "download_kbps": self.download_kbps,
            "upload_kbps": self.upload_kbps,
            "rtt_ms": self.rtt_ms,
            "cpu_slowdown": self.cpu_slowdown,
        }

    def describe(self) -> str:
        """``4g: 9 Mbps down, 9 Mbps up, 170 ms RTT, CPU ×1`` (``native: no shaping``)."""
        if self.native:
            return f"{self.name}: no shaping"
        down = _rate(self.download_kbps)
        up = _rate(self.upload_kbps)
        cpu = f"{self.cpu_slowdown:g}"
        return f"{self.name}: {down} down, {up} up, {self.rtt_ms:g} ms RTT, CPU ×{cpu}"


def _rate(kbps: float) -> str:
    if not kbps:
        return "unlimited"
    return f"{kbps / 1000:g} Mbps" if kbps >= 1000 else f"{kbps:g} kbps"


def _wpt(name: str, label: str, bw_in: int, bw_out: int, latency: int) -> Profile:
    """A WebPageTest connectivity entry (bit/s, ms) as a profile."""
    return Profile(name, bw_in / 1000, bw_out / 1000, float(latency), 1.0, label)


def _lighthouse(name: str, label: str, rtt: float, down: float, up: float, cpu: float) -> Profile:
    """A Lighthouse throttling preset as its devtools method applies it (see the module
    docstring): its kbps are 1,024 bit/s."""
    return Profile(
        name,
        round(down * _LH_THROUGHPUT * _LIGHTHOUSE_KBPS, 3),
        round(up * _LH_THROUGHPUT * _LIGHTHOUSE_KBPS, 3),
        rtt * _LH_RTT,
        cpu,
        label,
    )


NATIVE = Profile(NATIVE_NAME, label="Native connection (no shaping)")
BUILTIN: dict[str, Profile] = {
    p.name: p
    for p in (
        NATIVE,
        _wpt("cable", "Cable (5/1 Mbps 28 ms RTT)", 5_000_000, 1_000_000, 28),
        _wpt("dsl", "DSL (1.5 Mbps/384 kbps 50 ms RTT)", 1_500_000, 384_000, 50),
        _wpt("fios", "FIOS (20/5 Mbps 4 ms RTT)", 20_000_000, 5_000_000, 4),
        _wpt("4g", "4G (9 Mbps, 170 ms RTT)", 9_000_000, 9_000_000, 170),
        _wpt("4g-fast", "4G Fast (10 Mbps, 40 ms RTT)", 10_240_000, 10_240_000, 40),
        _wpt("lte", "LTE (12 Mbps, 70 ms RTT)", 12_000_000, 12_000_000, 70),
        _wpt("3g", "3G (1.6 Mbps/768 kbps 300 ms RTT)", 1_600_000, 768_000, 300),
        _wpt("3g-fast", "3G Fast (1.6 Mbps/768 kbps 150 ms RTT)", 1_600_000, 768_000, 150),
        _wpt("3g-slow", "3G Slow (400 kbps, 400 ms RTT)", 400_000, 400_000, 400),
        _wpt("2g", "2G (280/256 kbps 800 ms RTT)", 280_000, 256_000, 800),
        _wpt("edge", "Mobile Edge (240/200 kbps 840 ms RTT)", 240_000, 200_000, 840),
        _wpt("dial", "56K Dial-Up (49/30 kbps 120 ms RTT)", 49_000, 30_000, 120),
        _lighthouse(
            "lighthouse-mobile", "Lighthouse mobile (slow 4G, CPU ×4)", 150, 1.6 * 1024, 750, 4
        ),
        _lighthouse("lighthouse-3g", "Lighthouse regular 3G (CPU ×4)", 300, 700, 700, 4),
    )
}


def name_problem(name: Any) -> str | None:
    """Why ``name`` cannot name a profile (it becomes a Graphite node), None when it can."""
    if not isinstance(name, str) or not NAME_RE.fullmatch(name):
        return (
            f"invalid profile name {str(name)[:50]!r}: 1 to {MAX_NAME} lower-case letters, "
            "digits and '-', starting with a letter or digit"
        )
    return None


def numbers_problem(
    download_kbps: Any, upload_kbps: Any, rtt_ms: Any, cpu_slowdown: Any
) -> str | None:
    """Why these numbers cannot make a profile, None when they can: finite, bandwidths 0
    (unlimited) or at least 1 kbps and at most MAX_KBPS, a round trip of 0 to MAX_RTT_MS,
    a CPU factor of 1 to MAX_CPU_SLOWDOWN."""
    checks = (
        ("download_kbps", download_kbps, 0.0, MAX_KBPS),
        ("upload_kbps", upload_kbps, 0.0, MAX_KBPS),
        ("rtt_ms", rtt_ms, 0.0, MAX_RTT_MS),
        ("cpu_slowdown", cpu_slowdown, 1.0, MAX_CPU_SLOWDOWN),
    )
    for name, value, low, high in checks:
        if isinstance(value, bool) or not isinstance(value, int | float):
            return f"{name} must be a number"
        if not math.isfinite(value) or not low <= value <= high:
            return f"{name} must be between {low:g} and {high:g}, got {value}"
    for name, value in (("download_kbps", download_kbps), ("upload_kbps", upload_kbps)):
        if 0 < value < 1:
            # Chromium takes whole bytes per second: under 1 kbps is 0, which is no limit.
            return f"{name} must be 0 (unlimited) or at least 1 kbps, got {value}"
    return None


def from_spec(value: Any) -> Profile:
    """The profile a spec or a result document carries (``as_spec`` form); NATIVE for None
    (a spec built before profiles). Raises ProfileError when it is malformed."""
    if value is None:
        return NATIVE
    if not isinstance(value, Mapping):
        raise ProfileError("profile must be an object")
    name = value.get("name")
    if problem := name_problem(name):
        raise ProfileError(f"profile.name: {problem}")
    numbers = [value.get(k) for k in ("download_kbps", "upload_kbps", "rtt_ms", "cpu_slowdown")]
    if problem := numbers_problem(*numbers):
        raise ProfileError(f"profile.{problem}")
    down, up, rtt, cpu = (float(n) for n in numbers if isinstance(n, int | float))
    return Profile(str(name), down, up, rtt, cpu)


def builtin(name: str) -> Profile | None:
    """The built-in profile called ``name``, None when there is none."""
    return BUILTIN.get(name)


def named(name: str) -> Profile:
    """The built-in profile called ``name``; raises ProfileError listing them."""
    found = builtin(name)
    if found is None:
        raise ProfileError(f"no built-in profile {name!r}; built in: {', '.join(BUILTIN)}")
    return found


def recorded(spec: Mapping[str, Any]) -> dict[str, Any] | None:
    """The ``profile`` a result document records for a measurement of ``spec``: the spec's
    own (``as_spec`` form), NATIVE's when the spec has none, None when the spec's is
    malformed (the agent refuses to measure under it: ``agents.emulation``)."""
    try:
        return from_spec(spec.get("profile")).as_spec()
    except ProfileError:
        return None
