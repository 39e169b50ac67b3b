"""The README's chat example, in both script forms, is a valid script and the same journey."""

import re
from pathlib import Path
from typing import Any

import yaml

from core.script import parse_script, split_setup

README = (Path(__file__).resolve().parents[3] / "README.md").read_text()


def example(form: str) -> str:
    found = re.search(rf"The chat example.*?```{form}\n(.*?)```", README, re.S)
    assert found, f"no {form} chat example in the README"
    return found.group(1)


def without_lines(steps: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: v for k, v in step.items() if k != "line"} for step in steps]


def test_both_forms_of_the_chat_example_give_the_same_declarations_and_journey() -> None:
    document = yaml.safe_load(example("yaml"))
    from_yaml = parse_script(yaml.safe_dump(document["steps"]), "yaml")
    [opening, *from_gherkin] = without_lines(parse_script(example("gherkin"), "gherkin"))
    assert opening == {"action": "navigate", "url": document["url"]}
    assert without_lines(from_yaml) == from_gherkin
    setup, journey = split_setup(from_yaml)
    assert [r["name"] for r in setup["requests"]] == ["init", "create_chat", "add_message"]
    assert setup["websockets"] == [{"name": "chat", "pattern": "*/ws*", "reply": "message:*"}]
    assert [s["action"] for s in journey].count("evaluate") == 1


def actors_example(form: str) -> str:
    found = re.search(rf"The support chat example.*?```{form}\n(.*?)```", README, re.S)
    assert found, f"no {form} support chat example in the README"
    return found.group(1)


def test_both_forms_of_the_support_chat_example_give_the_same_actors_and_journey() -> None:
    from_yaml = without_lines(parse_script(actors_example("yaml"), "yaml"))
    from_gherkin = without_lines(parse_script(actors_example("gherkin"), "gherkin"))
    assert from_yaml == from_gherkin
    assert [s["name"] for s in from_yaml if s["action"] == "actor"] == ["operator", "visitor"]
    assert from_yaml[-1] == {
        "action": "measure_stop",
        "name": "to_operator",
        "text": "hello operator",
        "actor": "operator",
    }
