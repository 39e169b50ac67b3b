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
