"""The history model and the engine's history step: what enters history, what a replacement or void removes."""

from __future__ import annotations

import datetime as dt
from typing import Any

import msgspec

from contracts import Claim, ClaimSubmitted
from edits import Engine, load_default_reference
from edits.history import EMPTY_HISTORY, ClaimLines, HistoryChange, HistoryLine, PatientHistory, apply_change
from edits.policy import parse_policy

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


def test_a_void_whose_original_is_not_found_gets_only_the_info_finding() -> None:
    # 64629 x9 alone would draw MUE and add-on findings: a void is judged only by original-claim-not-found.
    result, change = ENGINE.edit_with_history(event("V", ("64629", 9), claim_frequency_code="8", original_claim_id="Z"),
                                              PatientHistory([earlier("A")]))
    assert [(f.edit, f.severity, f.lines) for f in result.findings] == [("original-claim-not-found", "info", (1,))]
    assert result.outcome == "pass"
    assert change.empty


def test_a_replacement_whose_original_is_not_found_removes_nothing_and_enters_history() -> None:
    findings, change = ENGINE.run_with_history(event("B", ("64628", 1), claim_frequency_code="7", original_claim_id="Z").claim,
                                               PatientHistory([earlier("A", "64629")]))
    assert [f.edit for f in findings] == ["original-claim-not-found"]
    assert change.remove == ()
    assert change.add is not None
    assert [line.code for line in change.add.lines] == ["64628"]


def test_a_replacement_is_not_a_duplicate_of_its_original() -> None:
    history = PatientHistory([earlier("A")])
    sent_again, _ = ENGINE.run_with_history(event("A", ("64628", 1)).claim, history)
    replaced, change = ENGINE.run_with_history(event("A", ("64628", 1), claim_frequency_code="7").claim, history)
    assert [f.edit for f in sent_again] == ["duplicate-service"]
    assert replaced == ()
    assert change.remove == ("A",)


def test_run_with_history_gives_the_findings_of_edit_with_history() -> None:
    history = PatientHistory([earlier("A"), earlier("B", "64629")])
    submitted = event("C", ("64629", 2), ("64628", 1))
    result, change = ENGINE.edit_with_history(submitted, history)
    assert ENGINE.run_with_history(submitted.claim, history) == (result.findings, change)
    assert ENGINE.run(submitted.claim, history) == result.findings
    assert ENGINE.run(submitted.claim) != result.findings  # alone, the claim is clean


def test_denied_means_deny_after_the_policy_overrides() -> None:
    # 64629 x3 over its MUE: denied by default, so it stays out of history; turned into review, it enters.
    claim = event("A", ("64628", 1), ("64629", 3)).claim
    _, plain = ENGINE.run_with_history(claim, PatientHistory())
    reviewed = Engine(ENGINE.reference, parse_policy('[edits.mue-units-exceeded]\nseverity = "review"\n'))
    findings, change = reviewed.run_with_history(claim, PatientHistory())
    assert plain.add is not None
    assert [line.code for line in plain.add.lines] == ["64628"]
    assert [(f.edit, f.severity) for f in findings] == [("mue-units-exceeded", "review")]
    assert change.add is not None
    assert [line.code for line in change.add.lines] == ["64628", "64629"]


def test_a_disabled_edit_keeps_nothing_out_of_history() -> None:
    history = PatientHistory([earlier("A")])
    claim = event("A", ("64628", 1)).claim  # sent again: a duplicate
    lenient = Engine(ENGINE.reference, parse_policy("[edits.duplicate-service]\nenabled = false\n"))
    findings, change = lenient.run_with_history(claim, history)
    assert findings == ()
    assert change.add is not None


def test_an_original_not_found_raised_to_deny_keeps_the_replacement_out() -> None:
    strict = Engine(ENGINE.reference, parse_policy('[edits.original-claim-not-found]\nseverity = "deny"\n'))
    _, change = strict.run_with_history(event("B", ("64628", 1), claim_frequency_code="7", original_claim_id="Z").claim, PatientHistory())
    assert change.empty


