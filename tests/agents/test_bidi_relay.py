"""The BiDi relay's one intervention: the media-features command Firefox ESR lacks. Pure."""

import json

from agents.engines.bidi_relay import answer


def command(features: dict[str, str | None], id_: int = 7) -> str:
    return json.dumps(
        {
            "id": id_,
            "method": "emulation.setMediaFeaturesOverride",
            "params": {"features": features, "userContexts": ["ctx"]},
        }
    )


def test_no_colour_scheme_or_light_is_answered_success_by_the_relay() -> None:
    cases: list[dict[str, str | None]] = [
        {},
        {"prefers-color-scheme": None},
        {"prefers-color-scheme": "light"},
    ]
    for features in cases:
        assert json.loads(answer(command(features)) or "") == {
            "type": "success",
            "id": 7,
            "result": {},
        }


def test_a_dark_page_is_refused_with_the_reason() -> None:
    reply = json.loads(answer(command({"prefers-color-scheme": "dark"}, 9)) or "")
    assert reply == {
        "type": "error",
        "id": 9,
        "error": "unsupported operation",
        "message": "this Firefox cannot emulate media features (prefers-color-scheme: dark)",
    }


def test_every_other_message_goes_to_firefox_unchanged() -> None:
    assert answer(json.dumps({"id": 1, "method": "session.new", "params": {}})) is None
    # the command's name inside a value is not the command
    quoted = {
        "id": 2,
        "method": "script.evaluate",
        "params": {"expression": "'emulation.setMediaFeaturesOverride'"},
    }
    assert answer(json.dumps(quoted)) is None
    assert answer(b"emulation.setMediaFeaturesOverride but not JSON") is None
