"""Money on the wire: exact decimals in, the same digits out, and a clear reason for what is refused.

What is accepted and why is in docs/wire-format.md ("Money").
"""

from __future__ import annotations

import decimal
import json
import re
from typing import Any

import jsonschema
import pytest
from hypothesis import given
from hypothesis import strategies as st

from contracts import InvalidEvent, decode_event, encode
from contracts.claim import MONEY_MAX, MONEY_PATTERN, checked_money, money_problem
from contracts.json_schemas import SCHEMA_DIR

PLACEHOLDER = "__MONEY__"


def event_with(charge: str, total: str | None = None) -> bytes:
    """An event whose first line's charge (and total_charge, if given) are the JSON text given, verbatim."""
    line: dict[str, Any] = {"line_number": 1, "code": "64628", "units": 1, "date_of_service": "2025-03-04", "charge": PLACEHOLDER}
    claim: dict[str, Any] = {"claim_id": "C-1", "patient_id": "P-1", "billing_provider_npi": "1234567893", "lines": [line]}
    if total is not None:
        claim["total_charge"] = PLACEHOLDER + "T"
    body = {"event_id": "e-1", "event_type": "claim.submitted", "schema_version": 1, "occurred_at": "2025-03-05T10:00:00Z", "claim": claim}
    text = json.dumps(body).replace(f'"{PLACEHOLDER}T"', total or "").replace(f'"{PLACEHOLDER}"', charge)
    return text.encode()


@st.composite
def amounts(draw: st.DrawFn) -> str:
    """Plain amounts in range with 0, 1 or 2 decimal places, as written: "0", "7.5", "1250.00", "99999999.99"."""
    places = draw(st.integers(0, 2))
    scaled = draw(st.integers(0, int(MONEY_MAX * 10**places)))
    if places == 0:
        return str(scaled)
    whole, fraction = divmod(scaled, 10**places)
    return f"{whole}.{fraction:0{places}d}"


@given(amounts())
def test_decimal_strings_round_trip_exactly(text: str) -> None:
    first = decode_event(event_with(json.dumps(text), total=json.dumps(text)))
    charge = first.claim.lines[0].charge
    assert charge == decimal.Decimal(text)
    assert str(charge) == text  # the digits, trailing zeros included
    again = decode_event(encode(first))
    assert again == first
    assert str(again.claim.lines[0].charge) == text
    assert str(again.claim.total_charge) == text


@given(amounts())
def test_json_numbers_round_trip_exactly(text: str) -> None:
    first = decode_event(event_with(text, total=text))  # the amount as a JSON number literal
    assert str(first.claim.lines[0].charge) == text  # 1250.10 keeps "1250.10": never a float on the way
    assert str(first.claim.total_charge) == text
    again = decode_event(encode(first))
    assert again == first


@given(amounts())
def test_what_we_write_is_a_plain_decimal_string_the_schema_accepts(text: str) -> None:
    written = json.loads(encode(decode_event(event_with(text))))
    charge = written["claim"]["lines"][0]["charge"]
    assert charge == text
    assert re.fullmatch(MONEY_PATTERN, charge)
    submitted_schema().validate(written)


def test_events_we_write_carry_money_as_decimal_strings() -> None:
    assert b'"charge":"1250.10"' in encode(decode_event(event_with("1250.10")))


# Python's decimal syntax, which msgspec uses for strings, allows more than MONEY_PATTERN. We accept
# these because the amount they mean is unambiguous, and write the plain form back.
@pytest.mark.parametrize(
    ("written", "read"),
    [
        ('" 12.00"', "12.00"),
        ('"12.00 "', "12.00"),
        ('"+12.50"', "12.50"),
        ('"1_000.00"', "1000.00"),
        ('"0012.00"', "12.00"),
        ('".5"', "0.5"),
        ('"1E+2"', "100"),
        ('"1e2"', "100"),
        ("1E+2", "100"),
        ("1.25e3", "1250"),
        ("1.2345E+2", "123.45"),
        ("0E+5", "0"),
        ('"-0"', "0"),
        ("-0.00", "0.00"),
    ],
)
def test_tolerated_spellings_are_written_back_plainly(written: str, read: str) -> None:
    decoded = decode_event(event_with(written))
    assert str(decoded.claim.lines[0].charge) == read
    assert json.loads(encode(decoded))["claim"]["lines"][0]["charge"] == read


