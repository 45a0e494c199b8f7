"""The 837P examples kept by LinuxForHealth/x12 (tests/data/x12/SOURCES.txt) map to events whose values are the file's own."""

from __future__ import annotations

import datetime as dt
import decimal
from pathlib import Path

import pytest

from workers.x12 import read_837p

DATA = Path(__file__).resolve().parents[1] / "data" / "x12"
SAMPLES = sorted(DATA.glob("*.837"))


def segments(path: Path) -> list[list[str]]:
    """The file's segments split on its own delimiters (the test's independent reading, for expected values)."""
    text = path.read_text()
    return [s.strip().split(text[3]) for s in text.split(text[105]) if s.strip()]


def first(path: Path, seg_id: str, *qualifier: str) -> list[str]:
    return next(s for s in segments(path) if s[0] == seg_id and s[1 : 1 + len(qualifier)] == list(qualifier))


def test_the_three_samples_are_here() -> None:
    assert [p.name for p in SAMPLES] == ["dme-rental-modifiers.837", "drug-in-office.837", "example1.837"]
    assert "LinuxForHealth/x12" in (DATA / "SOURCES.txt").read_text()


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.name)
def test_each_sample_maps_its_one_claim_with_the_files_values(path: Path) -> None:
    result = read_837p(path)
    assert result.refusals == [], [str(r) for r in result.refusals]
    [event] = result.events
    clm = first(path, "CLM")
    isa, gs, st = first(path, "ISA"), first(path, "GS"), first(path, "ST")
    assert gs[8] == st[3] == "005010X222A2"  # the A2 errata: validated against pyx12's A1 map
    claim = event.claim
    assert claim.claim_id == clm[1]
    assert str(claim.total_charge) == clm[2]
    facility, _, frequency = clm[5].split(isa[16])
    assert claim.place_of_service == facility
    assert claim.claim_frequency_code == frequency
    assert claim.billing_provider_npi == first(path, "NM1", "85")[9]
    assert claim.payer_id == first(path, "NM1", "PR")[9]
    assert event.event_id == f"{isa[13]}-{gs[6]}-{st[2]}-{clm[1]}"
    assert event.occurred_at == dt.datetime.strptime("20" + isa[9] + isa[10], "%Y%m%d%H%M").replace(tzinfo=dt.UTC)
    assert event.x12 is not None
    assert (event.x12.interchange_control_number, event.x12.group_control_number, event.x12.transaction_control_number) == (
        isa[13], gs[6], st[2])
    assert (event.x12.sender_id, event.x12.receiver_id) == (isa[6].strip(), isa[8].strip())
    sv1 = [s for s in segments(path) if s[0] == "SV1"]
    assert [line.code for line in claim.lines] == [s[1].split(isa[16])[1] for s in sv1]
    assert [str(line.charge) for line in claim.lines] == [s[2] for s in sv1]
    assert sum(line.charge or 0 for line in claim.lines) == decimal.Decimal(clm[2])
    hi = first(path, "HI")
    assert claim.diagnosis_codes == tuple(c.split(isa[16])[1] for c in hi[1:])


def test_example1_patient_is_a_dependant_so_the_id_is_the_member_id_and_a_digest() -> None:
    path = DATA / "example1.837"
    claim = read_837p(path).events[0].claim
    member = first(path, "NM1", "IL")[9]
    assert claim.patient_id.startswith(member + "-")
    digest = claim.patient_id.removeprefix(member + "-")
    assert len(digest) == 12
    assert all(c in "0123456789abcdef" for c in digest)
    for part in ("SMITH", "TED", "19730501"):  # no name or birth date in the id
        assert part not in claim.patient_id


def test_dme_sample_keeps_rental_modifiers_and_rd8_dates_and_warns_on_its_attachment_code() -> None:
    result = read_837p(DATA / "dme-rental-modifiers.837")
    lines = result.events[0].claim.lines
    assert [line.modifiers for line in lines] == [("RR",), ("RR",)]
    assert [(line.date_of_service, line.date_of_service_to) for line in lines] == [(dt.date(2005, 3, 21), dt.date(2005, 3, 21))] * 2
    # PWK02 "AD" is not in the guide's code list: reported (and in the 999), not a reason to refuse the claim.
    assert [w.segment for w in result.warnings] == [24, 47]
    assert all("PWK02" in w.reason for w in result.warnings)


def test_drug_sample_takes_the_claim_rendering_provider_and_line_place_of_service() -> None:
    path = DATA / "drug-in-office.837"
    claim = read_837p(path).events[0].claim
    assert claim.rendering_provider_npi == first(path, "NM1", "82")[9]
    assert [line.place_of_service for line in claim.lines] == ["11", "11"]
