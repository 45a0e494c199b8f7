"""One collected 837P claim to one `claim.submitted` event, or the reasons it cannot be one.

The mapping table is in docs/x12.md; each rule here says in its error which segment it read.
"""

from __future__ import annotations

import datetime as dt
import decimal
import hashlib

import msgspec

from contracts import ClaimSubmitted, X12Source
from contracts.claim import MAX_LINES, Claim, money_problem
from workers.x12.drafts import ClaimDraft, LineDraft, Position

DIAGNOSIS_QUALIFIERS = {"ABK": "ICD-10-CM principal", "ABF": "ICD-10-CM", "BK": "ICD-9-CM principal", "BF": "ICD-9-CM"}
MAX_DIAGNOSES = 12


class Refused(ValueError):
    """A claim that cannot be mapped: where and why."""

    def __init__(self, position: Position, reason: str) -> None:
        super().__init__(f"{position}: {reason}")
        self.position = position
        self.reason = reason


def event_id(draft: ClaimDraft) -> str:
    """Deterministic: the same file submitted twice gives the same ids, which the worker's idempotency window drops."""
    e = draft.envelope
    return f"{e.interchange}-{e.group}-{e.transaction}-{draft.claim_id}"


def patient_id(draft: ClaimDraft) -> str:
    """The subscriber's member id; for a separate patient (2000C), member id + '-' + a digest of who the patient is.

    The 837P sends a 2000C patient loop only when the patient has no member id of their own (a dependant
    known to the payer through the subscriber), so the payer tells dependants apart by relationship, name,
    birth date and gender. The digest keeps them apart without putting a name or a birth date in the id.
    """
    member = draft.member_id or ""
    if draft.patient_key is None:
        return member
    digest = hashlib.sha256("\x1f".join((member, *draft.patient_key)).encode()).hexdigest()[:12]
    return f"{member}-{digest}"


def _date(value: str, position: Position, what: str) -> dt.date:
    try:
        return dt.datetime.strptime(value, "%Y%m%d").date()
    except ValueError:
        raise Refused(position, f"{what} {value!r} is not a CCYYMMDD date") from None


def _money(value: str, position: Position, what: str) -> decimal.Decimal:
    try:
        amount = decimal.Decimal(value)
    except decimal.InvalidOperation:
        raise Refused(position, f"{what} {value!r} is not an amount") from None
    if (problem := money_problem(amount)) is not None:
        raise Refused(position, f"{what} {value} {problem}")
    return amount


def _units(line: LineDraft, position: Position) -> int | float:
    if line.unit_basis == "MJ":
        raise Refused(position, "SV103 is MJ (anesthesia minutes): the edits count service units (UN); "
                                "minutes are not converted, so the claim is not mapped")
    if line.unit_basis != "UN":
        raise Refused(position, f"SV103 unit basis {line.unit_basis!r} is not UN")
    try:
        quantity = decimal.Decimal(line.quantity)
    except decimal.InvalidOperation:
        raise Refused(position, f"SV104 units {line.quantity!r} is not a number") from None
    if not quantity.is_finite() or quantity <= 0 or quantity > 99_999:
        raise Refused(position, f"SV104 units {line.quantity} must be over 0 and at most 99999")
    return int(quantity) if quantity == quantity.to_integral_value() else float(quantity)


def _line(draft: ClaimDraft, line: LineDraft) -> dict[str, object]:
    position = line.sv1 or line.position
    if line.sv1 is None:
        raise Refused(line.position, f"LX {line.lx} has no SV1 (professional service)")
    try:
        number = int(line.lx)
    except ValueError:
        raise Refused(line.position, f"LX01 {line.lx!r} is not a line number") from None
    if line.qualifier != "HC":
        raise Refused(position, f"SV101-1 qualifier {line.qualifier!r}: only HC (CPT/HCPCS) codes are edited")
    code = line.code
    if len(code) != 5 or code.strip("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"):
        raise Refused(position, f"SV101-2 procedure code {code!r} is {len(code)} characters; a CPT/HCPCS code is 5 "
                                "uppercase letters or digits")
    for modifier in line.modifiers:
        if len(modifier) != 2 or modifier.strip("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"):
            raise Refused(position, f"SV101 modifier {modifier!r} is not 2 uppercase letters or digits")
    fields: dict[str, object] = {
        "line_number": number,
        "code": code,
        "units": _units(line, position),
        "charge": _money(line.charge, position, "SV102 charge"),
    }
    if line.modifiers:
        fields["modifiers"] = line.modifiers
    if line.place_of_service:
        fields["place_of_service"] = line.place_of_service
    if line.rendering_npi:
        fields["rendering_provider_npi"] = line.rendering_npi
    fields.update(_dates(line.date or draft.claim_date, line, position))
    return fields


