"""The fee schedule indicator edits together: several findings on one line, policy severities, periods by date."""

from __future__ import annotations

import datetime as dt

import msgspec
import pytest

from contracts import Claim, FeeScheduleFacts, outcome_of
from edits.engine import Engine
from edits.policy import parse_policy
from edits.reference.model import FeeScheduleEntry, Reference, ReferenceSet

# status, global days, PC/TC, mult proc, bilateral, assistant, co-surgeons, team
SURGERY = FeeScheduleEntry("R", "090", "0", "2", "0", "1", "0", "0")  # everything refuses, status R reviews
OPEN_SURGERY = FeeScheduleEntry("A", "090", "0", "2", "1", "0", "1", "1")  # documentation needed for 80/62/66
OFFICE_VISIT = FeeScheduleEntry("A", "XXX", "0", "0", "0", "0", "0", "0")
BUNDLED = FeeScheduleEntry("B", "XXX", "9", "9", "9", "9", "9", "9")
MEASURE = FeeScheduleEntry("M", "XXX", "9", "9", "9", "9", "9", "9")
INJECTION = FeeScheduleEntry("T", "XXX", "0", "0", "0", "0", "0", "0")
ASSISTANT_PAID = FeeScheduleEntry("A", "090", "0", "2", "1", "2", "2", "2")

FEE_EDITS = {
    "assistant-at-surgery-not-payable",
    "co-surgeon-not-permitted",
    "team-surgery-not-permitted",
    "modifier-50-not-bilateral",
    "pctc-modifier-invalid",
    "code-not-payable",
}


def one_period(**fees: FeeScheduleEntry) -> ReferenceSet:
    return ReferenceSet(version="t", references=(Reference(version="t", fee_schedule=dict(fees)),))


def make_claim(*lines: dict[str, object]) -> Claim:
    return msgspec.convert({"claim_id": "C", "patient_id": "P", "billing_provider_npi": "1234567893", "lines": list(lines)}, Claim)


def line(number: int, code: str, *modifiers: str, day: str = "2025-03-04") -> dict[str, object]:
    return {"line_number": number, "code": code, "modifiers": list(modifiers), "date_of_service": day}


def test_one_line_gets_one_finding_from_each_edit_it_breaks() -> None:
    reference = one_period(**{"27000": SURGERY, "99213": OFFICE_VISIT})
    claim = make_claim(line(1, "27000", "62", "66", "80", "50"), line(2, "99213", "25"))
    findings = Engine(reference).run(claim)
    assert [(f.edit, f.lines, f.modifier, f.severity) for f in findings] == [
        ("assistant-at-surgery-not-payable", (1,), "80", "deny"),
        ("co-surgeon-not-permitted", (1,), "62", "deny"),
        ("code-not-payable", (1,), None, "review"),
        ("modifier-50-not-bilateral", (1,), "50", "deny"),
        ("team-surgery-not-permitted", (1,), "66", "deny"),
    ]
    assert [f.facts for f in findings] == [
        FeeScheduleFacts(indicator="assistant", value="1"),
        FeeScheduleFacts(indicator="co_surgeons", value="0"),
        FeeScheduleFacts(indicator="status", value="R"),
        FeeScheduleFacts(indicator="bilateral", value="0"),
        FeeScheduleFacts(indicator="team", value="0"),
    ]
    assert outcome_of(findings) == "deny"


def test_documentation_values_ask_for_review_by_default() -> None:
    claim = make_claim(line(1, "27001", "62", "66", "80"))
    findings = Engine(one_period(**{"27001": OPEN_SURGERY})).run(claim)
    assert {(f.edit, f.severity) for f in findings} == {
        ("assistant-at-surgery-not-payable", "review"),
        ("co-surgeon-not-permitted", "review"),
        ("team-surgery-not-permitted", "review"),
    }
    assert outcome_of(findings) == "review"


MIXED = make_claim(
    line(1, "27000", "80"),  # assistant indicator 1: deny
    line(2, "27001", "AS"),  # assistant indicator 0: review
    line(3, "27002", "80"),  # assistant indicator 2: nothing
    line(4, "A4550"),  # status B: deny
    line(5, "0500F"),  # status M: info
    line(6, "96523"),  # status T beside line 7's A: deny
    line(7, "99213"),  # status A: nothing
)
MIXED_REFERENCE = one_period(
    **{"27000": SURGERY, "27001": OPEN_SURGERY, "27002": ASSISTANT_PAID, "A4550": BUNDLED, "0500F": MEASURE, "96523": INJECTION,
       "99213": OFFICE_VISIT}
)  # fmt: skip


def severities(findings: tuple[object, ...], edit: str) -> dict[tuple[int, ...], str]:
    return {f.lines: f.severity for f in findings if f.edit == edit}  # type: ignore[attr-defined]


