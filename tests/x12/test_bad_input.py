"""Bad 837P input: each case is refused with the segment number and the reason, and refuses only what it must.

The generated files put one segment per line, so a segment's number in the file is its line number.
"""

from __future__ import annotations

import pytest

from bench.x12_files import ClaimSpec, Line, Subscriber, Transaction, interchange, simple
from workers.x12 import X12Result, map_bytes, map_text


def line_of(text: str, prefix: str, nth: int = 1) -> int:
    """The 1-based line (= segment number) of the nth segment starting with `prefix`."""
    hits = [number for number, line in enumerate(text.splitlines(), start=1) if line.startswith(prefix)]
    return hits[nth - 1]


def mapped(text: str) -> X12Result:
    return map_text(text, "bad.837")


THREE = simple([ClaimSpec("GOOD1"), ClaimSpec("BAD", [Line("646281")]), ClaimSpec("GOOD2")])


def test_one_bad_claim_does_not_stop_the_others_of_the_same_transaction() -> None:
    result = mapped(THREE)
    assert [e.claim.claim_id for e in result.events] == ["GOOD1", "GOOD2"]
    [refusal] = result.refusals
    assert refusal.claim_id == "BAD"
    assert refusal.segment == line_of(THREE, "SV1*HC:646281")
    assert "'646281' is 6 characters" in refusal.reason
    assert refusal.transaction == "0001"
    assert refusal.st_position == refusal.segment - line_of(THREE, "ST*") + 1


def test_missing_service_date_refuses_that_claim_only() -> None:
    text = simple([ClaimSpec("GOOD1"), ClaimSpec("NODATE", [Line(), Line("64629", date=None)]), ClaimSpec("GOOD2")])
    result = mapped(text)
    assert [e.claim.claim_id for e in result.events] == ["GOOD1", "GOOD2"]
    [refusal] = result.refusals
    assert refusal.claim_id == "NODATE"
    assert "DTP" in refusal.reason
    assert "missing" in refusal.reason
    # the guide notices the missing DTP*472 at the line it belongs to (the SV1 without it)
    assert refusal.segment == line_of(text, "SV1*HC:64629")


def test_a_date_that_is_not_a_date_is_refused() -> None:
    result = mapped(simple([ClaimSpec("X", [Line(date=("D8", "20250230"))])]))
    [refusal] = result.refusals
    assert refusal.claim_id == "X"
    assert "20250230" in refusal.reason


@pytest.mark.parametrize(("line", "words"), [
    (Line(qualifier="ER", code="99213"), "only HC"),
    (Line(basis="MJ", units="45"), "MJ (anesthesia minutes)"),
    (Line(code="6462"), "'6462' is 4 characters"),
    (Line(code="64628", modifiers=("5",)), "SV101-3 (Procedure Modifier 1)"),  # the guide's own length check
    (Line(code="64628", modifiers=("xs",)), "modifier 'xs'"),
])
def test_lines_that_cannot_map_name_the_element_and_why(line: Line, words: str) -> None:
    text = simple([ClaimSpec("X", [line])])
    result = mapped(text)
    assert result.events == []
    [refusal] = result.refusals
    assert words in refusal.reason, refusal.reason
    assert refusal.claim_id == "X"
    assert refusal.segment == line_of(text, "SV1*")


def test_repeated_claim_number_in_one_transaction_is_refused_as_its_event_id_would_collide() -> None:
    text = simple([ClaimSpec("SAME"), ClaimSpec("SAME")])
    result = mapped(text)
    assert len(result.events) == 1
    [refusal] = result.refusals
    assert refusal.segment == line_of(text, "CLM*SAME", 2)
    assert f"segment {line_of(text, 'CLM*SAME')}" in refusal.reason


def test_more_than_50_lines_is_refused_by_the_guide() -> None:
    text = simple([ClaimSpec("LONG", [Line() for _ in range(51)])])
    result = mapped(text)
    assert result.events == []
    assert result.refusals[0].claim_id == "LONG"


ENVELOPE_CASES = {
    "SE count": (("SE*", lambda s: s.replace("SE*", "SE*9", 1)), "SE count"),
    "GE count": (("GE*1*1", lambda s: s.replace("GE*1*1", "GE*2*1")), "GE count"),
    "IEA count": (("IEA*1*", lambda s: s.replace("IEA*1*", "IEA*3*")), "IEA count"),
    "ST/SE control numbers": (("SE*", lambda s: s.replace("*0001\nGE", "*0009\nGE")), "does not match ST id"),
    "GS/GE control numbers": (("GE*", lambda s: s.replace("GE*1*1", "GE*1*7")), "does not match GS id"),
    "ISA/IEA control numbers": (("IEA*", lambda s: s.replace("IEA*1*000000001", "IEA*1*000000009")), "does not match ISA id"),
}


