"""Render a comparison (the API's JSON) as a table, CSV, HTML, JUnit XML and TeamCity messages.

Pure functions of the comparison dict; no I/O except where a file name is given.
"""

import csv
import html
import io
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping
from typing import Any

Json = Mapping[str, Any]
CSV_COLUMNS = (
    "metric",
    "gated",
    "verdict",
    "base_n",
    "branch_n",
    "base_median",
    "branch_median",
    "delta",
    "delta_pct",
    "p_value",
    "p_adjusted",
    "cliffs_delta",
    "effect_size",
    "runs_needed",
    "reason",
)


def fmt(value: Any, digits: int = 1) -> str:
    """Numbers for people: integers without decimals, others rounded; None as "-"."""
    if value is None:
        return "-"
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        return f"{value:.{digits}f}" if abs(value) >= 1 else f"{value:.3g}"
    return str(value)


def _change(metric: Json) -> str:
    if metric.get("delta") is None:
        return "-"
    text = ("+" if metric["delta"] > 0 else "") + fmt(metric["delta"])
    if metric.get("delta_pct") is not None:
        text += f" ({metric['delta_pct']:+.1f}%)"
    return text


def metrics_shown(report: Json, show_all: bool = False) -> list[Json]:
    """Gated metrics and every metric whose verdict is not "no_change" (all with show_all)."""
    return [
        m
        for m in report.get("metrics", [])
        if show_all or m["gated"] or m["verdict"] != "no_change"
    ]


def headline(comparison: Json) -> str:
    report = comparison.get("report") or {}
    gate = report.get("gate", "?")
    # A server from before profiles sends none: its runs were native.
    profile = comparison.get("profile") or "native"
    return (
        f"Perfite comparison {comparison['id']} of {comparison['scenario']} "
        f"({comparison.get('mode')}, profile {profile}): "
        f"{str(comparison.get('verdict')).upper()}, gate {gate}"
    )