def test_without_a_policy_each_value_has_its_own_severity() -> None:
    findings = Engine(MIXED_REFERENCE).run(MIXED)
    assert severities(findings, "assistant-at-surgery-not-payable") == {(1,): "deny", (2,): "review"}
    assert severities(findings, "code-not-payable") == {(1,): "review", (4,): "deny", (5,): "info", (6,): "deny"}


@pytest.mark.parametrize("severity", ["deny", "review", "info"])
def test_a_policy_severity_replaces_every_per_value_severity_of_the_edit(severity: str) -> None:
    policy = parse_policy(f'[edits.assistant-at-surgery-not-payable]\nseverity = "{severity}"\n'
                          f'[edits.code-not-payable]\nseverity = "{severity}"\n')  # fmt: skip
    findings = Engine(MIXED_REFERENCE, policy).run(MIXED)
    # The same findings fire (the override never makes a passing value fire, nor silences one) ...
    assert severities(findings, "assistant-at-surgery-not-payable") == {(1,): severity, (2,): severity}
    assert severities(findings, "code-not-payable") == {(1,): severity, (4,): severity, (5,): severity, (6,): severity}
    plain = Engine(MIXED_REFERENCE).run(MIXED)
    assert [(f.edit, f.lines) for f in findings] == [(f.edit, f.lines) for f in plain]


def test_a_policy_override_on_one_edit_leaves_the_others_per_value() -> None:
    claim = make_claim(line(1, "27001", "62", "66"))
    policy = parse_policy('[edits.co-surgeon-not-permitted]\nseverity = "deny"\n')
    findings = Engine(one_period(**{"27001": OPEN_SURGERY}), policy).run(claim)
    assert {(f.edit, f.severity) for f in findings} == {("co-surgeon-not-permitted", "deny"), ("team-surgery-not-permitted", "review")}


def two_quarters(q2: dict[str, FeeScheduleEntry], q3: dict[str, FeeScheduleEntry]) -> ReferenceSet:
    return ReferenceSet(
        version="two",
        references=(
            Reference(version="2026Q2", effective_from=dt.date(2026, 4, 1), effective_to=dt.date(2026, 6, 30), fee_schedule=q2),
            Reference(version="2026Q3", effective_from=dt.date(2026, 7, 1), effective_to=dt.date(2026, 9, 30), fee_schedule=q3),
        ),
    )


def test_each_line_is_judged_by_the_period_in_force_on_its_date() -> None:
    reference = two_quarters(
        {"27000": ASSISTANT_PAID, "A4550": OFFICE_VISIT, "96523": INJECTION, "99213": OFFICE_VISIT},
        {"27000": SURGERY, "A4550": BUNDLED, "96523": INJECTION, "99213": BUNDLED},
    )
    claim = make_claim(
        line(1, "27000", "80", "50", day="2026-06-30"),
        line(2, "27000", "80", "50", day="2026-07-01"),
        line(3, "A4550", day="2026-06-30"),
        line(4, "A4550", day="2026-07-01"),
        line(5, "96523", day="2026-06-30"),
        line(6, "99213", day="2026-06-30"),
        line(7, "96523", day="2026-07-01"),  # bundled by line 2 (R in Q3), not by line 8
        line(8, "99213", day="2026-07-01"),  # B in Q3
    )
    findings = Engine(reference).run(claim)
    got = {(f.edit, f.lines, f.reference_version) for f in findings if f.edit in FEE_EDITS}
    assert got == {
        ("assistant-at-surgery-not-payable", (2,), "2026Q3"),
        ("code-not-payable", (2,), "2026Q3"),
        ("modifier-50-not-bilateral", (2,), "2026Q3"),
        ("code-not-payable", (4,), "2026Q3"),
        ("code-not-payable", (5,), "2026Q2"),
        ("code-not-payable", (7,), "2026Q3"),
        ("code-not-payable", (8,), "2026Q3"),
    }
    injections = {f.lines: f.facts for f in findings if f.lines in {(5,), (7,)}}
    assert injections == {
        (5,): FeeScheduleFacts(indicator="status", value="T", other_lines=(1, 3, 6)),  # A in Q2
        (7,): FeeScheduleFacts(indicator="status", value="T", other_lines=(2,)),
    }


def test_a_code_absent_from_the_period_in_force_is_not_judged_even_if_another_period_has_it() -> None:
    reference = two_quarters({"27000": SURGERY}, {})
    claim = make_claim(line(1, "27000", "80", "62", "66", "26", day="2026-07-02"), line(2, "27000", "80", day="2026-05-01"))
    findings = Engine(reference).run(claim)
    assert {f.lines for f in findings} == {(2,)}
