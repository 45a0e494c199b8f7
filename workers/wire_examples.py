"""One example of each wire message, built from the contracts' Structs (so they cannot drift from the types).

Used by the AsyncAPI document (workers/asyncapi.py). Ids, NPIs and amounts are made up; 64628/64629 are
the codes of the bundled samples (an add-on and its primary), with no descriptors (AMA copyright).
"""

from __future__ import annotations

import datetime as dt
import decimal
import hashlib
import json
from typing import Any

from contracts import (
    ClaimEdited,
    ClaimSubmitted,
    DeadLetter,
    EarlierLine,
    Finding,
    InvalidEvent,
    MueFacts,
    X12Source,
    decode_event,
    encode,
)
from contracts.claim import Claim, ServiceLine

_AT = dt.datetime(2026, 7, 6, 14, 30, tzinfo=dt.UTC)
_DAY = dt.date(2026, 7, 2)
_REFERENCE = "pfs2026C-ncci2026Q3"


def _plain(value: object) -> Any:
    """As it is on the wire: the JSON our encoder writes, read back as plain data."""
    return json.loads(encode(value))


def claim_submitted() -> Any:
    claim = Claim(
        claim_id="CLM-2026-000123",
        patient_id="MBR-889900",
        billing_provider_npi="1234567893",
        place_of_service="22",
        claim_frequency_code="7",
        original_claim_id="CLM-2026-000101",
        rendering_provider_npi="1987654326",
        diagnosis_codes=("M5450",),
        total_charge=decimal.Decimal("4100.00"),
        lines=(
            ServiceLine(line_number=1, code="64628", date_of_service=_DAY, charge=decimal.Decimal("2900.00")),
            ServiceLine(line_number=2, code="64629", units=3, date_of_service=_DAY, charge=decimal.Decimal("1200.00")),
        ),
    )
    x12 = X12Source(interchange_control_number="000000905", group_control_number="1", transaction_control_number="0021",
                    sender_id="CLEARINGHOUSE", receiver_id="PAYER", file="batch-2026-07-06.837")
    return _plain(ClaimSubmitted(event_id="evt-7f3c9a", occurred_at=_AT, claim=claim, x12=x12))


def claim_edited() -> Any:
    finding = Finding(
        edit="mue-units-exceeded",
        severity="deny",
        lines=(2,),
        code="64629",
        message="64629: 4 units on 2026-07-02 exceed the MUE of 2 (MAI 2, date of service edit: policy); line 2.",
        reference_version=_REFERENCE,
        facts=MueFacts(units_counted=4, mue_value=2, mai=2, units_from_history=1),
        history=(EarlierLine(claim_id="CLM-2026-000101", line_number=2, code="64629", units=1, date_of_service=_DAY),),
    )
    return _plain(ClaimEdited(
        event_id="evt-7f3c9a", claim_id="CLM-2026-000123", outcome="deny", findings=(finding,), reference_version=_REFERENCE,
        ruleset_version="0.1.0+3f2a9c1d", occurred_at=_AT, edited_at=_AT + dt.timedelta(milliseconds=12), engine_us=38,
        source_stream_id="1783348200000-0",
    ))


def dead_letter() -> Any:
    """A truncated event, with the reason and detail the decoder really gives it."""
    payload = b'{"event_id": "evt-7f3c9b", "claim": '
    try:
        decode_event(payload)
    except InvalidEvent as refused:
        reason, detail = refused.reason, refused.detail
    else:  # pragma: no cover - the payload is truncated JSON
        raise AssertionError("the example payload decoded")
    return _plain(DeadLetter(
        stream="claims.submitted", stream_id="1783348200001-0", reason=reason, detail=detail, delivery_count=1,
        payload=payload.decode(), payload_encoding="utf-8", payload_bytes=len(payload),
        payload_sha256=hashlib.sha256(payload).hexdigest(), consumer="worker-1", dead_lettered_at=_AT,
    ))