@pytest.mark.parametrize("case", ENVELOPE_CASES, ids=str)
def test_a_broken_envelope_refuses_the_claims_inside_it_naming_the_envelope_segment(case: str) -> None:
    (_, breaking), words = ENVELOPE_CASES[case]
    text = breaking(simple([ClaimSpec("A1"), ClaimSpec("A2")]).replace("~\n", "\n")).replace("\n", "~\n")
    result = mapped(text)
    assert result.events == []
    assert {r.claim_id for r in result.refusals} == {"A1", "A2"}
    assert all(words in r.reason for r in result.refusals), [r.reason for r in result.refusals]
    assert all(r.segment for r in result.refusals)


def test_a_broken_transaction_does_not_refuse_the_next_transaction() -> None:
    text = interchange([[Transaction("0001", [Subscriber("M1", [ClaimSpec("A1")])]),
                         Transaction("0002", [Subscriber("M2", [ClaimSpec("B1")])])]])
    text = text.replace("*0001~\nST*837*0002", "*0009~\nST*837*0002")  # the first SE02 no longer matches its ST02
    result = mapped(text)
    assert [e.claim.claim_id for e in result.events] == ["B1"]
    assert [(r.claim_id, r.segment) for r in result.refusals] == [("A1", line_of(text, "ST*837*0001"))]


def test_a_truncated_file_is_refused_naming_the_missing_trailers() -> None:
    text = simple([ClaimSpec("A1"), ClaimSpec("A2")])
    cut = text[: text.index("CLM*A2")]
    result = mapped(cut)
    assert result.events == []
    reasons = " ".join(r.reason for r in result.refusals)
    assert "Transaction Set Trailer" in reasons
    assert "Interchange Control Trailer" in reasons


def test_wrong_element_separator_names_the_first_segment_that_does_not_follow_the_isa() -> None:
    text = simple([ClaimSpec("A1")]).replace("*", "|", 16)  # the ISA says '|', the rest still uses '*'
    [refusal] = mapped(text).refusals
    assert refusal.segment == 2
    assert "wrong delimiters" in refusal.reason
    assert "'|'" in refusal.reason


def test_an_element_separator_equal_to_the_repetition_separator_is_refused_at_the_isa() -> None:
    text = simple([ClaimSpec("A1")]).replace("*", "^")  # ISA11, the repetition separator, is already '^'
    [refusal] = mapped(text).refusals
    assert refusal.segment == 1
    assert "delimiters are not usable" in refusal.reason


def test_wrong_segment_terminator_is_refused() -> None:
    text = simple([ClaimSpec("A1")])
    text = text[:105] + "~" + text[106:].replace("~", "!")  # the ISA says '~', the rest ends segments with '!'
    [refusal] = mapped(text).refusals
    assert "terminator '~'" in refusal.reason


@pytest.mark.parametrize(("version", "group", "st", "what"), [
    ("005010X223A2", "HC", "837", "837I"),
    ("005010X223A1", "HC", "837", "837I"),
    ("005010X221A1", "HP", "835", "835"),
])
def test_an_837i_or_835_is_refused_at_its_gs(version: str, group: str, st: str, what: str) -> None:
    text = simple([ClaimSpec("A1")]).replace("005010X222A1", version).replace("GS*HC", f"GS*{group}").replace("ST*837", f"ST*{st}")
    result = mapped(text)
    assert result.events == []
    [refusal] = result.refusals
    assert refusal.segment == 2
    assert what in refusal.reason
    assert "not an 837P" in refusal.reason
    assert result.ack is None  # refused before validation: no 999


@pytest.mark.parametrize(("raw", "words"), [
    (b"\x00\xff\xfe binary", "not text"),
    (b"hello, this is not X12 at all", "does not start with an ISA"),
    (b"ISA*00*", "ends after 7 characters"),
    (b"", "does not start with an ISA"),
])
def test_not_x12_at_all(raw: bytes, words: str) -> None:
    result = map_bytes(raw, "junk.bin")
    assert result.events == []
    [refusal] = result.refusals
    assert words in refusal.reason
