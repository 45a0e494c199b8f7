"""Replay reports: a table for people, JSON for programs, JUnit XML for CI, Markdown for a review comment.

Every renderer takes the summary and an iterable of changed claims (read back
from the spool), and writes as it goes: nothing is collected per claim.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import IO
from xml.sax.saxutils import escape, quoteattr

from contracts import Finding, encode
from workers.replay.diff import ChangedClaim
from workers.replay.runner import Side, Summary

FORMATS = ("table", "json", "junit", "markdown")


def _lines(finding: Finding) -> str:
    return ("line " if len(finding.lines) == 1 else "lines ") + ",".join(map(str, finding.lines))


def _finding_text(finding: Finding) -> str:
    return f"{_lines(finding):<10} {finding.code}  {finding.severity:<6}  {finding.edit}: {finding.message}"


def _ids(change: ChangedClaim) -> str:
    event = "" if change.event_id == change.claim_id else f"event {change.event_id}, "
    return f"{change.claim_id} ({event}{change.where}"


def _verdict(summary: Summary) -> str:
    totals = summary.totals
    if not totals.changed:
        return "no claim changed"
    scope = {"any": "", "added": " (counting added findings only)", "removed": " (counting removed findings only)"}[summary.fail_on]
    if summary.failed:
        return f"{totals.changed} claim{'s' if totals.changed != 1 else ''} changed{scope}"
    return f"{totals.changed} claim{'s' if totals.changed != 1 else ''} changed, none that --fail-on {summary.fail_on} counts"


def _side(label: str, side: Side) -> str:
    versions = ""
    if side.reference_version:
        versions = f" (reference {side.reference_version}, rule set {side.ruleset_version})"
    return f"{label}: {side.description}{versions}"


def _totals_rows(summary: Summary) -> list[tuple[str, int]]:
    totals = summary.totals
    return [
        ("events", totals.events),
        ("changed", totals.changed),
        ("unchanged", totals.unchanged),
        ("without baseline", totals.without_baseline),
        ("unreadable", totals.unreadable),
    ]


def render_table(summary: Summary, changes: Iterable[ChangedClaim], out: IO[str], show: int | None = None) -> None:
    out.write("claim-edit replay\n")
    out.write(f"  {_side('before', summary.before)}\n  {_side('after ', summary.after)}\n\n")
    for name, value in _totals_rows(summary):
        out.write(f"  {name:<18}{value:>10,}\n")
    totals = summary.totals
    if totals.changed:
        out.write(
            f"  (findings: {totals.findings_added:,} added, on {totals.claims_with_added:,} claims; "
            f"{totals.findings_removed:,} removed, on {totals.claims_with_removed:,} claims)\n"
        )
    if summary.edits:
        out.write(f"\n  {'edit':<28}{'added':>8}{'removed':>9}\n")
        for count in summary.edits:
            out.write(f"  {count.edit:<28}{count.added:>8,}{count.removed:>9,}\n")
    for shown, change in enumerate(changes):
        if shown == 0:
            out.write("\nchanged claims\n")
        if show is not None and shown >= show:
            out.write(f"  ... {totals.changed - shown:,} more (--show N, or --format json for all)\n")
            break
        out.write(f"\n{_ids(change)})  {change.before_outcome.upper()} -> {change.after_outcome.upper()}\n")
        for finding in change.removed:
            out.write(f"  - {_finding_text(finding)}\n")
        for finding in change.added:
            out.write(f"  + {_finding_text(finding)}\n")
        kept = len(change.after) - len(change.added)
        if kept:
            out.write(f"    ({kept} finding{'s' if kept != 1 else ''} unchanged)\n")
    _write_unreadable(summary, out, lambda text: f"  {text}\n", "\nunreadable\n")
    if summary.republish_stream is not None:
        out.write(f"\nrepublished {summary.republished:,} events to stream {summary.republish_stream}\n")
    out.write(f"\n{_verdict(summary)}\n")


def _write_unreadable(summary: Summary, out: IO[str], row: Callable[[str], str], heading: str) -> None:
    if summary.unreadable:
        out.write(heading)
        for problem in summary.unreadable:
            out.write(row(f"{problem.where}: {problem.reason}: {problem.detail}"))
        hidden = summary.totals.unreadable - len(summary.unreadable)
        if hidden:
            out.write(row(f"... and {hidden:,} more"))
    if summary.baseline_unreadable:
        out.write(heading.replace("unreadable", f"unreadable baseline rows ({summary.baseline_unreadable_count:,})"))
        for baseline_problem in summary.baseline_unreadable:
            out.write(row(f"{baseline_problem.where}: {baseline_problem.detail}"))


def render_json(summary: Summary, changes: Iterable[ChangedClaim], out: IO[str], show: int | None = None) -> None:
    """`{"summary": ..., "changed": [...]}`; every changed claim, whatever `show` says."""
    out.write('{"summary":')
    out.write(encode(summary).decode())
    out.write(',"changed":[')
    for index, change in enumerate(changes):
        if index:
            out.write(",\n")
        out.write(encode(change).decode())
    out.write("]}\n")


def _short(change: ChangedClaim) -> str:
    parts = [f"added {f.edit} {f.code} {_lines(f)} ({f.severity})" for f in change.added]
    parts += [f"removed {f.edit} {f.code} {_lines(f)} ({f.severity})" for f in change.removed]
    return "; ".join(parts)


def render_junit(summary: Summary, changes: Iterable[ChangedClaim], out: IO[str], show: int | None = None) -> None:
    """One testcase per changed claim: a failure when `--fail-on` counts it, skipped otherwise; plus a totals case.

    `changes` is read twice (the counts go in the opening tags), which the spool allows.
    """
    cases = failures = 0
    for change in changes:
        cases += 1
        failures += change.counts_for(summary.fail_on)
    counts = f'tests="{cases + 1}" failures="{failures}" errors="0" skipped="{cases - failures}"'
    suite = quoteattr("claim-edit replay")
    out.write('<?xml version="1.0" encoding="UTF-8"?>\n')
    out.write(f"<testsuites name={suite} {counts}>\n  <testsuite name={suite} {counts}>\n    <properties>\n")
    sides = (("before", _side("", summary.before)[2:]), ("after", _side("", summary.after)[2:]), ("fail_on", summary.fail_on))
    for name, value in sides:
        out.write(f"      <property name={quoteattr(name)} value={quoteattr(value)}/>\n")
    for name, number in _totals_rows(summary):
        out.write(f"      <property name={quoteattr(name.replace(' ', '_'))} value=\"{number}\"/>\n")
    out.write("    </properties>\n")
    text = "\n".join(f"{name}: {value}" for name, value in _totals_rows(summary))
    text += "".join(f"\n{p.where}: {p.reason}: {p.detail}" for p in summary.unreadable)
    out.write(f'    <testcase classname="replay" name="totals"><system-out>{escape(text)}</system-out></testcase>\n')
    for change in changes:
        out.write(_junit_case(change, summary))
    out.write("  </testsuite>\n</testsuites>\n")


def _junit_case(change: ChangedClaim, summary: Summary) -> str:
    name = quoteattr(f"{change.claim_id} ({change.where})")
    detail = "\n".join(
        [f"event {change.event_id}, claim {change.claim_id}, {change.where}: {change.before_outcome} -> {change.after_outcome}"]
        + [f"- {_finding_text(f)}" for f in change.removed]
        + [f"+ {_finding_text(f)}" for f in change.added]
    )
    if change.counts_for(summary.fail_on):
        kind = "changed" if change.added and change.removed else "added" if change.added else "removed"
        inner = f'<failure message={quoteattr(_short(change))} type="{kind}">{escape(detail)}</failure>'
    else:
        inner = f"<skipped message={quoteattr(f'not counted by --fail-on {summary.fail_on}: {_short(change)}')}/>"
    return f'    <testcase classname="replay.changed" name={name}>{inner}</testcase>\n'


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown(summary: Summary, changes: Iterable[ChangedClaim], out: IO[str], show: int | None = None) -> None:
    totals = summary.totals
    out.write(f"### claim-edit replay: {_verdict(summary)}\n\n")
    out.write(f"- {_cell(_side('before', summary.before))}\n- {_cell(_side('after', summary.after))}\n\n")
    out.write("| | claims |\n|---|---:|\n")
    for name, value in _totals_rows(summary):
        out.write(f"| {name} | {value:,} |\n")
    if summary.edits:
        out.write("\n| edit | findings added | findings removed |\n|---|---:|---:|\n")
        for count in summary.edits:
            out.write(f"| `{count.edit}` | {count.added:,} | {count.removed:,} |\n")
    for shown, change in enumerate(changes):
        if shown == 0:
            out.write("\n#### Changed claims\n\n| claim | where | outcome | removed | added |\n|---|---|---|---|---|\n")
        if show is not None and shown >= show:
            out.write(f"\n_... {totals.changed - shown:,} more changed claims not shown._\n")
            break
        removed = "<br>".join(_cell(f"`{f.edit}` {f.code} {_lines(f)} ({f.severity})") for f in change.removed)
        added = "<br>".join(_cell(f"`{f.edit}` {f.code} {_lines(f)} ({f.severity})") for f in change.added)
        out.write(
            f"| {_cell(change.claim_id)} | {_cell(change.where)} | {change.before_outcome} → {change.after_outcome} "
            f"| {removed or '-'} | {added or '-'} |\n"
        )
    _write_unreadable(summary, out, lambda text: f"- {_cell(text)}\n", "\n#### Unreadable\n\n")
    if summary.republish_stream is not None:
        out.write(f"\nRepublished {summary.republished:,} events to stream `{summary.republish_stream}`.\n")


RENDERERS: dict[str, Callable[[Summary, Iterable[ChangedClaim], IO[str], int | None], None]] = {
    "table": render_table,
    "json": render_json,
    "junit": render_junit,
    "markdown": render_markdown,
}
