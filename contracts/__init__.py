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
    RESULT_SCHEMA_VERSION,
    SCHEMA_VERSION,
    ClaimEdited,
    ClaimSubmitted,
    DeadLetter,
    DeadLetterReason,
    X12Source,
)
from contracts.findings import (
    OUTCOMES,
    SEVERITIES,
    AddOnFacts,
    EarlierLine,
    Facts,
    FeeScheduleFacts,
    Finding,
    MueFacts,
    OtherFacts,
    Outcome,
    PtpFacts,
    PtpPair,
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
    "RESULT_SCHEMA_VERSION",
    "SCHEMA_VERSION",
    "SEVERITIES",
    "AddOnFacts",
    "Claim",
    "ClaimEdited",
    "ClaimSubmitted",
    "DeadLetter",
    "DeadLetterReason",
    "EarlierLine",
    "Facts",
    "FeeScheduleFacts",
    "Finding",
    "InvalidEvent",
    "MueFacts",
    "OtherFacts",
    "Outcome",
    "PtpFacts",
    "PtpPair",
    "ServiceLine",
    "Severity",
    "X12Source",
    "decode_claim_or_event",
    "decode_event",
    "encode",
    "outcome_of",
]
