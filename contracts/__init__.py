"""The wire contracts of claim-edit: msgspec Structs for events, results, findings and dead letters.

This package imports nothing else of ours, so a producer or consumer can depend on it alone.
"""

from contracts.claim import MAX_LINES, MAX_MODIFIERS, Claim, ServiceLine
from contracts.codec import DEFAULT_MAX_EVENT_BYTES, InvalidEvent, decode_claim_or_event, decode_event, encode
from contracts.events import (
    CLAIM_DEADLETTER,
    CLAIM_EDITED,
    CLAIM_SUBMITTED,
    DEAD_LETTER_REASONS,
    OUTCOMES,
    SCHEMA_VERSION,
    SEVERITIES,
    ClaimEdited,
    ClaimSubmitted,
    DeadLetter,
    DeadLetterReason,
    Finding,
    Outcome,
    Severity,
    outcome_of,
)

__all__ = [
    "CLAIM_DEADLETTER",
    "CLAIM_EDITED",
    "CLAIM_SUBMITTED",
    "DEAD_LETTER_REASONS",
    "DEFAULT_MAX_EVENT_BYTES",
    "MAX_LINES",
    "MAX_MODIFIERS",
    "OUTCOMES",
    "SCHEMA_VERSION",
    "SEVERITIES",
    "Claim",
    "ClaimEdited",
    "ClaimSubmitted",
    "DeadLetter",
    "DeadLetterReason",
    "Finding",
    "InvalidEvent",
    "Outcome",
    "ServiceLine",
    "Severity",
    "decode_claim_or_event",
    "decode_event",
    "encode",
    "outcome_of",
]
