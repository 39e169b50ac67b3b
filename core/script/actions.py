"""The action vocabulary of a script: which actions exist, the keys each takes, their limits.

Both readers (YAML and Given/When/Then) and the step builder read these tables, so an
action or a key is added here once.
"""

SETUP_ACTIONS = frozenset(
    {
        "set_viewport",
        "emulate",
        "set_header",
        "set_cookie",
        "block",
        "dns",
        "request_metric",
        "websocket_metric",
        "backend_metric",
    }
)
"""Actions that configure the browser context. set_viewport only counts as setup before the
first non-setup step; later it stays a mid-journey action (see ``split_setup``)."""

ACTIONS = frozenset(
    {
        "navigate",
        "click",
        "fill",
        "press",
        "select",
        "wait_for",
        "measure_start",
        "measure_stop",
        "evaluate",
    }
    | SETUP_ACTIONS
)

MAX_VIEWPORT = 10_000
MAX_WAIT_MS = 600_000  # a fixed wait longer than ten minutes is a mistake, not a journey

FIELDS: dict[str, tuple[str, ...]] = {
    "navigate": ("url",),
    "click": ("selector",),
    "fill": ("selector", "value"),
    "press": ("key", "selector"),
    "select": ("selector", "value"),
    "wait_for": ("selector", "network_idle", "ms", "text"),
    "set_viewport": ("width", "height"),
    "emulate": ("device", "user_agent"),
    "set_header": ("name", "value"),
    "set_cookie": ("name", "value", "domain"),
    "block": ("patterns",),
    "dns": ("host", "address"),
    "measure_start": ("name",),
    "measure_stop": ("name", "selector", "text", "frame"),
    "request_metric": ("name", "match"),
    "websocket_metric": ("name", "url", "reply"),
    "backend_metric": ("name", "target"),
    "evaluate": ("name", "expression"),
}
"""Keys each action accepts (in the YAML mapping form; Given/When/Then phrases name the same)."""

SCALAR_ACTIONS = frozenset(FIELDS) - {
    "fill",
    "select",
    "set_header",
    "set_cookie",
    "dns",
    "request_metric",
    "websocket_metric",
    "backend_metric",
    "evaluate",
}
"""Actions whose bare scalar argument (`- click: "#a"`) fills their first key (wait_for and
set_viewport read it their own way); the rest need a mapping."""

INT_FIELDS = frozenset({"width", "height", "ms"})
"""Keys whose value is a whole number; every other key holds text (block: a list of text)."""

STOP_CONDITIONS = ("selector", "text", "frame")
"""What a ``measure_stop`` may wait for on its page (at most one): an element matching a CSS
selector, a text, or a received WebSocket frame matching a pattern. Such a stop takes its
time from the page itself (docs: Actors)."""

ACTOR = "actor"
"""The action of an actor's declaration (``name``, ``url``, ``line``): not a step anyone
writes as such (YAML ``actors:``, Given/When/Then ``the actor "…" starts on "…"``)."""

RUN_WIDE = frozenset({"dns", "backend_metric"})
"""Steps of a script with actors that belong to the whole run, not to one actor: one browser
resolves every actor's hosts, and a backend series is read over the run's window."""
