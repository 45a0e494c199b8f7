"""Findings: what an edit found, and the facts it used, typed per family of edit.

`Finding` holds what every finding has (edit, severity, lines, code, message). The facts an
edit used to decide live in `facts`, a tagged union (msgspec tagged unions, tag field `kind`):
each family of edits has its own struct, so a new edit adds a struct or reuses one, and the
flat `Finding` never grows a field per edit. A consumer switches on `facts.kind`. Adding a kind
is a compatible change for consumers that read results as plain JSON; the results' schema
version says which kinds exist (docs/wire-format.md).

Findings that relied on a patient's earlier claims name what they used in `history`.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

import msgspec

from contracts.claim import OpaqueId

Severity = Literal["deny", "review", "info"]
"""deny: the line is not payable as billed. review: hold for a person. info: noted, no action."""

SEVERITIES: tuple[Severity, ...] = ("deny", "review", "info")

Outcome = Literal["pass", "review", "deny"]
"""The worst severity among a claim's findings: deny > review > pass (info-only or none)."""

OUTCOMES: tuple[Outcome, ...] = ("pass", "review", "deny")

FeeScheduleIndicator = Literal["status", "pctc", "bilateral", "assistant", "co_surgeons", "team", "global_days"]


class _Facts(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True, tag_field="kind"):
    """Base of the fact structs; `kind` names the struct on the wire."""


class MueFacts(_Facts, frozen=True, kw_only=True, omit_defaults=True, gc=False, tag="mue"):
    """mue-units-exceeded: units counted against the MUE value and its adjudication indicator (MAI)."""

    units_counted: int | float
    mue_value: int
    mai: int
    units_from_history: int | float = 0


class AddOnFacts(_Facts, frozen=True, kw_only=True, omit_defaults=True, gc=False, tag="add-on"):
    """addon-without-primary: the primary codes that would have made the add-on payable."""

    primaries_sought: tuple[str, ...]


class FeeScheduleFacts(_Facts, frozen=True, kw_only=True, omit_defaults=True, gc=False, tag="fee-schedule"):
    """A fee schedule (PPRRVU) indicator the edit read: which one, and its value for the code.

    `other_lines` are the lines of the same date and provider that made the indicator matter
    (status T: the other fee-schedule services billed that day).
    """

    indicator: FeeScheduleIndicator
    value: str
    other_lines: tuple[int, ...] = ()


class PtpPair(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True, gc=False):
    """One NCCI procedure-to-procedure pair that applied: the codes, where the other code is, and the row's terms.

    `line` is the other line on this claim; for a pair found in history, `claim_id` and `line` are the earlier claim's.
    """

    column_one: str
    column_two: str
    modifier_indicator: int
    effective: dt.date
    deleted: dt.date | None = None
    rationale: str = ""
    line: int | None = None
    claim_id: OpaqueId | None = None


class PtpFacts(_Facts, frozen=True, kw_only=True, omit_defaults=True, gc=False, tag="ptp"):
    """ptp-bundled-code: every pair that bundles this line; `role` is which column this line's code is in."""

    role: Literal["column-two", "column-one"]
    pairs: tuple[PtpPair, ...]


class OtherFacts(_Facts, frozen=True, kw_only=True, omit_defaults=True, tag="other"):
    """Facts of an edit outside this package (plugins): names to plain values."""

    values: dict[str, str | int | float | bool | None] = {}


Facts = MueFacts | AddOnFacts | FeeScheduleFacts | PtpFacts | OtherFacts


class EarlierLine(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True, gc=False):
    """A service line of an earlier claim of the same patient that a finding relied on."""

    claim_id: OpaqueId
    line_number: int
    code: str
    units: int | float = 1
    date_of_service: dt.date | None = None


class Finding(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True, gc=False):
    """One problem an edit found, with the facts it used so a biller can check it."""

    edit: str
    severity: Severity
    lines: tuple[int, ...]
    code: str
    message: str
    reference_version: str
    modifier: str | None = None
    facts: Facts | None = None
    history: tuple[EarlierLine, ...] = ()


def outcome_of(findings: tuple[Finding, ...] | list[Finding]) -> Outcome:
    """deny if any finding denies, else review if any asks for review, else pass."""
    worst: Outcome = "pass"
    for finding in findings:
        if finding.severity == "deny":
            return "deny"
        if finding.severity == "review":
            worst = "review"
    return worst
