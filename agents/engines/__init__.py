"""The browsers an agent can drive: one module per engine (chromium, firefox, webkit).

Each engine module is the only place that knows its browser: where to find it, its version,
how to launch it quietly, how hosts are mapped to addresses, and which of Perfite's metrics
it can give (``CAPABILITIES``). This package itself never imports Playwright, so the main
process of a prefork worker can ask which browsers it has (``installed``) for its heartbeat
without starting one.
"""

import importlib
import os
import re
import subprocess
from types import ModuleType

ENGINES = ("chromium", "firefox", "webkit")
DEFAULT = "chromium"

_VERSION = re.compile(r"\d+(?:\.\d+){1,3}")


class BrowserNotFound(RuntimeError):
    """The browser asked for is not on this machine; the message says how to get it."""


class InfrastructureError(RuntimeError):
    """The browser itself failed (crash, closed): worth a retry, unlike a page error."""


def engine(name: str) -> ModuleType:
    """The engine module for browser ``name`` (imports Playwright). Raises ValueError for a
    browser Perfite does not know."""
    if name not in ENGINES:
        raise ValueError(f"unknown browser {name!r}: one of {', '.join(ENGINES)}")
    return importlib.import_module(f"agents.engines.{name}")


def executable(path: str) -> bool:
    return os.path.isfile(path) and os.access(path, os.X_OK)


def version_of(path: str, args: tuple[str, ...] = ("--version",)) -> str:
    """The version ``<path> --version`` prints (e.g. ``153.8.0``), or "" if unknown. Never
    starts Playwright."""
    try:
        out = subprocess.run(
            [path, *args], capture_output=True, text=True, timeout=15, check=False
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return ""
    match = _VERSION.search(out)
    return match.group(0) if match else ""


def playwright_build(name: str) -> str | None:
    """The version of Playwright's own build of ``name`` when ``playwright install <name>``
    has put it on this machine, else None. Reads Playwright's browser list and cache folder
    (``PLAYWRIGHT_BROWSERS_PATH``, default ``~/.cache/ms-playwright``); starts nothing."""
    import importlib.util
    import json

    spec = importlib.util.find_spec("playwright")
    if spec is None or not spec.submodule_search_locations:
        return None
    listing = os.path.join(
        next(iter(spec.submodule_search_locations)), "driver", "package", "browsers.json"
    )
    try:
        with open(listing, encoding="utf-8") as handle:
            builds = {b["name"]: b for b in json.load(handle)["browsers"]}
    except (OSError, ValueError, KeyError):
        return None
    build = builds.get(name)
    if build is None:
        return None
    cache = os.environ.get("PLAYWRIGHT_BROWSERS_PATH") or os.path.expanduser(
        "~/.cache/ms-playwright"
    )
    if not os.path.isdir(os.path.join(cache, f"{name}-{build['revision']}")):
        return None
    return str(build.get("browserVersion") or "")


def missing() -> dict[str, str]:
    """The browsers this agent cannot drive, each with one line saying how to get it (what
    ``manage.py agent`` prints at start)."""
    from django.conf import settings

    found: dict[str, str] = {}
    for name in settings.PERFITE_BROWSERS or ENGINES:
        module = engine(name)
        try:
            if module.available():
                continue
            found[name] = str(module.MISSING)
        except BrowserNotFound as exc:
            found[name] = str(exc)
    return found


def installed() -> dict[str, str]:
    """The browsers this agent can drive, by name, with their versions ("" when unknown):
    those ``PERFITE_BROWSERS`` names (default: every engine) that are found on this machine.
    What a heartbeat announces; starts no browser."""
    from django.conf import settings

    found: dict[str, str] = {}
    for name in settings.PERFITE_BROWSERS or ENGINES:
        module = engine(name)
        try:
            if module.available():
                found[name] = module.version()
        except BrowserNotFound:
            continue
    return found
