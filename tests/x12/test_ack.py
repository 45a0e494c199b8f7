"""The 999 implementation acknowledgment pyx12 writes: accepted and rejected transaction sets, and the A2 echo."""

from __future__ import annotations

from pathlib import Path

from bench.x12_files import ClaimSpec, Line, Subscriber, Transaction, interchange
from workers.x12 import map_text, read_837p

DATA = Path(__file__).resolve().parents[1] / "data" / "x12"


def segments(ack: str) -> list[list[str]]:
    return [s.strip().split(ack[3]) for s in ack.split(ack[105]) if s.strip()]


def test_accepted_and_rejected_transaction_sets_are_acknowledged_with_ik5_and_ak9() -> None:
    text = interchange([[Transaction("0001", [Subscriber("M1", [ClaimSpec("A1")])]),
                         Transaction("0002", [Subscriber("M2", [ClaimSpec("B1", [Line(date=None)])])])]])
    result = map_text(text, "mixed.837")
    assert result.ack is not None
    ack = segments(result.ack)
    ids = [s[0] for s in ack]
    assert ids[:3] == ["ISA", "GS", "ST"]
    assert ack[1][1] == "FA"  # a functional acknowledgment group
    assert ack[2][1] == "999"
    assert ack[0][6].strip() == "RECEIVER"  # sender and receiver swapped: the 999 goes back to the submitter
    assert ack[0][8].strip() == "SUBMITTER"
    ak2 = [s for s in ack if s[0] in ("AK2", "IK3", "IK5")]
    assert [s[:3] for s in ak2 if s[0] == "AK2"] == [["AK2", "837", "0001"], ["AK2", "837", "0002"]]
    ik5 = [s[1] for s in ack if s[0] == "IK5"]
    assert ik5 == ["A", "R"]
    ik3 = next(s for s in ack if s[0] == "IK3")
    assert ik3[1] == "DTP"  # the missing segment
    assert ik3[4] == "3"  # IK304 3: required segment missing
    [ak9] = [s for s in ack if s[0] == "AK9"]
    assert ak9[1:5] == ["P", "2", "2", "1"]  # partially accepted: 2 included, 2 received, 1 accepted
    assert ids[-1] == "IEA"


def test_a_clean_file_is_accepted_whole() -> None:
    result = map_text(interchange([[Transaction("0001", [Subscriber("M1", [ClaimSpec("A1")])])]]), "ok.837")
    assert result.ack is not None
    ack = segments(result.ack)
    assert [s[1] for s in ack if s[0] == "IK5"] == ["A"]
    assert next(s for s in ack if s[0] == "AK9")[1:5] == ["A", "1", "1", "1"]


def test_a2_files_are_acknowledged_as_a2_though_validated_against_the_a1_map() -> None:
    result = read_837p(DATA / "example1.837")
    assert result.ack is not None
    ack = segments(result.ack)
    assert next(s for s in ack if s[0] == "AK1")[3] == "005010X222A2"
    assert next(s for s in ack if s[0] == "AK2")[3] == "005010X222A2"
    assert "005010X222A1" not in result.ack


def test_a_requested_ta1_comes_right_after_the_isa() -> None:
    path = DATA / "example1.837"
    assert path.read_text()[:106].split("*")[14] == "1"  # ISA14: interchange acknowledgment requested
    result = read_837p(path)
    assert result.ack is not None
    ids = [s[0] for s in segments(result.ack)]
    assert ids[:3] == ["ISA", "TA1", "GS"]
    assert ids.count("TA1") == 1
    ta1 = next(s for s in segments(result.ack) if s[0] == "TA1")
    assert ta1[1] == "000000907"  # the received ISA13
    assert ta1[4] == "A"
