"""Decoding and encoding of the wire types. Decoders are built once and reused (msgspec perf tips)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import msgspec

from contracts.claim import Claim
from contracts.events import (
    CLAIM_SUBMITTED,
    SUPPORTED_SCHEMA_VERSIONS,
    ClaimEdited,
    ClaimSubmitted,
    DeadLetter,
    DeadLetterReason,
)

DEFAULT_MAX_EVENT_BYTES = 1024 * 1024
MAX_DETAIL_CHARS = 300


class InvalidEvent(ValueError):
    """An input that cannot become a claim; `reason` is one of `DeadLetterReason`."""

    def __init__(self, reason: DeadLetterReason, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason: DeadLetterReason = reason
        self.detail = detail


class _Envelope(msgspec.Struct):
    """Only what is needed to tell why a full decode failed, or whether a line is a bare claim."""

    event_type: Any = None
    schema_version: Any = None
    event_id: Any = None


_event_decoder = msgspec.json.Decoder(ClaimSubmitted)
_claim_decoder = msgspec.json.Decoder(Claim)
_envelope_decoder = msgspec.json.Decoder(_Envelope)
_result_decoder = msgspec.json.Decoder(ClaimEdited)
_dead_letter_decoder = msgspec.json.Decoder(DeadLetter)
_encoder = msgspec.json.Encoder()

encode = _encoder.encode
decode_result = _result_decoder.decode
decode_dead_letter = _dead_letter_decoder.decode


def _short(text: str) -> str:
    return text if len(text) <= MAX_DETAIL_CHARS else text[: MAX_DETAIL_CHARS - 3] + "..."


def _envelope(raw: bytes) -> _Envelope | None:
    try:
        return _envelope_decoder.decode(raw)
    except (msgspec.DecodeError, UnicodeDecodeError, RecursionError):
        return None


def _unreadable(raw: bytes, error: Exception) -> InvalidEvent:
    """Not JSON, or not UTF-8. Checked here, off the hot path: msgspec reports bad UTF-8 as a
    UnicodeDecodeError up to 0.22 and as a DecodeError from 0.23."""
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as bad:
        return InvalidEvent("invalid-utf8", _short(str(bad)))
    if isinstance(error, RecursionError):
        return InvalidEvent("not-json", "JSON nested too deeply")
    return InvalidEvent("not-json", _short(str(error)))


def _unsupported(schema_version: object) -> InvalidEvent:
    supported = ", ".join(map(str, sorted(SUPPORTED_SCHEMA_VERSIONS)))
    detail = f"schema_version {schema_version!r} is not supported (supported: {supported})"
    return InvalidEvent("unsupported-schema-version", _short(detail))


def _refine(raw: bytes, error: msgspec.ValidationError) -> InvalidEvent:
    """Name the most useful reason: another event type or version explains a schema error best.

    Only a string `event_type` or an integer `schema_version` can be another type or version; any other
    JSON value there (a list, an object, a bool...) is a plain schema error, and must not be hashed.
    """
    env = _envelope(raw)
    if env is not None:
        event_type, version = env.event_type, env.schema_version
        if type(event_type) is str and event_type != CLAIM_SUBMITTED:
            return InvalidEvent("wrong-event-type", _short(f"event_type is {event_type!r}, expected {CLAIM_SUBMITTED!r}"))
        if type(version) is int and version not in SUPPORTED_SCHEMA_VERSIONS:
            return _unsupported(version)
    return InvalidEvent("schema", _short(str(error)))


def _require_utf8(raw: bytes) -> None:
    """msgspec skips unknown fields (and unknown keys) without checking their UTF-8, so check the whole payload.

    Callers test `raw.isascii()` first: one pass without allocating or a call, and true for nearly every event.
    """
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as bad:
        raise InvalidEvent("invalid-utf8", _short(str(bad))) from None


def decode_event(raw: bytes, max_bytes: int = DEFAULT_MAX_EVENT_BYTES) -> ClaimSubmitted:
    """Decode and validate one `claim.submitted` event, or raise InvalidEvent saying why not."""
    if len(raw) > max_bytes:
        raise InvalidEvent("oversize", f"payload is {len(raw)} bytes, limit is {max_bytes}")
    if not raw.isascii():
        _require_utf8(raw)
    try:
        event = _event_decoder.decode(raw)
    except msgspec.ValidationError as error:
        raise _refine(raw, error) from None
    except (msgspec.DecodeError, UnicodeDecodeError, RecursionError) as error:
        raise _unreadable(raw, error) from None
    if event.event_type != CLAIM_SUBMITTED:
        raise InvalidEvent("wrong-event-type", _short(f"event_type is {event.event_type!r}, expected {CLAIM_SUBMITTED!r}"))
    if event.schema_version not in SUPPORTED_SCHEMA_VERSIONS:
        raise _unsupported(event.schema_version)
    return event


def is_event(raw: bytes) -> bool:
    """True when a JSON line looks like an event (has `event_type`), false for a bare claim."""
    env = _envelope(raw)
    return env is not None and env.event_type is not None


def decode_claim_or_event(raw: bytes, now: dt.datetime | None = None) -> ClaimSubmitted:
    """Read a line of a claims file: a `claim.submitted` event, or a bare claim wrapped in one.

    A bare claim gets `event_id` `"<claim_id>"` and `occurred_at` now, so results still match by claim.
    """
    if is_event(raw):
        return decode_event(raw, max_bytes=len(raw))
    if not raw.isascii():
        _require_utf8(raw)
    try:
        claim = _claim_decoder.decode(raw)
    except msgspec.ValidationError as error:
        raise InvalidEvent("schema", _short(str(error))) from None
    except (msgspec.DecodeError, UnicodeDecodeError, RecursionError) as error:
        raise _unreadable(raw, error) from None
    return ClaimSubmitted(
        event_id=claim.claim_id,
        occurred_at=now or dt.datetime.now(dt.UTC),
        claim=claim,
    )
