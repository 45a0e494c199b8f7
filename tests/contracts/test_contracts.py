"""The wire types: what validates, what does not, and the reason a producer is told."""

from __future__ import annotations

import json
from typing import Any

import pytest

from contracts import DEFAULT_MAX_EVENT_BYTES, InvalidEvent, decode_claim_or_event, decode_event, encode
from contracts.json_schemas import SCHEMA_DIR, TYPES, render


def claim(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "claim_id": "C-1",
        "patient_id": "P-1",
        "billing_provider_npi": "1234567893",
        "lines": [{"line_number": 1, "code": "64628", "units": 1, "date_of_service": "2025-03-04"}],
    }
    body.update(overrides)
    return body


def event(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "event_id": "e-1",
        "event_type": "claim.submitted",
        "schema_version": 1,
        "occurred_at": "2025-03-05T10:00:00Z",
        "claim": claim(),
    }
    body.update(overrides)
    return body


def line(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"line_number": 1, "code": "64628", "units": 1, "date_of_service": "2025-03-04"}
    body.update(overrides)
    return body


def reason_of(payload: bytes) -> InvalidEvent:
    with pytest.raises(InvalidEvent) as caught:
        decode_event(payload)
    return caught.value


def test_valid_event_round_trips() -> None:
    decoded = decode_event(json.dumps(event()).encode())
    assert decoded.claim.lines[0].code == "64628"
    assert decode_event(encode(decoded)) == decoded


@pytest.mark.parametrize(
    ("bad_line", "where", "words"),
    [
        (line(code="6462"), "$.claim.lines[0].code", "length >= 5"),
        (line(code="6462a"), "$.claim.lines[0]", "5 uppercase letters or digits"),
        (line(code="64 28"), "$.claim.lines[0]", "5 uppercase letters or digits"),
        (line(modifiers=["50", "51", "RT", "LT", "59"]), "$.claim.lines[0].modifiers", "length <= 4"),
        (line(modifiers=["5"]), "$.claim.lines[0].modifiers[0]", "length >= 2"),
        (line(modifiers=["x1"]), "$.claim.lines[0]", "modifier 'x1'"),
        (line(units=0), "$.claim.lines[0].units", ""),
        (line(units=-2), "$.claim.lines[0].units", ""),
        (line(units=100000), "$.claim.lines[0].units", ""),
        (line(date_of_service="2025-02-30"), "$.claim.lines[0].date_of_service", "date"),
        (line(date_of_service="03/04/2025"), "$.claim.lines[0].date_of_service", "date"),
        (line(date_of_service_to="2025-03-01"), "$.claim.lines[0]", "before date_of_service"),
    ],
)
def test_bad_line_names_field_and_reason(bad_line: dict[str, Any], where: str, words: str) -> None:
    error = reason_of(json.dumps(event(claim=claim(lines=[bad_line]))).encode())
    assert error.reason == "schema"
    assert where in error.detail
    assert words in error.detail


def test_line_count_limits() -> None:
    assert "length >= 1" in reason_of(json.dumps(event(claim=claim(lines=[]))).encode()).detail
    many = [line(line_number=(i % 50) + 1) for i in range(51)]
    assert "length <= 50" in reason_of(json.dumps(event(claim=claim(lines=many))).encode()).detail


def test_duplicate_line_numbers() -> None:
    error = reason_of(json.dumps(event(claim=claim(lines=[line(), line(code="64629")]))).encode())
    assert "unique" in error.detail


def test_npi_must_be_digits() -> None:
    assert "10 digits" in reason_of(json.dumps(event(claim=claim(billing_provider_npi="12345678AB"))).encode()).detail


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (b"not json", "not-json"),
        (b'{"event_id": "e-1", "claim": ', "not-json"),
        (b'{"event_id": "\xff\xfe"}', "invalid-utf8"),
        (json.dumps(event(event_type="claim.updated")).encode(), "wrong-event-type"),
        (json.dumps(event(event_type="claim.updated", claim={})).encode(), "wrong-event-type"),
        (json.dumps(event(schema_version=2)).encode(), "unsupported-schema-version"),
        (json.dumps(event(schema_version=99, claim={"new": "shape"})).encode(), "unsupported-schema-version"),
        (json.dumps(event(occurred_at="2025-03-05T10:00:00")).encode(), "schema"),
        (json.dumps({"claim": claim()}).encode(), "schema"),
        (b"[" * 100_000, "schema"),
        (b'{"x":' + b"[" * 100_000 + b"]" * 100_000 + b"}", "not-json"),
        (b'{"a": NaN}', "not-json"),
    ],
)
def test_invalid_event_reasons(payload: bytes, reason: str) -> None:
    assert reason_of(payload).reason == reason


def test_oversize_is_refused_before_parsing() -> None:
    big = json.dumps(event(padding="x" * DEFAULT_MAX_EVENT_BYTES)).encode()
    error = reason_of(big)
    assert error.reason == "oversize"
    assert str(len(big)) in error.detail


def test_unknown_fields_are_ignored_for_forward_compatibility() -> None:
    assert decode_event(json.dumps(event(future_field={"x": 1})).encode()).event_id == "e-1"


def test_bare_claim_is_wrapped() -> None:
    wrapped = decode_claim_or_event(json.dumps(claim()).encode())
    assert wrapped.event_id == "C-1"
    assert wrapped.event_type == "claim.submitted"
    assert decode_claim_or_event(json.dumps(event()).encode()).event_id == "e-1"


def test_detail_is_short() -> None:
    error = reason_of(json.dumps(event(event_type="x" * 5000)).encode())
    assert len(error.detail) <= 300


@pytest.mark.parametrize("name", sorted(TYPES))
def test_committed_schemas_are_current(name: str) -> None:
    path = SCHEMA_DIR / f"{name}.schema.json"
    assert path.read_text() == render(TYPES[name]), f"{path} is stale: run `make schemas`"
