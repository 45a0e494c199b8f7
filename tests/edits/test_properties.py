"""Properties over generated valid claims: the engine never raises, and findings only name lines that exist."""

from __future__ import annotations

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from contracts import Claim, ServiceLine
from edits.engine import Engine
from edits.reference.model import AddOnPairing, FeeScheduleEntry, MueEntry, Reference, ReferenceSet

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
