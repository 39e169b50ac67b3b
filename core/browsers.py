"""The browsers Perfite can measure with, by the names scenarios, runs and agents use.

The server never imports the agents' engine modules (agents/engines/), yet a scenario's
browser field, the queue its runs go to and an agent's heartbeat must agree with them on
the names: this is the one list. ``agents.engines.ENGINES`` holds the same names in the same
order (a test keeps them equal).
"""

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