def _dates(date: tuple[str, str] | None, line: LineDraft, position: Position) -> dict[str, dt.date]:
    if date is None:
        raise Refused(position, f"line {line.lx} has no DTP*472 service date")
    date_format, value = date
    if date_format == "D8":
        return {"date_of_service": _date(value, position, "DTP*472 D8")}
    if date_format == "RD8":
        start, _, end = value.partition("-")
        return {"date_of_service": _date(start, position, "DTP*472 RD8 from-date"),
                "date_of_service_to": _date(end, position, "DTP*472 RD8 to-date")}
    raise Refused(position, f"DTP*472 format {date_format!r} is not D8 or RD8")


def _diagnoses(draft: ClaimDraft) -> tuple[str, ...]:
    codes: list[str] = []
    for position, qualifier, code in draft.diagnoses:
        if qualifier not in DIAGNOSIS_QUALIFIERS:
            continue  # HI*BP (anesthesia), HI*BG (condition) ... are not diagnoses
        codes.append(code)
        if len(codes) > MAX_DIAGNOSES:
            raise Refused(position, f"more than {MAX_DIAGNOSES} diagnosis codes")
    return tuple(codes)


def to_event(draft: ClaimDraft, file: str | None) -> ClaimSubmitted:
    """The event for one claim; raises `Refused` naming the segment that cannot be mapped."""
    at = draft.position
    if not draft.lines:
        raise Refused(at, "the claim has no service line (LX/SV1)")
    if len(draft.lines) > MAX_LINES:
        raise Refused(draft.lines[MAX_LINES].position, f"more than {MAX_LINES} service lines")
    if draft.billing_npi is None:
        raise Refused(at, "no billing provider NPI (2010AA NM109) before this claim")
    if not draft.member_id:
        raise Refused(at, "no subscriber member id (2010BA NM109) before this claim")
    claim: dict[str, object] = {
        "claim_id": draft.claim_id,
        "patient_id": patient_id(draft),
        "billing_provider_npi": draft.billing_npi,
        "lines": [_line(draft, line) for line in draft.lines],
        "total_charge": _money(draft.total_charge, at, "CLM02 total charge"),
        "diagnosis_codes": _diagnoses(draft),
    }
    optional = {
        "payer_id": draft.payer_id,
        "claim_frequency_code": draft.frequency_code,
        "original_claim_id": draft.original_claim_id,
        "place_of_service": draft.facility_code,
        "rendering_provider_npi": draft.rendering_npi,
    }
    claim.update((key, value) for key, value in optional.items() if value)
    try:
        validated = msgspec.convert(claim, Claim)
    except msgspec.ValidationError as error:
        raise Refused(at, f"the mapped claim does not fit the claim contract: {error}") from None
    e = draft.envelope
    if e.interchange_at is None:
        raise Refused(Position(e.interchange_position, "ISA", e.transaction), "ISA09/ISA10 is not a date and time")
    source = {
        "interchange_control_number": e.interchange,
        "group_control_number": e.group,
        "transaction_control_number": e.transaction,
        "sender_id": e.sender or None,
        "receiver_id": e.receiver or None,
        "file": file[-255:] if file else None,
    }
    try:
        return msgspec.convert({"event_id": event_id(draft), "occurred_at": e.interchange_at, "claim": validated,
                                "x12": msgspec.convert(source, X12Source)}, ClaimSubmitted)
    except msgspec.ValidationError as error:
        raise Refused(at, f"the event does not fit the event contract: {error}") from None
