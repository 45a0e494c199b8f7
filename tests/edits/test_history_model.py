"""The history model and the engine's history step: what enters history, what a replacement or void removes."""

from __future__ import annotations

import datetime as dt
from typing import Any

import msgspec

from contracts import Claim, ClaimSubmitted
from edits import Engine, load_default_reference
from edits.history import ClaimLines, HistoryLine, PatientHistory

ENGINE = Engine(load_default_reference())
DAY = dt.date(2025, 11, 3)


def event(claim_id: str, *lines: tuple[str, int], **claim: Any) -> ClaimSubmitted:
    body = [
        {"line_number": n, "code": code, "units": units, "date_of_service": DAY.isoformat()} for n, (code, units) in enumerate(lines, 1)
    ]
    data = {"claim_id": claim_id, "patient_id": "P", "billing_provider_npi": "1234567893", "lines": body, **claim}
    return ClaimSubmitted(event_id=claim_id, occurred_at=dt.datetime(2025, 11, 4, tzinfo=dt.UTC), claim=msgspec.convert(data, Claim))


def earlier(claim_id: str, code: str = "64628") -> ClaimLines:
    return ClaimLines(claim_id=claim_id, lines=(HistoryLine(claim_id, 1, "1234567893", DAY, code),))


def test_lines_without_a_deny_finding_enter_history() -> None:
    # 64629 x3 is over its MUE of 2 (deny); 64628 is clean.
    result, change = ENGINE.edit_with_history(event("A", ("64628", 1), ("64629", 3)), PatientHistory())
    assert result.outcome == "deny"
    assert change.remove == ()
    assert change.add is not None
    assert [line.code for line in change.add.lines] == ["64628"]


def test_a_replacement_takes_its_original_out_of_history() -> None:
    history = PatientHistory([earlier("A"), earlier("B", "64629")])  # B's 64629 is no duplicate of A2's 64628
    _, change = ENGINE.edit_with_history(event("A2", ("64628", 1), claim_frequency_code="7", original_claim_id="A"), history)
    assert change.remove == ("A",)
    assert change.add is not None
    assert change.add.claim_id == "A2"


def test_a_void_adds_nothing_and_has_no_findings() -> None:
    result, change = ENGINE.edit_with_history(event("A", ("64629", 9), claim_frequency_code="8"), PatientHistory([earlier("A")]))
    assert result.findings == ()
    assert change.remove == ("A",)
    assert change.add is None


def test_lines_on_answers_by_provider_and_date() -> None:
    history = PatientHistory([earlier("A"), earlier("B", "64629")])
    assert [line.claim_id for line in history.lines_on("1234567893", DAY)] == ["A", "B"]
    assert history.lines_on("1234567893", DAY + dt.timedelta(days=1)) == ()
    assert history.lines_on("9999999999", DAY) == ()
    assert not history.without(["A", "B"])
