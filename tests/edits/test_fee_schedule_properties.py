"""Properties over the real fee schedule: for every code of the October 2025 PPRRVU file, each fee schedule
edit fires, or not, exactly as the code's indicator says.

The expected rulings are written here from the issue's rules, not imported from the edits, so a
wrong table in an edit shows up as a code whose finding disagrees with its indicator.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from contracts import Claim, FeeScheduleFacts, Finding, ServiceLine
from edits import Engine, load_default_reference
from edits.reference.model import FeeScheduleEntry, Reference
from edits.reference.pfs import load_fee_schedule

PPRRVU = Path(__file__).resolve().parents[1] / "data" / "cms" / "PPRRVU2025_Oct_nodesc.csv"
DOS = dt.date(2025, 11, 3)
REFERENCE = load_default_reference()
PERIOD: Reference = REFERENCE.for_date(DOS)
ENGINE = Engine(REFERENCE)

# One line per modifier (set) under test, the same code on every line; line number -> modifiers.
LINES: dict[int, tuple[str, ...]] = {
    1: ("80",),
    2: ("81",),
    3: ("82",),
    4: ("AS",),
    5: ("62",),
    6: ("66",),
    7: ("50",),
    8: ("26",),
    9: ("TC",),
    10: ("26", "TC"),
    11: ("80", "AS"),
    12: (),
}

DOCUMENTATION = {"0": "deny", "1": "review", "9": "deny"}  # co-surgeons and team: 0 and 9 deny, 1 reviews, 2 passes
ASSISTANT = {"0": "review", "1": "deny", "9": "deny"}
STATUS = {**dict.fromkeys("BPIGNDFH", "deny"), "R": "review", "M": "info"}


def is_addon(code: str, entry: FeeScheduleEntry) -> bool:
    return entry.global_days == "ZZZ" or code in PERIOD.addons


def expected(code: str, entry: FeeScheduleEntry) -> dict[tuple[str, int], tuple[str, str | None, str]]:
    """(edit, line) -> (severity, modifier, indicator value), for the claim of LINES on this code."""
    want: dict[tuple[str, int], tuple[str, str | None, str]] = {}
    for number in (1, 2, 3, 4, 11):
        if entry.assistant in ASSISTANT:
            want[("assistant-at-surgery-not-payable", number)] = (ASSISTANT[entry.assistant], LINES[number][0], entry.assistant)
    if entry.co_surgeons in DOCUMENTATION:
        want[("co-surgeon-not-permitted", 5)] = (DOCUMENTATION[entry.co_surgeons], "62", entry.co_surgeons)
    if entry.team in DOCUMENTATION:
        want[("team-surgery-not-permitted", 6)] = (DOCUMENTATION[entry.team], "66", entry.team)
    if entry.bilateral in {"0", "2", "9"}:
        edit = "modifier-50-on-addon" if is_addon(code, entry) else "modifier-50-not-bilateral"
        want[(edit, 7)] = ("deny", "50", entry.bilateral)
    refuses_26 = entry.pctc not in {"1", "6"}
    refuses_tc = entry.pctc != "1"
    if refuses_26:
        want[("pctc-modifier-invalid", 8)] = ("deny", "26", entry.pctc)
    if refuses_tc:
        want[("pctc-modifier-invalid", 9)] = ("deny", "TC", entry.pctc)
    if refuses_26 or refuses_tc:
        want[("pctc-modifier-invalid", 10)] = ("deny", "26" if refuses_26 else "TC", entry.pctc)
    if entry.status in STATUS:
        for number in LINES:
            want[("code-not-payable", number)] = (STATUS[entry.status], None, entry.status)
    return want


FEE_SCHEDULE_EDITS = {
    "assistant-at-surgery-not-payable",
    "co-surgeon-not-permitted",
    "team-surgery-not-permitted",
    "modifier-50-not-bilateral",
    "modifier-50-on-addon",
    "pctc-modifier-invalid",
    "code-not-payable",
}
INDICATOR_OF = {
    "assistant-at-surgery-not-payable": "assistant",
    "co-surgeon-not-permitted": "co_surgeons",
    "team-surgery-not-permitted": "team",
    "modifier-50-not-bilateral": "bilateral",
    "modifier-50-on-addon": "bilateral",
    "pctc-modifier-invalid": "pctc",
    "code-not-payable": "status",
}


def claim_of(code: str) -> Claim:
    return Claim(
        claim_id=f"PROP-{code}",
        patient_id="P",
        billing_provider_npi="1234567893",
        lines=tuple(ServiceLine(line_number=n, code=code, modifiers=mods, date_of_service=DOS) for n, mods in LINES.items()),
    )


def got(findings: tuple[Finding, ...]) -> dict[tuple[str, int], tuple[str, str | None, str]]:
    out: dict[tuple[str, int], tuple[str, str | None, str]] = {}
    for finding in findings:
        if finding.edit not in FEE_SCHEDULE_EDITS:
            continue
        assert len(finding.lines) == 1, finding
        key = (finding.edit, finding.lines[0])
        assert key not in out, f"two findings of {finding.edit} on line {finding.lines[0]}"
        assert isinstance(finding.facts, FeeScheduleFacts), finding
        assert finding.facts.indicator == INDICATOR_OF[finding.edit], finding
        out[key] = (finding.severity, finding.modifier, finding.facts.value)
    return out


def every_code() -> Iterator[tuple[str, FeeScheduleEntry]]:
    yield from sorted(PERIOD.fee_schedule.items())


def test_the_bundled_fee_schedule_is_every_code_of_the_real_file() -> None:
    from_file = load_fee_schedule(PPRRVU)
    assert len(from_file) == 16_852
    assert PERIOD.fee_schedule == from_file


def test_every_code_gets_exactly_the_findings_its_indicators_call_for() -> None:
    mismatches: list[str] = []
    fired: Counter[tuple[str, str]] = Counter()
    for code, entry in every_code():
        want = expected(code, entry)
        have = got(ENGINE.run(claim_of(code)))
        if have != want:
            mismatches.append(f"{code} {entry}: missing {sorted(set(want.items()) - set(have.items()))}, "
                              f"unexpected {sorted(set(have.items()) - set(want.items()))}")  # fmt: skip
        fired.update((edit, severity) for (edit, _), (severity, _, _) in have.items())
    assert not mismatches, f"{len(mismatches)} codes disagree with their indicators, e.g.:\n" + "\n".join(mismatches[:10])
    # The real file exercises every ruling at least once (a property that never fires proves little).
    for edit, severity in [
        ("assistant-at-surgery-not-payable", "deny"), ("assistant-at-surgery-not-payable", "review"),
        ("co-surgeon-not-permitted", "deny"), ("co-surgeon-not-permitted", "review"),
        ("team-surgery-not-permitted", "deny"), ("team-surgery-not-permitted", "review"),
        ("modifier-50-not-bilateral", "deny"), ("modifier-50-on-addon", "deny"), ("pctc-modifier-invalid", "deny"),
        ("code-not-payable", "deny"), ("code-not-payable", "review"), ("code-not-payable", "info"),
    ]:  # fmt: skip
        assert fired[(edit, severity)] > 0, (edit, severity)


def test_one_modifier_50_never_gets_two_findings() -> None:
    for code, entry in every_code():
        fifty = [f for f in ENGINE.run(claim_of(code)) if f.lines == (7,) and f.edit.startswith("modifier-50")]
        assert len(fifty) == (1 if entry.bilateral not in {"1", "3"} else 0), (code, entry, fifty)


@pytest.mark.parametrize("companion", ["99213", "0042T", "11055"], ids=["A", "C", "R"])
def test_every_status_t_code_is_denied_beside_a_paid_service_only(companion: str) -> None:
    injections = [code for code, entry in every_code() if entry.status == "T"]
    assert len(injections) == 8  # 36591, 36592, 36598, 94760, 94761, 96523, G0117, G0118
    assert PERIOD.fee_schedule[companion].status in {"A", "C", "R"}
    for code in injections:
        alone = Claim(claim_id="T", patient_id="P", billing_provider_npi="1234567893",
                      lines=(ServiceLine(line_number=1, code=code, date_of_service=DOS),))  # fmt: skip
        assert [f for f in ENGINE.run(alone) if f.edit == "code-not-payable"] == []
        beside = Claim(claim_id="T", patient_id="P", billing_provider_npi="1234567893", lines=(
            ServiceLine(line_number=1, code=code, date_of_service=DOS),
            ServiceLine(line_number=2, code=companion, date_of_service=DOS),
            ServiceLine(line_number=3, code=companion, date_of_service=DOS + dt.timedelta(days=1)),
            ServiceLine(line_number=4, code=companion, date_of_service=DOS, rendering_provider_npi="1111111112"),
        ))  # fmt: skip
        findings = [f for f in ENGINE.run(beside) if f.edit == "code-not-payable" and f.lines == (1,)]
        assert [(f.severity, f.facts) for f in findings] == [
            ("deny", FeeScheduleFacts(indicator="status", value="T", other_lines=(2,)))
        ], code