@pytest.mark.parametrize(
    ("written", "why"),
    [
        ('"NaN"', "charge NaN is not a finite number"),
        ('"nan"', "charge NaN is not a finite number"),
        ('"sNaN"', "charge sNaN is not a finite number"),
        ('"Infinity"', "charge Infinity is not a finite number"),
        ('"-Infinity"', "charge -Infinity is not a finite number"),
        ("-1", "charge -1 is negative"),
        ('"-0.01"', "charge -0.01 is negative"),
        ("1.234", "charge 1.234 has more than two decimal places"),
        ('"1.000"', "charge 1.000 has more than two decimal places"),
        ("1E-3", "charge 0.001 has more than two decimal places"),
        ("100000000", "charge 100000000 is over 99999999.99"),
        ('"99999999.991"', "charge 99999999.991 is over 99999999.99"),
        ('"1E+400"', "charge 1E+400 is over 99999999.99"),
        ('"' + "9" * 5000 + '"', "charge 999999999999999999999... is over 99999999.99"),
        ("true", "Expected `decimal | null`, got `bool`"),
        ("false", "Expected `decimal | null`, got `bool`"),
        ('""', "Invalid decimal string"),
        ('" "', "Invalid decimal string"),
        ('"12,50"', "Invalid decimal string"),
        ('"1,250.00"', "Invalid decimal string"),
        ('"$12.00"', "Invalid decimal string"),
        ('"0x10"', "Invalid decimal string"),
        ("[]", "Expected `decimal | null`, got `array`"),
    ],
)
def test_refused_money_names_the_field_and_the_reason(written: str, why: str) -> None:
    with pytest.raises(InvalidEvent) as caught:
        decode_event(event_with(written))
    assert caught.value.reason == "schema"
    assert why in caught.value.detail
    assert "$.claim.lines[0]" in caught.value.detail
    assert "charge" in caught.value.detail


def test_refused_total_charge_names_total_charge() -> None:
    with pytest.raises(InvalidEvent) as caught:
        decode_event(event_with("12.00", total='"NaN"'))
    assert "total_charge NaN is not a finite number" in caught.value.detail
    assert "$.claim" in caught.value.detail


def test_money_problem_matches_checked_money() -> None:
    assert money_problem(decimal.Decimal("12.50")) is None
    assert money_problem(decimal.Decimal("-1")) == "is negative"
    assert checked_money(decimal.Decimal("1E+2")) == decimal.Decimal(100)
    assert str(checked_money(decimal.Decimal("1E+2"))) == "100"


def test_version_1_producer_with_float_charges_still_decodes() -> None:
    """What producers sent before money was exact: JSON numbers written from floats (125.5, 2900.0)."""
    decoded = decode_event(event_with("125.5", total="2900.0"))
    assert decoded.schema_version == 1
    assert decoded.claim.lines[0].charge == decimal.Decimal("125.5")
    assert str(decoded.claim.total_charge) == "2900.0"


def submitted_schema() -> jsonschema.protocols.Validator:
    schema = json.loads((SCHEMA_DIR / "claim.submitted.schema.json").read_text())
    validator_class = jsonschema.validators.validator_for(schema, default=jsonschema.Draft202012Validator)
    return validator_class(schema, format_checker=validator_class.FORMAT_CHECKER)


def test_committed_schema_accepts_money_as_number_or_string() -> None:
    """The committed JSON Schema says what the decoder does: strings and numbers (msgspec alone says string only)."""
    validator = submitted_schema()
    for written in ("1250.10", '"1250.10"', '"0"', "0"):
        validator.validate(json.loads(event_with(written)))


@pytest.mark.parametrize("written", ['"NaN"', '"-1"', '"1.234"', '"100000000"', '" 12.00"', "-1", "100000000", "true"])
def test_committed_schema_refuses_what_producers_must_not_send(written: str) -> None:
    errors = list(submitted_schema().iter_errors(json.loads(event_with(written))))
    assert errors, f"the schema accepted charge {written}"


def reference_rule(value: decimal.Decimal) -> bool:
    """The rule as stated: finite, not below zero, at most MONEY_MAX, written with at most two decimal places."""
    if not value.is_finite():
        return False
    exponent = value.as_tuple().exponent
    assert isinstance(exponent, int)
    return 0 <= value <= MONEY_MAX and exponent >= -2


@given(st.decimals(allow_nan=True, allow_infinity=True) | st.decimals(min_value=-1, max_value=MONEY_MAX + 1, places=3)
       | st.builds(decimal.Decimal, amounts()))
def test_checked_money_follows_the_rule_and_keeps_the_amount(value: decimal.Decimal) -> None:
    try:
        plain = checked_money(value)
    except ValueError:
        assert not reference_rule(value)
        return
    assert reference_rule(value)
    assert plain == value
    assert re.fullmatch(MONEY_PATTERN, str(plain))
    exponent = value.as_tuple().exponent
    assert isinstance(exponent, int)
    if exponent <= 0:
        assert str(plain) == str(abs(value))  # the digits after the point are kept
