"""The rule for names people give metrics (scenario declarations, a page's user timings).

A name becomes part of a metric name (``request.<name>.duration_ms``) and of a Graphite path,
so it keeps to lower-case letters, digits, ``_``, ``-`` and ``.`` (dots only between other
characters), at most :data:`MAX_LENGTH` characters.
"""

import re

MAX_LENGTH = 64
_NAME = re.compile(r"[a-z0-9_-]+(?:\.[a-z0-9_-]+)*")
_OTHER = re.compile(r"[^a-z0-9_.-]+")


def name_problem(name: str) -> str | None:
    """Why ``name`` cannot name a metric, or None when it can."""
    if not name:
        return "a metric name must not be empty"
    if len(name) > MAX_LENGTH:
        return f"metric name {name[:20]!r}… is longer than {MAX_LENGTH} characters"
    if not _NAME.fullmatch(name):
        return (
            f"invalid metric name {name!r}: use lower-case letters, digits, '_', '-' and "
            "'.' between them"
        )
    return None


def clean_name(text: str) -> str | None:
    """A valid metric name made from a page's own label (``performance.mark("Chat ready")``
    → ``chat_ready``): lower-cased, every run of other characters one ``_``, dots not at the
    ends or doubled, cut to :data:`MAX_LENGTH`. None when nothing usable is left."""
    name = _OTHER.sub("_", text.strip().lower())
    name = re.sub(r"\.{2,}", ".", name).strip(".")[:MAX_LENGTH].strip(".")
    return name if name and name_problem(name) is None else None
