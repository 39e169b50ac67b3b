"""The one refusal of a scenario script: ``ScriptError``, naming the line and the reason."""


class ScriptError(ValueError):
    """A script refusal: ``line`` is 1-based (or None), ``reason`` says what is wrong."""

    def __init__(self, line: int | None, reason: str) -> None:
        super().__init__(line, reason)
        self.line = line
        self.reason = reason

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason}" if self.line is not None else self.reason
