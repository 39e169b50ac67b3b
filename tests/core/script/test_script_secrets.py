"""core.script.secrets: credentials in a script are hidden from readers who cannot edit."""

from core.har.redact import REDACTED
from core.script import parse_script
from core.script.secrets import mask_script

SCRIPT = """\
- set_header: {name: Authorization, value: "Bearer HEADERSECRET"}
- set_header: {name: X-Custom-Token, value: CUSTOMSECRET}
- set_header: {name: Accept-Language, value: de-DE}
- set_cookie: {name: pref, value: COOKIESECRET}
- navigate: /login
- fill: {selector: "#password", value: hunter2-PASSWORD}
- fill: {selector: "#user", value: ann}
"""


def test_secret_values_are_hidden_in_the_text_and_the_steps() -> None:
    text, steps = mask_script(SCRIPT, parse_script(SCRIPT, "yaml"))
    for secret in ("HEADERSECRET", "CUSTOMSECRET", "COOKIESECRET", "hunter2-PASSWORD"):
        assert secret not in text and secret not in repr(steps)
    assert "de-DE" in text and "ann" in text
    assert [s.get("value") for s in steps] == [
        REDACTED,
        REDACTED,
        "de-DE",
        REDACTED,
        None,
        REDACTED,
        "ann",
    ]


def test_a_scenarios_extra_names_hide_their_headers_too() -> None:
    text, _ = mask_script(SCRIPT, parse_script(SCRIPT, "yaml"), ["accept-language"])
    assert "de-DE" not in text
