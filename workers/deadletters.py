"""Building `claim.deadletter` records: the reason, where the entry came from, and the raw payload kept whole.

The payload is stored as UTF-8 text when it decodes, else base64. A payload over the size limit
keeps only its first `PAYLOAD_PREFIX_BYTES` bytes (`payload_truncated` true), so one huge entry
cannot blow up the dead-letter stream; `payload_bytes` and `payload_sha256` always describe the
whole original, so it can be matched against the producer's copy.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
from typing import Literal

from contracts import DeadLetter, DeadLetterReason

PAYLOAD_PREFIX_BYTES = 4096
_MAX_UTF8_SEQUENCE = 4


def _as_text(kept: bytes, truncated: bool) -> tuple[str, Literal["utf-8", "base64"]]:
    # A prefix may end inside a multi-byte character: dropping up to 3 bytes keeps it readable text.
    cuts = range(_MAX_UTF8_SEQUENCE) if truncated else range(1)
    for cut in cuts:
        try:
            return kept[: len(kept) - cut].decode("utf-8"), "utf-8"
        except UnicodeDecodeError:
            continue
    return base64.b64encode(kept).decode("ascii"), "base64"


def dead_letter(
    *,
    stream: str,
    stream_id: str,
    reason: DeadLetterReason,
    detail: str,
    payload: bytes,
    delivery_count: int,
    consumer: str | None,
    max_payload_bytes: int,
    event_id: str | None = None,
) -> DeadLetter:
    truncated = len(payload) > max_payload_bytes
    kept = payload[:PAYLOAD_PREFIX_BYTES] if truncated else payload
    text, encoding = _as_text(kept, truncated)
    return DeadLetter(
        stream=stream,
        stream_id=stream_id,
        reason=reason,
        detail=detail,
        delivery_count=delivery_count,
        payload=text,
        payload_encoding=encoding,
        payload_bytes=len(payload),
        payload_sha256=hashlib.sha256(payload).hexdigest(),
        payload_truncated=truncated,
        event_id=event_id,
        consumer=consumer,
        dead_lettered_at=dt.datetime.now(dt.UTC),
    )
