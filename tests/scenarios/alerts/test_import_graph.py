"""The alert modules import each other one way only: at module level, without a cycle."""

import ast
import graphlib
from pathlib import Path

import scenarios.alerts

PACKAGE = "scenarios.alerts"
ROOT = Path(scenarios.alerts.__file__).parent


def module_names() -> dict[str, Path]:
    """Dotted name → file for every module of the alerts package (packages by __init__)."""
    out = {}
    for path in sorted(ROOT.rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join((PACKAGE, *parts))] = path
    return out


def alert_imports(tree: ast.AST, modules: set[str]) -> list[tuple[str, ast.stmt]]:
    """(imported alerts module, import statement) for every import of one in ``tree``.

    ``from package import sub`` counts as importing ``package.sub`` when that is a module.
    """
    found: list[tuple[str, ast.stmt]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name, node) for alias in node.names if alias.name in modules]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                sub = f"{node.module}.{alias.name}"
                target = sub if sub in modules else node.module
                if target in modules and (target, node) not in found:
                    found.append((target, node))
    return found


def import_graph() -> tuple[dict[str, set[str]], list[str]]:
    """(module → alerts modules it imports, imports found inside functions or classes)."""
    modules = module_names()
    graph: dict[str, set[str]] = {name: set() for name in modules}
    nested: list[str] = []
    for name, path in modules.items():
        tree = ast.parse(path.read_text())
        top_level = {id(stmt) for stmt in tree.body}
        for target, stmt in alert_imports(tree, set(modules)):
            graph[name].add(target)
            if id(stmt) not in top_level:
                nested.append(f"{name}:{stmt.lineno} imports {target}")
    return graph, nested


def test_the_graph_sees_the_known_imports() -> None:
    graph, _ = import_graph()
    assert "scenarios.alerts.series" in graph["scenarios.alerts.evaluate"]
    assert "scenarios.alerts.channels.email" in graph["scenarios.alerts.channels.dispatch"]


def test_alert_modules_import_each_other_without_a_cycle() -> None:
    graph, _ = import_graph()
    order = list(graphlib.TopologicalSorter(graph).static_order())  # CycleError on a cycle
    assert sorted(order) == sorted(graph)


def test_alert_modules_import_each_other_only_at_module_level() -> None:
    _, nested = import_graph()
    assert nested == []
