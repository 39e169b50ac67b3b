"""Read a URL or a scenario file (YAML or Given/When/Then) into an agent spec. No ORM.

This module only reads and parses the file; ``core.spec.build_spec`` makes the spec, as it
does for the server's runs.
"""

from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml
from django.conf import settings

from core.browsers import BROWSERS
from core.browsers import DEFAULT as DEFAULT_BROWSER
from core.profiles import NATIVE, Profile, named
from core.script import ScriptError, parse_script, validate_url
from core.spec import SpecOptions, build_spec


def spec_from_target(
    target: str,
    first_party: list[str] | None = None,
    *,
    screenshot: bool = True,
    profile: Profile | None = None,
    resolve: Callable[[str], Profile] = named,
    filmstrip: bool | None = None,
    browser: str | None = None,
) -> dict[str, Any]:
    """A spec for ``measure``: ``target`` is an http(s) URL or the path of a scenario file.

    A YAML file may carry ``name``, ``url``, ``steps``, ``first_party``, ``dns``, ``block``,
    ``profile`` (a profile's name, turned into its numbers by ``resolve``: built-in
    profiles by default), ``filmstrip`` (true by default) and ``browser`` (chromium by
    default); a Given/When/Then file starts with an ``I open "<absolute url>"`` line.
    ``first_party``, ``profile``, ``filmstrip`` and ``browser``, when given, win over the
    file's; without a profile, the run is native. The global knobs (quiet period, timeouts,
    HAR content) come from the settings, as for the server's runs. Raises ScriptError with
    the line and reason when the file is not a valid scenario (a browser Perfite does not
    know included), and what ``resolve`` raises for a name it does not know
    (core.profiles.ProfileError).
    """
    path = Path(target)
    meta: dict[str, Any] = {}
    if target.startswith(("http://", "https://")) or not path.exists():
        url = validate_url(target, allow_relative=False)
        steps: list[dict[str, Any]] = []
    else:
        text = path.read_text(encoding="utf-8")
        steps = parse_script(text, "auto")
        loaded = None
        try:
            loaded = yaml.safe_load(text)
        except yaml.YAMLError:
            loaded = None
        if isinstance(loaded, dict):
            meta = loaded
        url = meta.get("url") or ""
        if not url:
            first_nav = next((s for s in steps if s["action"] == "navigate"), None)
            if first_nav is None or not first_nav["url"].startswith(("http://", "https://")):
                raise ScriptError(1, "the scenario needs a 'url' or an absolute first navigation")
            url = first_nav["url"]
            steps = [s for s in steps if s is not first_nav]
        url = validate_url(url, allow_relative=False)
    if profile is None and meta.get("profile"):
        profile = resolve(str(meta["profile"]))
    browser = browser or str(meta.get("browser") or DEFAULT_BROWSER)
    if browser not in BROWSERS:
        raise ScriptError(None, f"unknown browser {browser!r}: one of {', '.join(BROWSERS)}")
    return build_spec(
        url=url,
        steps=steps,
        first_party=first_party or meta.get("first_party") or [],
        dns=meta.get("dns") or {},
        block=meta.get("block") or [],
        options=SpecOptions.from_settings(settings),
        scenario=meta.get("name") or None,
        screenshot=screenshot,
        profile=profile or NATIVE,
        filmstrip=bool(meta.get("filmstrip", True)) if filmstrip is None else filmstrip,
        browser=browser,
    )