def test_apply_change_drops_then_appends_under_the_claim_id() -> None:
    claims = {"A": earlier("A"), "B": earlier("B", "64629")}
    apply_change(claims, HistoryChange(remove=("A", "missing"), add=earlier("B", "20610")))
    assert list(claims) == ["B"]
    assert [line.code for line in claims["B"].lines] == ["64629", "20610"]
    apply_change(claims, HistoryChange(add=earlier("C")))
    assert sorted(claims) == ["B", "C"]
    apply_change(claims, HistoryChange(remove=("B", "C")))
    assert claims == {}


def test_history_order_does_not_depend_on_the_store_order() -> None:
    forward = PatientHistory([earlier("A"), earlier("B")])
    backward = PatientHistory([earlier("B"), earlier("A")])
    assert forward.lines_on("1234567893", DAY) == backward.lines_on("1234567893", DAY)


def test_the_shared_empty_history_keeps_no_answers() -> None:
    assert EMPTY_HISTORY.codes_on("1234567893", DAY) == {}
    assert EMPTY_HISTORY.lines_on("1234567893", DAY) == ()
    assert EMPTY_HISTORY._on_day == {}  # shared by every claim of a patient without history: it must not grow


def test_history_on_other_days_or_providers_changes_no_finding_and_takes_the_plain_path() -> None:
    # 64629 alone is an add-on without its primary; 64628 earlier on another day, or by another provider, does not help.
    claim = event("B", ("64629", 1)).claim
    elsewhere = PatientHistory([
        ClaimLines(claim_id="A", lines=(HistoryLine("A", 1, "1234567893", DAY - dt.timedelta(days=1), "64628"),)),
        ClaimLines(claim_id="C", lines=(HistoryLine("C", 1, "9999999999", DAY, "64628"),)),
    ])
    findings, change = ENGINE.run_with_history(claim, elsewhere)
    assert findings == ENGINE.run(claim)
    assert [finding.edit for finding in findings] == ["addon-without-primary"]
    assert change.add is None  # its only line is denied
    # The same primary by the same provider on the same date is in history: now it counts.
    here = PatientHistory([earlier("A")])
    assert [finding.edit for finding in ENGINE.run_with_history(claim, here)[0]] == []


def test_meets_groups_the_claim_by_provider_and_date_where_history_holds_lines() -> None:
    other = "1003000126"
    history = PatientHistory([
        earlier("A"),
        ClaimLines(claim_id="B", lines=(HistoryLine("B", 1, other, DAY + dt.timedelta(days=1), "64629"),)),
    ])
    lines = [
        {"line_number": 1, "code": "64628", "date_of_service": DAY.isoformat()},
        {"line_number": 2, "code": "64629", "date_of_service": (DAY + dt.timedelta(days=1)).isoformat(), "rendering_provider_npi": other},
        {"line_number": 3, "code": "64636", "date_of_service": (DAY + dt.timedelta(days=2)).isoformat()},  # history has nothing then
        {"line_number": 4, "code": "64635", "date_of_service": DAY.isoformat()},
    ]
    claim = msgspec.convert({"claim_id": "C", "patient_id": "P", "billing_provider_npi": "1234567893", "lines": lines}, Claim)
    meets = history.meets(claim)
    assert [(group.provider, group.day, [line.line_number for line in group.lines], list(group.on_day)) for group in meets] == [
        ("1234567893", DAY, [1, 4], ["64628"]),
        (other, DAY + dt.timedelta(days=1), [2], ["64629"]),
    ]
    assert history.meets(claim) is meets  # kept for the claim asked last
    one_day = event("D", ("64628", 1), ("64629", 1)).claim
    assert [len(group.lines) for group in history.meets(one_day)] == [2]
    assert history.meets(claim) == meets  # asked again after another claim: the same answer
    elsewhere = event("E", ("64628", 1)).claim
    assert PatientHistory([earlier("A")]).meets(elsewhere)
    assert not PatientHistory([earlier("A")]).meets(msgspec.structs.replace(elsewhere, billing_provider_npi=other))


def test_the_shared_empty_history_meets_nothing_and_keeps_nothing() -> None:
    claim = event("A", ("64628", 1)).claim
    assert EMPTY_HISTORY.meets(claim) == ()
    assert EMPTY_HISTORY._claim is None
    assert EMPTY_HISTORY._on_day == {}
