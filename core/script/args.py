"""One step's raw arguments as a reader found them, with the line of each: what the step
builders validate."""

from dataclasses import dataclass, field
from typing import Any, NoReturn

from core.script.errors import ScriptError


@dataclass
class StepArgs:
    """Raw arguments of one step, with the line of each (YAML mappings span several lines)."""

    action: str
    line: int
    values: dict[str, Any] = field(default_factory=dict)
    lines: dict[str, int] = field(default_factory=dict)
    from_yaml: bool = False

    def fail(self, reason: str, key: str | None = None) -> NoReturn:
        """Refuse the step, on the line of ``key`` when it has one, else the step's."""
        raise ScriptError(self.lines.get(key or "", self.line), reason)

    def text(self, key: str, *, required: bool = True, strip: bool = True) -> str | None:
        """The text of ``key`` (None only when absent and not ``required``); refuses
        non-text, line breaks (except in fill values) and, when stripped, blank text."""
        value = self.values.get(key)
        if value is None:
            if not required:
                return None
            hint = ""
            if self.from_yaml and key == "selector" and key in self.values:  # `click: #a`
                hint = " (in YAML, quote selectors starting with '#': click: \"#id\")"
            self.fail(f"missing {key} for {self.action}{hint}", key)
        if not isinstance(value, str):
            self.fail(f"{self.action} {key} must be text", key)
        if self.action != "fill" and any(ch in value for ch in "\r\n\0"):  # fill: textareas
            self.fail(f"{self.action} {key} must not contain line breaks", key)
        if strip:
            value = value.strip()
            if not value:
                self.fail(f"missing {key} for {self.action}", key)
        return value

    def integer(self, key: str, low: int, high: int, what: str) -> int:
        """The whole number of ``key``, refused unless present and within ``low..high``."""
        value = self.values.get(key)
        if value is None:
            self.fail(f"missing {key} for {self.action}", key)
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            self.fail(f"{what} must be a whole number from {low} to {high}, got {value!r}", key)
        return value

    def one_of(self, keys: tuple[str, ...]) -> str:
        """The one key of ``keys`` that is given; refused when none or several are."""
        given = [k for k in keys if self.values.get(k) is not None]
        if len(given) != 1:
            self.fail(f"{self.action} needs exactly one of {', '.join(keys)}")
        return given[0]
