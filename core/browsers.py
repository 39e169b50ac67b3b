"""The browsers Perfite can measure with, by the names scenarios, runs and agents use.

The server never imports the agents' engine modules (agents/engines/), yet a scenario's
browser field, the queue its runs go to and an agent's heartbeat must agree with them on
the names: this is the one list. ``agents.engines.ENGINES`` holds the same names in the same
order (a test keeps them equal).
"""

from core.profiles import Profile

CHROMIUM = "chromium"
FIREFOX = "firefox"
WEBKIT = "webkit"

BROWSERS = (CHROMIUM, FIREFOX, WEBKIT)
DEFAULT = CHROMIUM
"""The browser of a scenario that names none, and of every run from before browsers were
chosen: its runs keep the queue and Graphite path they always had."""

LABELS = {CHROMIUM: "Chromium", FIREFOX: "Firefox", WEBKIT: "WebKit"}
CHOICES = [(name, LABELS[name]) for name in BROWSERS]
"""(name, label) pairs, for a model field's or a form's choices."""

EMULATES_PROFILES = frozenset({CHROMIUM})
"""The browsers that can apply a connection and CPU profile: those whose engine has the
``profiles`` capability (agents.engines.<browser>.CAPABILITIES; a test keeps them equal)."""


def profile_refusal(browser: str, profile: Profile) -> str | None:
    """Why runs in ``browser`` cannot be measured under ``profile`` (in the words an agent
    fails such a run with: agents.emulation.refuse_profile), None when they can: a run is
    never measured under other conditions than it names."""
    if profile.native or browser in EMULATES_PROFILES:
        return None
    return (
        f"{LABELS.get(browser, browser)} cannot apply the profile {profile.name!r}: connection "
        "and CPU profiles need Chromium's emulation"
    )
