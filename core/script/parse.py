"""Parsing a whole script: pick its form (YAML or Given/When/Then), read it, check its measures."""

from typing import Any

from core.script.actors import check_actors
from core.script.declarations import check_declarations
from core.script.gherkin_reader import looks_like_gherkin, read_gherkin
from core.script.measures import check_measures
from core.script.yaml_reader import read_yaml


def parse_script(text: str, fmt: str = "auto") -> list[dict[str, Any]]:
    """Parse a scenario script into validated step dicts (shape: see ``core.script``).

    ``fmt`` is "yaml", "gherkin" or "auto" (Given/When/Then when the first non-blank,
    non-comment line starts with Feature:/Scenario:/Given/When/Then/And/But). Raises
    ScriptError for any invalid step, an empty script, unbalanced measure_start/stop, a
    metric name declared twice, or actors used wrongly (core.script.actors)."""
    if fmt not in ("auto", "yaml", "gherkin"):
        raise ValueError(f"fmt must be 'yaml', 'gherkin' or 'auto', not {fmt!r}")
    if fmt == "auto":
        fmt = "gherkin" if looks_like_gherkin(text) else "yaml"
    steps = read_yaml(text) if fmt == "yaml" else read_gherkin(text)
    check_measures(steps)
    check_declarations(steps)
    check_actors(steps)
    return steps
