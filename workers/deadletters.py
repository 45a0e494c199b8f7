"""Building `claim.deadletter` records: the reason, where the entry came from, and the raw payload kept whole.

The payload is stored as UTF-8 text when it decodes and JSON-escaping it would not make it longer
than base64 (control characters escape to six bytes each), else base64: a dead letter is at most
about 4/3 of its payload. A payload over the size limit keeps only its first `PAYLOAD_PREFIX_BYTES`
bytes (`payload_truncated` true), so one huge entry cannot blow up the dead-letter stream, and so
does every dead letter of a batch once the batch has kept `BATCH_PAYLOAD_BUDGET_BYTES` of payloads
whole (`keep_prefix_only`), so a batch of just-under-the-limit payloads cannot make a commit of
hundreds of MB. `payload_bytes` and `payload_sha256` always describe the whole original, so it can
be matched against the producer's copy.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
from typing import Literal

import msgspec

from contracts import DeadLetter, DeadLetterReason

PAYLOAD_PREFIX_BYTES = 4096
BATCH_PAYLOAD_BUDGET_BYTES = 8 * 1024 * 1024  # payload text kept whole per batch; at least 2 x --max-event-bytes (see batch.py)
_MAX_UTF8_SEQUENCE = 4
_json_encode = msgspec.json.encode


def _base64(kept: bytes) -> tuple[str, Literal["utf-8", "base64"]]:
    return base64.b64encode(kept).decode("ascii"), "base64"


def _as_text(kept: bytes, truncated: bool) -> tuple[str, Literal["utf-8", "base64"]]:
    # A prefix may end inside a multi-byte character: dropping up to 3 bytes keeps it readable text.
    cuts = range(_MAX_UTF8_SEQUENCE) if truncated else range(1)
    for cut in cuts:
        try:
            text = kept[: len(kept) - cut].decode("utf-8")
        except UnicodeDecodeError:
            continue
        # Plain JSON text (a few escaped quotes) stays readable; text of control characters would grow up to 6x.
        if len(_json_encode(text)) - 2 <= (len(kept) + 2) // 3 * 4:
            return text, "utf-8"
        return _base64(kept)
    return _base64(kept)


def keep_prefix_only(letter: DeadLetter) -> DeadLetter:
    """The same dead letter keeping only the first `PAYLOAD_PREFIX_BYTES` of its payload (`payload_truncated` true)."""
    if letter.payload_truncated or letter.payload_bytes <= PAYLOAD_PREFIX_BYTES:
        return letter
    if letter.payload_encoding == "base64":
        head = base64.b64decode(letter.payload[: (PAYLOAD_PREFIX_BYTES + 2) // 3 * 4])[:PAYLOAD_PREFIX_BYTES]
    else:
        head = letter.payload.encode()[:PAYLOAD_PREFIX_BYTES]
    text, encoding = _as_text(head, True)
    return msgspec.structs.replace(letter, payload=text, payload_encoding=encoding, payload_truncated=True)


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