def table(comparison: Json, show_all: bool = False) -> str:
    """The plain-text report: headline, metric table, attribution, budgets."""
    report = comparison.get("report") or {}
    rows = [("metric", "base", "branch", "change", "p(adj)", "cliff", "verdict")]
    for m in metrics_shown(report, show_all):
        verdict = m["verdict"] + ("" if m["gated"] else " (not gated)")
        if m["verdict"] == "inconclusive" and m.get("runs_needed"):
            verdict += f", ~{m['runs_needed']} runs/side"
        rows.append(
            (
                m["metric"],
                fmt(m["base_median"]),
                fmt(m["branch_median"]),
                _change(m),
                fmt(m["p_adjusted"], 3),
                fmt(m["cliffs_delta"], 2),
                verdict,
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = [headline(comparison)]
    base = report.get("base") or {}
    where = " ".join(
        part
        for part in (
            base.get("url") or "",
            (base.get("branch") or "") + ("@" + base["commit"][:12] if base.get("commit") else ""),
        )
        if part
    )
    branch_runs = len((report.get("branch") or {}).get("runs", []))
    lines.append(
        f"base: {base.get('source', '?')}{' ' + where if where else ''} "
        f"({len(base.get('runs', []))} runs); branch: {branch_runs} runs"
    )
    if base.get("note"):
        lines.append(f"note: {base['note']}")
    lines.append("")
    for row in rows:
        cells = (cell.ljust(w) for cell, w in zip(row, widths, strict=True))
        lines.append("  ".join(cells).rstrip())
    if report.get("attribution"):
        lines += ["", "Attribution:"]
        for item in report["attribution"]:
            lines.append(f"  {item['message']}")
            for rank, host in enumerate(item.get("hosts", [])[:3], start=1):
                lines.append(
                    f"    {rank}. {host['name']} ({host['party']} party, entity "
                    f"{host['entity']}): {fmt(host['change'])} — {host['detail']}"
                )
    if report.get("budgets"):
        lines += ["", "Budgets (median of the branch runs):"]
        for budget in report["budgets"]:
            lines.append(f"  {'ok  ' if budget['passed'] else 'FAIL'} {budget['message']}")
    return "\n".join(lines) + "\n"


def to_csv(report: Json) -> str:
    """One row per metric, every metric, for spreadsheets."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for m in report.get("metrics", []):
        writer.writerow(["" if m.get(c) is None else m.get(c) for c in CSV_COLUMNS])
    return out.getvalue()


def junit(comparison: Json) -> str:
    """JUnit XML: one test case per metric (failure: a gated regression) and per budget."""
    report = comparison.get("report") or {}
    name = f"perfite.{comparison['scenario']}"
    metrics = report.get("metrics", [])
    budgets = report.get("budgets", [])
    failures = sum(m["gated"] and m["verdict"] == "regression" for m in metrics)
    failures += sum(not b["passed"] for b in budgets)
    suites = ET.Element(
        "testsuites",
        name="perfite-ci",
        tests=str(len(metrics) + len(budgets)),
        failures=str(failures),
        errors="0",
    )
    suite = ET.SubElement(
        suites,
        "testsuite",
        name=name,
        tests=str(len(metrics) + len(budgets)),
        failures=str(failures),
        errors="0",
        skipped="0",
    )
    for m in metrics:
        case = ET.SubElement(suite, "testcase", classname=f"{name}.metrics", name=m["metric"])
        if m["gated"] and m["verdict"] == "regression":
            ET.SubElement(case, "failure", message=m["reason"], type="regression").text = m[
                "reason"
            ]
        ET.SubElement(case, "system-out").text = f"{m['verdict']}: {m['reason']}"
    for b in budgets:
        case = ET.SubElement(suite, "testcase", classname=f"{name}.budgets", name=b["metric"])
        if not b["passed"]:
            ET.SubElement(case, "failure", message=b["message"], type="budget").text = b["message"]
    return ET.tostring(suites, encoding="unicode", xml_declaration=True) + "\n"


def _tc_escape(value: str) -> str:
    out = value.replace("|", "||").replace("'", "|'").replace("[", "|[").replace("]", "|]")
    return out.replace("\n", "|n").replace("\r", "|r")


def teamcity(comparison: Json) -> Iterable[str]:
    """TeamCity service messages: branch median and change of every metric the comparison was
    asked to gate on (also when it was left out of the test for being constant), so charts
    keep every series."""
    report = comparison.get("report") or {}
    prefix = f"perfite.{comparison['scenario']}"
    requested = set((report.get("options") or {}).get("metrics") or [])
    for m in report.get("metrics", []):
        if not (m["gated"] or m["metric"] in requested):
            continue
        for suffix, value in (("", m["branch_median"]), (".delta", m["delta"])):
            if value is not None:
                key = _tc_escape(f"{prefix}.{m['metric']}{suffix}")
                yield f"##teamcity[buildStatisticValue key='{key}' value='{float(value):.3f}']"


_CSS = """body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222}
table{border-collapse:collapse}td,th{padding:4px 10px;border-bottom:1px solid #ddd;text-align:left}
.regression{color:#b00;font-weight:600}.improvement{color:#070}.inconclusive{color:#a60}
.fail{color:#b00}.pass{color:#070}small{color:#666}"""


def to_html(comparison: Json) -> str:
    """A standalone HTML page (no external assets); every value is escaped."""
    e = html.escape
    report = comparison.get("report") or {}
    rows = []
    for m in report.get("metrics", []):
        rows.append(
            f"<tr class='{e(m['verdict'])}'><td>{e(m['metric'])}"
            f"{'' if m['gated'] else ' <small>(not gated)</small>'}</td>"
            f"<td>{e(fmt(m['base_median']))}</td><td>{e(fmt(m['branch_median']))}</td>"
            f"<td>{e(_change(m))}</td><td>{e(fmt(m['p_adjusted'], 3))}</td>"
            f"<td>{e(fmt(m['cliffs_delta'], 2))}</td><td>{e(m['verdict'])}</td>"
            f"<td><small>{e(m['reason'])}</small></td></tr>"
        )
    attribution = "".join(
        f"<li>{e(a['message'])}<ol>"
        + "".join(
            f"<li>{e(h['name'])} ({e(h['party'])} party): {e(fmt(h['change']))} — "
            f"{e(h['detail'])}</li>"
            for h in a.get("hosts", [])
        )
        + "</ol></li>"
        for a in report.get("attribution", [])
    )
    budgets = "".join(
        f"<li class='{'pass' if b['passed'] else 'fail'}'>{e(b['message'])}</li>"
        for b in report.get("budgets", [])
    )
    links = " ".join(
        f"<a href='{e(url)}'>{e(label)}</a>"
        for label, url in (
            ("build", comparison.get("build_url")),
            ("branch", comparison.get("branch_url")),
            ("base", comparison.get("base_url")),
        )
        if url
    )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{e(headline(comparison))}</title>
<style>{_CSS}</style></head><body>
<h1 class="{e(str(report.get("gate", "")))}">{e(headline(comparison))}</h1>
<p>{e(comparison.get("branch") or "")} {e((comparison.get("commit") or "")[:12])}
vs {e(comparison.get("base_branch") or "")} {e((comparison.get("base_commit") or "")[:12])}
{links}</p>
<table><tr><th>metric</th><th>base median</th><th>branch median</th><th>change</th>
<th>p (Holm)</th><th>Cliff's δ</th><th>verdict</th><th>why</th></tr>
{"".join(rows)}</table>
<h2>Attribution</h2><ul>{attribution or "<li>nothing regressed or improved</li>"}</ul>
<h2>Budgets</h2><ul>{budgets or "<li>no budgets set for this scenario</li>"}</ul>
</body></html>
"""
