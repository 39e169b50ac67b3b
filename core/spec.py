"""The measurement spec: the one builder of the plain-data job an agent measures.

Every run is measured from a spec built here, whoever asks: a scheduled, CI or "try it now"
run (``Run.spec()`` through ``Scenario.spec()``) and ``manage.py measure``
(``agents.scenario_file.spec_from_target``). The spec is a JSON-serialisable dict with
exactly these keys; ``agents.browser.measure`` and ``core.result.build`` read them:

``scenario``
    The scenario's slug (or a scenario file's ``name``), None when measuring a bare URL.
``run_id``
    The ``Run`` being measured, None outside the server (``manage.py measure``).
``location``
    The name of the location measuring it, ``""`` when none.
``browser``
    The browser to measure in (``core.browsers``: chromium, firefox or webkit); chromium
    unless one is given. The server sends a run to the queue of its browser
    (``core.queues``), so the agent taking it can drive that browser.
``url``
    The absolute URL opened first; relative steps resolve against it.
``setup``
    The browser context, from ``core.script.split_setup``: ``viewport``, ``device``,
    ``user_agent``, ``headers``, ``cookies``, plus ``dns`` (host → address: the scenario's
    overrides, then the script's ``dns`` steps, the script winning for the same host),
    ``block`` (the scenario's patterns, then the script's, in that order), and the script's
    metric declarations (core.script.declarations): ``requests`` (``name``, ``method`` or
    None, ``pattern``), ``websockets`` (``name``, ``pattern``, ``reply`` or None) and
    ``backend`` (``name``, ``target``; read by the server, not the agent).
``steps``
    The script's action steps in order, setup steps removed (``evaluate`` steps stay: they
    run where they stand); in a script with actors each carries its ``actor``.
``actors``
    Only for a script with actors (core.script.actors): per actor, in declaration order,
    ``name``, ``url`` (its first page, absolute) and ``setup`` (as ``setup`` above, for its
    context: the scenario's ``block`` patterns, then its own; no ``dns`` and no ``backend``,
    which are the run's, in the top ``setup``). :func:`actor_spec` gives one actor's spec as
    a one-page run would have it. The top ``url`` stays the scenario's (the base of relative
    URLs); no page opens it.
``first_party``
    Host patterns counted as first party (globs or ``re:…``); empty = the page's domain.
``quiet_ms``, ``step_timeout_ms``, ``run_timeout_ms``
    Network quiet that ends a run, per-step and per-run time limits (milliseconds).
``har_content``
    Playwright's ``record_har_content``: ``"omit"`` (default) or ``"embed"`` response bodies.
``screenshot``
    Whether the agent keeps a JPEG of the viewport as the run ended.
``profile``
    The connection and CPU profile to measure under, with its numbers, so that an agent
    needs no database (``core.profiles``: ``name``, ``download_kbps``, ``upload_kbps``,
    ``rtt_ms``, ``cpu_slowdown``); native (no shaping) unless one is given.
``filmstrip``
    Whether the agent captures frames of the viewport while the page loads (the filmstrip
    and the visual metrics: core.visual); the scenario's switch, on by default.

Pure: no Django, no I/O. The global knobs come in as :class:`SpecOptions`, built once from
the settings by :meth:`SpecOptions.from_settings`.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urljoin

from core.browsers import BROWSERS
from core.browsers import DEFAULT as DEFAULT_BROWSER
from core.profiles import NATIVE, Profile
from core.script import split_actors, split_setup
from core.script.actions import ACTOR


class _Settings(Protocol):
    """What :meth:`SpecOptions.from_settings` reads (``django.conf.settings`` has it)."""

    PERFITE_QUIET_MS: int
    PERFITE_STEP_TIMEOUT_MS: int
    PERFITE_RUN_TIMEOUT_MS: int
    PERFITE_HAR_CONTENT: str


@dataclass(frozen=True)
class SpecOptions:
    """The knobs every spec carries, the same for every scenario of an installation."""

    quiet_ms: int = 2000
    step_timeout_ms: int = 30_000
    run_timeout_ms: int = 120_000
    har_content: str = "omit"

    @classmethod
    def from_settings(cls, settings: _Settings) -> "SpecOptions":
        """The options set by ``PERFITE_QUIET_MS``, ``PERFITE_STEP_TIMEOUT_MS``,
        ``PERFITE_RUN_TIMEOUT_MS`` and ``PERFITE_HAR_CONTENT`` on ``settings``."""
        return cls(
            quiet_ms=int(settings.PERFITE_QUIET_MS),
            step_timeout_ms=int(settings.PERFITE_STEP_TIMEOUT_MS),
            run_timeout_ms=int(settings.PERFITE_RUN_TIMEOUT_MS),
            har_content=str(settings.PERFITE_HAR_CONTENT),
        )


def build_spec(
    *,
    url: str,
    steps: Sequence[Mapping[str, Any]],
    first_party: Sequence[str],
    dns: Mapping[str, str],
    block: Sequence[str],
    options: SpecOptions,
    scenario: str | None = None,
    run_id: int | None = None,
    location: str = "",
    screenshot: bool = True,
    profile: Profile = NATIVE,
    filmstrip: bool = True,
    browser: str = DEFAULT_BROWSER,
) -> dict[str, Any]:
    """The spec (keys in the module docstring) for measuring ``url`` then ``steps``.

    ``steps`` are parsed script steps (``core.script``); ``dns`` and ``block`` are the
    scenario-level overrides, merged with the script's own ``dns`` and ``block`` steps.
    The arguments are not modified. Raises ValueError for a ``browser`` Perfite does not
    know.
    """
    if browser not in BROWSERS:
        raise ValueError(f"unknown browser {browser!r}: one of {', '.join(BROWSERS)}")
    copied = [dict(step) for step in steps]
    actors: list[dict[str, Any]] = []
    if any(step["action"] == ACTOR for step in copied):
        setup, actors, actions = split_actors(copied)
        for actor in actors:
            actor["url"] = urljoin(url, actor["url"])
            actor["setup"]["block"] = [*block, *actor["setup"]["block"]]
            del actor["setup"]["dns"], actor["setup"]["backend"]
    else:
        setup, actions = split_setup(copied)
    setup["dns"] = {**dns, **setup["dns"]}
    setup["block"] = [*block, *setup["block"]]
    spec = {
        "scenario": scenario,
        "run_id": run_id,
        "location": location,
        "browser": browser,
        "url": url,
        "setup": setup,
        "steps": actions,
        "first_party": list(first_party),
        "quiet_ms": options.quiet_ms,
        "step_timeout_ms": options.step_timeout_ms,
        "run_timeout_ms": options.run_timeout_ms,
        "har_content": options.har_content,
        "screenshot": screenshot,
        "profile": profile.as_spec(),
        "filmstrip": filmstrip,
    }
    if actors:
        spec["actors"] = actors
    return spec


def actor_spec(spec: Mapping[str, Any], actor: Mapping[str, Any]) -> dict[str, Any]:
    """The spec of ``actor`` (one of ``spec["actors"]``) as a one-page run of it would have
    it: its first page as ``url``, its setup with the run's ``dns`` and ``backend``, only its
    own steps, no ``actors``. The document built from it is that actor's part of the run."""
    setup = spec.get("setup") or {}
    own = {**actor["setup"], "dns": setup.get("dns") or {}, "backend": setup.get("backend") or []}
    steps = [s for s in spec.get("steps") or [] if s.get("actor") == actor["name"]]
    single = {k: v for k, v in spec.items() if k != "actors"}
    return {**single, "url": actor["url"], "setup": own, "steps": steps}
