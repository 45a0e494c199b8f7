"""Generated 837P files: every mapping rule of docs/x12.md, checked on the event it produces."""

from __future__ import annotations

import datetime as dt
import decimal

import msgspec
import pytest

from bench.x12_files import (
    BILLING_NPI,
    LINE_RENDERING_NPI,
    RENDERING_NPI,
    ClaimSpec,
    Line,
    Patient,
    Subscriber,
    Transaction,
    interchange,
    npi,
    simple,
)
from contracts import ClaimSubmitted, decode_event, encode
from workers.x12 import X12Result, map_text


def mapped(text: str) -> X12Result:
    result = map_text(text, "test.837")
    assert result.ack is not None
    return result


def only(text: str) -> ClaimSubmitted:
    result = mapped(text)
    assert result.refusals == [], [str(r) for r in result.refusals]
    [event] = result.events
    return event


def test_several_claims_transactions_and_groups_each_carry_their_own_envelope() -> None:
    text = interchange(
        [
            [Transaction("0001", [Subscriber("M1", [ClaimSpec("A1"), ClaimSpec("A2")]), Subscriber("M2", [ClaimSpec("B1")])]),
             Transaction("0002", [Subscriber("M3", [ClaimSpec("C1"), ClaimSpec("C2"), ClaimSpec("C3")])])],
            [Transaction("0003", [Subscriber("M4", [ClaimSpec("D1")])])],
        ],
        control="000000042",
    )
    result = mapped(text)
    assert result.refusals == []
    got = [(e.claim.claim_id, e.claim.patient_id, e.x12.group_control_number, e.x12.transaction_control_number)
           for e in result.events if e.x12]
    assert got == [("A1", "M1", "1", "0001"), ("A2", "M1", "1", "0001"), ("B1", "M2", "1", "0001"),
                   ("C1", "M3", "1", "0002"), ("C2", "M3", "1", "0002"), ("C3", "M3", "1", "0002"), ("D1", "M4", "2", "0003")]
    assert [e.event_id for e in result.events][::3] == ["000000042-1-0001-A1", "000000042-1-0002-C1", "000000042-2-0003-D1"]
    assert {e.x12.interchange_control_number for e in result.events if e.x12} == {"000000042"}


def test_the_same_file_twice_gives_the_same_event_ids_so_the_worker_drops_the_resubmission() -> None:
    text = simple([ClaimSpec("A1"), ClaimSpec("A2")])
    assert [e.event_id for e in mapped(text).events] == [e.event_id for e in mapped(text).events]
    other_interchange = text.replace("000000001", "000000002")
    assert {e.event_id for e in mapped(text).events}.isdisjoint(e.event_id for e in mapped(other_interchange).events)


def test_occurred_at_is_the_interchange_date_and_time_in_utc() -> None:
    event = only(simple([ClaimSpec("A1")]))
    assert event.occurred_at == dt.datetime(2025, 3, 4, 12, 0, tzinfo=dt.UTC)


def test_replacement_claim_carries_frequency_7_and_the_original_from_ref_f8() -> None:
    event = only(simple([ClaimSpec("A1-R", frequency="7", original_claim_id="A1")]))
    assert event.claim.claim_frequency_code == "7"
    assert event.claim.original_claim_id == "A1"


def test_rendering_providers_claim_level_2310b_and_line_level_2420a() -> None:
    claim = only(simple([ClaimSpec("A1", [Line("64628", rendering_npi=LINE_RENDERING_NPI), Line("64629")],
                                   rendering_npi=RENDERING_NPI)])).claim
    assert claim.billing_provider_npi == BILLING_NPI
    assert claim.rendering_provider_npi == RENDERING_NPI
    assert [line.rendering_provider_npi for line in claim.lines] == [LINE_RENDERING_NPI, None]


def test_line_without_2420a_has_no_rendering_npi_of_its_own_even_after_a_line_that_has_one() -> None:
    claim = only(simple([ClaimSpec("A1", [Line("64628", rendering_npi=LINE_RENDERING_NPI), Line("64629"),
                                          Line("64629", rendering_npi=npi("177777777"))])])).claim
    assert [line.rendering_provider_npi for line in claim.lines] == [LINE_RENDERING_NPI, None, npi("177777777")]


