"""The provisioned Grafana dashboard queries only Graphite names the metric registry pushes.

Paths are ``<prefix>.<scenario>.<location>.<browser>.<profile>.<metric>`` for page metrics and
``….<family node>.<member>.<field>`` for the splits (party, domain, entity, type, step); a
panel's unit is the registry unit of every metric it draws, sizes in decimal units as on
every other surface.
"""

import json
import re
from pathlib import Path
from typing import Any

import pytest

from core.metrics import FAMILIES, PARTY, metric, page_names

DASHBOARD = Path(__file__).parents[2] / "deploy/grafana/dashboards/perfite.json"
BASE = "perfite.$scenario.$location.$browser.$profile."
# A Graphite path: dotted nodes, where a node may be a {a,b} alternation (commas inside).
PATH = re.compile(r"perfite\.(?:[^\s,(){}]|\{[^}]*\})+")
# Grafana's unit ids for the registry's units ("bytes" in Grafana is binary: KiB, MiB).
GRAFANA_UNITS = {"ms": "ms", "bytes": "decbytes", "count": "short", "score": "none"}


def panels(node: Any) -> list[dict[str, Any]]:
    """Every panel with targets, rows' nested panels included."""
    found = []
    for panel in node.get("panels", []):
        if panel.get("targets"):
            found.append(panel)
        found += panels(panel)
    return found


def alternatives(node: str) -> list[str]:
    return node[1:-1].split(",") if node.startswith("{") else [node]


def registry_names(path: str) -> list[str]:
    """The registry metric names a queried path stands for (``*`` as a sample member); raises
    AssertionError for a path the registry does not push."""
    assert path.startswith(BASE), path
    nodes = path[len(BASE) :].split(".")
    if len(nodes) == 1:
        graphite = page_names(graphite=True)
        for name in alternatives(nodes[0]):
            assert name in graphite, f"{path}: {name} is not a Graphite page metric"
        return alternatives(nodes[0])
    assert len(nodes) == 3, f"{path}: neither <metric> nor <family>.<member>.<field>"
    kind, members, field = nodes
    family = next((f for f in FAMILIES if f.graphite_node == kind), None)
    assert family is not None, f"{path}: no family is pushed under {kind!r}"
    assert field in family.field_names(graphite=True), f"{path}: {field} is not pushed"
    if family is PARTY:
        assert set(alternatives(members)) <= {m for m, _ in PARTY.member_labels}, path
    return [f"{family.prefix}.{member}.{field}" for member in alternatives(members)]


def queried() -> list[tuple[str, str, list[str]]]:
    """(panel title, panel unit, [metric names]) for every target of the dashboard."""
    dashboard = json.loads(DASHBOARD.read_text())
    out = []
    for panel in panels(dashboard):
        unit = panel["fieldConfig"]["defaults"]["unit"]
        for target in panel["targets"]:
            paths = PATH.findall(target["target"])
            assert paths, f"{panel['title']}: no Graphite path in {target['target']!r}"
            for path in paths:
                out.append((panel["title"], unit, registry_names(path)))
    return out


def test_every_queried_path_is_a_registry_graphite_name() -> None:
    names = {name for _, _, found in queried() for name in found}

    assert names == {
        "ttfb",
        "fcp",
        "lcp",
        "dom_content_loaded",
        "load",
        "fully_loaded",
        "tbt",
        "cls",
        "requests",
        "transfer_bytes",
        "body_bytes",
        "party.first.transfer_bytes",
        "party.third.transfer_bytes",
        "party.first.requests",
        "party.third.requests",
        "party.first.blocking_ms",
        "party.third.blocking_ms",
        "entity.*.transfer_bytes",
        "entity.*.blocking_ms",
        "host.*.transfer_bytes",
        "type.*.transfer_bytes",
    }


@pytest.mark.parametrize(
    "path",
    [
        BASE + "first_party_bytes",  # a Run column, not pushed
        BASE + "party.first.failed",  # a total that is not pushed
        BASE + "party.someone.requests",  # not a party
        BASE + "host.*.transfer_bytes",  # the host family's node is "domain"
        BASE + "lcp.p95",
    ],
)
def test_a_path_the_registry_does_not_push_is_caught(path: str) -> None:
    with pytest.raises(AssertionError):
        registry_names(path)


def test_every_panel_unit_is_the_registry_unit_of_what_it_draws() -> None:
    drawn = [(title, unit, name) for title, unit, names in queried() for name in names]

    wrong = [
        (title, name, unit)
        for title, unit, name in drawn
        if unit != GRAFANA_UNITS[metric(name).unit.name]
    ]

    assert wrong == []


def test_one_profile_is_drawn_at_a_time_native_first() -> None:
    """Runs under different profiles never share a chart: the profile variable is the level
    after the browser, and takes one value."""
    variables = json.loads(DASHBOARD.read_text())["templating"]["list"]
    (profile,) = [v for v in variables if v["name"] == "profile"]

    assert profile["query"] == "perfite.$scenario.$location.$browser.*"
    assert (profile["multi"], profile["includeAll"]) == (False, False)
    assert profile["current"]["value"] == "native"
    assert [v["name"] for v in variables] == ["scenario", "location", "browser", "profile"]


def test_series_are_named_by_scenario_location_and_metric_nodes() -> None:
    """aliasByNode counts from 0 (perfite): 1 scenario, 2 location, then the metric or
    member nodes after the profile (5, or 6 for a split's member)."""
    dashboard = json.loads(DASHBOARD.read_text())
    aliases = {
        target["target"].rsplit(")", 1)[0].split(", ", 1)[1]
        for panel in panels(dashboard)
        for target in panel["targets"]
    }
    assert aliases == {"1, 2, 5", "1, 2, 6"}
