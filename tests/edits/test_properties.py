"""Properties over generated valid claims: the engine never raises, and findings only name lines that exist."""

from __future__ import annotations

import datetime as dt

import msgspec
from hypothesis import given, settings
from hypothesis import strategies as st

from contracts import Claim, Finding, MueFacts, ServiceLine
from edits.engine import Engine
from edits.history import PatientHistory
from edits.policy import parse_policy
from edits.reference.model import AddOnPairing, FeeScheduleEntry, MueEntry, Reference, ReferenceSet
from edits.registry import BUILTIN_EDITS

CODES = ["64628", "64629", "64635", "64636", "64490", "64491", "64492", "99213", "0596T", "20610", "96523", "A4550", "71046"]
MODIFIERS = ["50", "51", "59", "RT", "LT", "XS", "76", "GA", "80", "AS", "62", "66", "26", "TC"]
ZZZ = FeeScheduleEntry("A", "ZZZ", "0", "0", "1", "1", "0", "0")
BASE = FeeScheduleEntry("A", "010", "0", "2", "1", "1", "0", "0")

REFERENCE = ReferenceSet(
    version="prop",
    references=(
        Reference(
            version="prop",
            fee_schedule={
                "64628": BASE, "64629": ZZZ, "64635": BASE, "64636": ZZZ, "64490": BASE, "64491": ZZZ, "64492": ZZZ,
                "99213": FeeScheduleEntry("A", "XXX", "0", "0", "0", "0", "0", "0"),
                "96523": FeeScheduleEntry("T", "XXX", "0", "0", "0", "0", "0", "0"),
                "A4550": FeeScheduleEntry("B", "XXX", "9", "9", "9", "9", "9", "9"),
                "71046": FeeScheduleEntry("A", "XXX", "1", "0", "0", "0", "0", "0"),
            },
            mue={"64629": MueEntry(2, 2), "64636": MueEntry(4, 3), "20610": MueEntry(2, 1), "64628": MueEntry(1, 2)},
            addons={
                "64629": (AddOnPairing("64628", 1, dt.date(2022, 1, 1)),),
                "64636": (AddOnPairing("64635", 1, None, dt.date(2030, 1, 1)),),
                "64492": (AddOnPairing("64490", 1), AddOnPairing("64491", 1)),
                "0596T": (AddOnPairing("CCCCC", 2),),
            },
        ),
    ),
)

lines = st.builds(
    ServiceLine,
    line_number=st.integers(1, 50),
    code=st.sampled_from(CODES),
    modifiers=st.lists(st.sampled_from(MODIFIERS), max_size=4).map(tuple),
    units=st.one_of(st.integers(1, 99_999), st.floats(0.01, 99_999, allow_nan=False)),
    # Mostly a few close dates, so lines interact (same date of service), sometimes any date.
    date_of_service=st.one_of(st.dates(dt.date(2025, 3, 1), dt.date(2025, 3, 3)), st.dates(dt.date(2019, 1, 1), dt.date(2031, 12, 31))),
)
claims = st.lists(lines, min_size=1, max_size=50, unique_by=lambda line: line.line_number).map(
    lambda ls: Claim(claim_id="C", patient_id="P", billing_provider_npi="1234567893", lines=tuple(ls))
)
ENGINE = Engine(REFERENCE)
ALL_REVIEW = parse_policy("".join(f'[edits.{edit.name}]\nseverity = "review"\n' for edit in BUILTIN_EDITS))


@settings(max_examples=300, deadline=None)
@given(claims)
def test_engine_never_raises_and_names_only_real_lines(claim: Claim) -> None:
    findings = ENGINE.run(claim)
    numbers = {line.line_number for line in claim.lines}
    codes = {line.code for line in claim.lines}
    for finding in findings:
        assert finding.lines
        assert set(finding.lines) <= numbers
        assert finding.code in codes
        assert finding.message
    assert ENGINE.run(claim) == findings


@settings(max_examples=100, deadline=None)
@given(claims)
def test_line_order_does_not_change_the_findings(claim: Claim) -> None:
    reordered = Claim(claim_id="C", patient_id="P", billing_provider_npi="1234567893", lines=tuple(reversed(claim.lines)))

    def key(findings: tuple[object, ...]) -> list[str]:
        return sorted(repr(f) for f in findings)

    assert key(ENGINE.run(claim)) == key(ENGINE.run(reordered))


@settings(max_examples=150, deadline=None)
@given(claims)
def test_a_claim_sent_twice_is_a_duplicate_line_by_line_and_its_replacement_is_not(claim: Claim) -> None:
    """Whatever the claim: sent again, every line of it that entered history and is no declared repeat is a
    duplicate naming itself; sent as a replacement, nothing is a duplicate and its original leaves history."""
    _, change = ENGINE.run_with_history(claim, PatientHistory())
    history = PatientHistory([change.add] if change.add is not None else [])
    entered = {line.line_number for line in change.add.lines} if change.add is not None else set()
    again, _ = ENGINE.run_with_history(claim, history)
    duplicates = {f.lines[0]: f for f in again if f.edit == "duplicate-service"}
    repeats = {line.line_number for line in claim.lines if {"76", "77", "91"} & set(line.modifiers)}
    # A line also matches an identical line of the claim that entered under another number: at least itself.
    assert set(duplicates) >= entered - repeats
    for number, finding in duplicates.items():
        assert number not in repeats
        assert all(earlier.claim_id == "C" for earlier in finding.history)
    replaced, replacing = ENGINE.run_with_history(msgspec.structs.replace(claim, claim_frequency_code="7"), history)
    assert not [f for f in replaced if f.edit == "duplicate-service"]
    assert replacing.remove == (("C",) if change.add is not None else ())


@settings(max_examples=150, deadline=None)
@given(claims, st.integers(1, 49))
def test_splitting_a_claim_in_two_keeps_the_mue_date_of_service_verdict(claim: Claim, cut: int) -> None:
    """MAI 2/3 units are summed across claims as within one: the second half, edited against the first, is over the
    MUE for a (code, date) exactly when the whole claim is and the second half bills that code that date."""
    first, second = claim.lines[:cut], claim.lines[cut:]
    if not first or not second:
        return
    reviewed = Engine(REFERENCE, ALL_REVIEW)  # nothing denied (an add-on without its primary included): all enters
    as_one = {(f.code, claim_line(claim, f.lines[0]).date_of_service) for f in reviewed.run(claim) if date_of_service_mue(f)}
    head = msgspec.structs.replace(claim, claim_id="A", lines=first)
    tail = msgspec.structs.replace(claim, claim_id="B", lines=second)
    _, change = reviewed.run_with_history(head, PatientHistory())
    history = PatientHistory([change.add] if change.add is not None else [])
    split = {(f.code, claim_line(tail, f.lines[0]).date_of_service) for f in reviewed.run_with_history(tail, history)[0]
             if date_of_service_mue(f)}
    in_tail = {(line.code, line.date_of_service) for line in second}
    assert split == as_one & in_tail


def date_of_service_mue(finding: Finding) -> bool:
    return isinstance(finding.facts, MueFacts) and finding.facts.mai != 1


def claim_line(claim: Claim, number: int) -> ServiceLine:
    return next(line for line in claim.lines if line.line_number == number)
