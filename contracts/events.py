"""Wire types: the event we read, the result and dead letter we write, the findings inside a result.

Schema evolution follows msgspec's rules: new fields get defaults, no field
changes type, and `schema_version` is bumped only for a breaking change.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

import msgspec

from contracts.claim import Claim, OpaqueId
from contracts.findings import Finding, Outcome

SCHEMA_VERSION = 1
"""Of `claim.submitted` and `claim.deadletter`."""
SUPPORTED_SCHEMA_VERSIONS = frozenset({1})
RESULT_SCHEMA_VERSION = 2
"""Of `claim.edited`. 2: a finding's facts moved from flat fields (`mue_value`, `mai`, ...) into the
tagged `facts` object, and findings gained `history`. Readers of version 1 results still decode them
(the flat fields are ignored, `facts` is null)."""

CLAIM_SUBMITTED = "claim.submitted"
CLAIM_EDITED = "claim.edited"
CLAIM_DEADLETTER = "claim.deadletter"

EventId = Annotated[str, msgspec.Meta(min_length=1, max_length=128)]
AwareDatetime = Annotated[dt.datetime, msgspec.Meta(tz=True)]

DeadLetterReason = Literal[
    "missing-event-field",
    "oversize",
    "invalid-utf8",
    "not-json",
    "schema",
    "wrong-event-type",
    "unsupported-schema-version",
    "max-deliveries",
    "engine-error",
    "duplicate-event",
]
DEAD_LETTER_REASONS: tuple[DeadLetterReason, ...] = DeadLetterReason.__args__  # type: ignore[attr-defined]


ControlNumber = Annotated[str, msgspec.Meta(min_length=1, max_length=9)]


class X12Source(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True, gc=False):
    """Where an event mapped from an 837P came from: the envelope's control numbers, so a result traces back to its file."""

    interchange_control_number: ControlNumber
    group_control_number: ControlNumber
    transaction_control_number: ControlNumber
    sender_id: Annotated[str, msgspec.Meta(max_length=15)] | None = None
    receiver_id: Annotated[str, msgspec.Meta(max_length=15)] | None = None
    file: Annotated[str, msgspec.Meta(max_length=255)] | None = None


class ClaimSubmitted(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """Published by the claims platform, one per claim, in stream field `event`."""

    event_id: EventId
    event_type: str = CLAIM_SUBMITTED
    schema_version: int = SCHEMA_VERSION
    occurred_at: AwareDatetime
    claim: Claim
    x12: X12Source | None = None


class ClaimEdited(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """The result: exactly one per `claim.submitted` event, in stream field `result`."""

    event_id: EventId
    event_type: str = CLAIM_EDITED
    schema_version: int = RESULT_SCHEMA_VERSION
    claim_id: OpaqueId
    outcome: Outcome
    findings: tuple[Finding, ...]
    reference_version: str
    ruleset_version: str
    occurred_at: AwareDatetime | None = None
    edited_at: AwareDatetime | None = None
    engine_us: int | None = None
    source_stream_id: str | None = None


class DeadLetter(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """An input entry that could not be edited, kept whole, in stream field `dead_letter`.

    `payload` is the raw `event` field: UTF-8 text when it decodes and JSON
    escaping does not make it longer than base64, else base64 (`payload_encoding`).
    A payload over the size limit keeps only its first 4096 bytes
    (`payload_truncated` true), and so does every dead letter of a batch that
    already kept 8 MiB of payloads whole; `payload_bytes` and `payload_sha256`
    always describe the whole original.
    """

    event_type: str = CLAIM_DEADLETTER
    schema_version: int = SCHEMA_VERSION
    stream: str
    stream_id: str
    reason: DeadLetterReason
    detail: str
    delivery_count: int
    payload: str
    payload_encoding: Literal["utf-8", "base64"]
    payload_bytes: int
    payload_sha256: str
    payload_truncated: bool = False
    event_id: str | None = None
    consumer: str | None = None
    dead_lettered_at: AwareDatetime | None = None