def test_rd8_dates_become_from_and_to_and_d8_a_single_date() -> None:
    claim = only(simple([ClaimSpec("A1", [Line(date=("RD8", "20250301-20250305")), Line("64629", date=("D8", "20250302"))])])).claim
    assert [(line.date_of_service, line.date_of_service_to) for line in claim.lines] == [
        (dt.date(2025, 3, 1), dt.date(2025, 3, 5)), (dt.date(2025, 3, 2), None)]


def test_place_of_service_claim_level_from_clm05_and_sv105_overrides_per_line() -> None:
    claim = only(simple([ClaimSpec("A1", [Line(place_of_service="22"), Line("64629")], facility="11")])).claim
    assert claim.place_of_service == "11"
    assert [line.place_of_service for line in claim.lines] == ["22", None]  # None: the claim's 11 applies


def test_modifiers_sv101_3_to_6_and_units_from_sv104() -> None:
    claim = only(simple([ClaimSpec("A1", [Line("64629", modifiers=("50", "51", "XS", "RT"), units="3"),
                                          Line("64628", units="1.5")])])).claim
    assert claim.lines[0].modifiers == ("50", "51", "XS", "RT")
    assert claim.lines[0].units == 3
    assert isinstance(claim.lines[0].units, int)
    assert claim.lines[1].units == 1.5


def test_diagnoses_strip_their_qualifier_and_skip_non_diagnosis_hi_codes() -> None:
    claim = only(simple([ClaimSpec("A1", diagnoses=("ABK:M5416", "ABF:M47816", "ABF:G8929"))])).claim
    assert claim.diagnosis_codes == ("M5416", "M47816", "G8929")
    icd9 = only(simple([ClaimSpec("A1", diagnoses=("BK:7242", "BF:7213"))])).claim
    assert icd9.diagnosis_codes == ("7242", "7213")


def test_twelve_diagnoses_fit() -> None:
    codes = tuple(f"ABF:M54{i:02d}" for i in range(12))
    claim = only(simple([ClaimSpec("A1", diagnoses=("ABK:M5416", *codes[1:]))])).claim
    assert len(claim.diagnosis_codes) == 12


def test_separate_patient_loop_gives_member_id_and_a_digest_stable_across_claims_distinct_between_dependants() -> None:
    twin_a, twin_b = Patient(first="ANN"), Patient(first="BEA")
    text = interchange([[Transaction("0001", [
        Subscriber("M1", [ClaimSpec("A1")], patient=twin_a),
        Subscriber("M1", [ClaimSpec("A2")], patient=twin_a),
        Subscriber("M1", [ClaimSpec("B1")], patient=twin_b),
        Subscriber("M1", [ClaimSpec("S1")]),
    ])]])
    ids = {e.claim.claim_id: e.claim.patient_id for e in mapped(text).events}
    assert ids["A1"] == ids["A2"]
    assert ids["A1"] != ids["B1"]
    assert ids["S1"] == "M1"
    assert ids["A1"].startswith("M1-")
    assert "ANN" not in ids["A1"]
    assert "20100101" not in ids["A1"]


def test_subscriber_after_a_patient_loop_is_its_own_patient_again() -> None:
    text = interchange([[Transaction("0001", [Subscriber("M1", [ClaimSpec("A1")], patient=Patient()),
                                              Subscriber("M2", [ClaimSpec("B1")])])]])
    ids = {e.claim.claim_id: e.claim.patient_id for e in mapped(text).events}
    assert ids["B1"] == "M2"


@pytest.mark.parametrize("charge", ["1250.00", "1250", "1250.5", "0.10", "0", "99999999.99", "7.05"])
def test_round_trip_an_837p_amount_comes_out_with_the_same_digits(charge: str) -> None:
    event = only(simple([ClaimSpec("A1", [Line(charge=charge)], total=charge)]))
    body = msgspec.json.decode(encode(event))
    assert body["claim"]["lines"][0]["charge"] == charge
    assert body["claim"]["total_charge"] == charge
    again = decode_event(encode(event))  # and the worker decodes it to the same exact Decimal
    assert again.claim.lines[0].charge == decimal.Decimal(charge)
    assert str(again.claim.lines[0].charge) == charge


def test_a_file_of_jsonl_lines_is_not_taken_for_x12() -> None:
    from workers.x12 import looks_like_x12

    assert looks_like_x12(b"\xef\xbb\xbf \r\n ISA*00*")
    assert looks_like_x12(b"ISA")
    assert not looks_like_x12(b'{"claim_id": "ISA"}')
    assert not looks_like_x12(b"")
