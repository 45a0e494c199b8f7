"""Wire types: the event we read, the result and dead letter we write, the findings inside a result.

Schema evolution follows msgspec's rules: new fields get defaults, no field
changes type, and `schema_version` is bumped only for a breaking change.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

import msgspec

from contracts.claim import Claim, OpaqueId

SCHEMA_VERSION = 1
SUPPORTED_SCHEMA_VERSIONS = frozenset({1})

CLAIM_SUBMITTED = "claim.submitted"
CLAIM_EDITED = "claim.edited"
CLAIM_DEADLETTER = "claim.deadletter"

EventId = Annotated[str, msgspec.Meta(min_length=1, max_length=128)]
AwareDatetime = Annotated[dt.datetime, msgspec.Meta(tz=True)]

Severity = Literal["deny", "review", "info"]
"""deny: the line is not payable as billed. review: hold for a person. info: noted, no action."""

SEVERITIES: tuple[Severity, ...] = ("deny", "review", "info")

Outcome = Literal["pass", "review", "deny"]
"""The worst severity among a claim's findings: deny > review > pass (info-only or none)."""

OUTCOMES: tuple[Outcome, ...] = ("pass", "review", "deny")

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


class ClaimSubmitted(msgspec.Struct, frozen=True, kw_only=True):
    """Published by the claims platform, one per claim, in stream field `event`."""

    event_id: EventId
    event_type: str = CLAIM_SUBMITTED
    schema_version: int = SCHEMA_VERSION
    occurred_at: AwareDatetime
    claim: Claim


class Finding(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """One problem an edit found, with the facts it used so a biller can check it."""

    edit: str
    severity: Severity
    lines: tuple[int, ...]
    code: str
    message: str
    reference_version: str
    modifier: str | None = None
    units_counted: int | float | None = None
    mue_value: int | None = None
    mai: int | None = None
    bilateral_indicator: str | None = None
    primaries_sought: tuple[str, ...] = ()


class ClaimEdited(msgspec.Struct, frozen=True, kw_only=True):
    """The result: exactly one per `claim.submitted` event, in stream field `result`."""

    event_id: EventId
    event_type: str = CLAIM_EDITED
    schema_version: int = SCHEMA_VERSION
    claim_id: OpaqueId
    outcome: Outcome
    findings: tuple[Finding, ...]
    reference_version: str
    ruleset_version: str
    occurred_at: AwareDatetime | None = None
    edited_at: AwareDatetime | None = None
    engine_us: int | None = None
    source_stream_id: str | None = None


class DeadLetter(msgspec.Struct, frozen=True, kw_only=True):
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


def outcome_of(findings: tuple[Finding, ...] | list[Finding]) -> Outcome:
    """deny if any finding denies, else review if any asks for review, else pass."""
    worst: Outcome = "pass"
    for finding in findings:
        if finding.severity == "deny":
            return "deny"
        if finding.severity == "review":
            worst = "review"
    return worst
