"""Turning a batch of stream entries into what the commit script writes: a result or a dead letter per entry.

Pure CPU work, no I/O: decode each entry's `event` field, run the engine, encode the answer.
Nothing here raises for bad input; every entry yields exactly one record.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Mapping, Sequence

import msgspec
from faststream.redis.parser import BinaryMessageFormatV1

from contracts import ClaimEdited, ClaimSubmitted, DeadLetter, DeadLetterReason, InvalidEvent, decode_event, encode
from edits import Engine
from workers.deadletters import BATCH_PAYLOAD_BUDGET_BYTES, dead_letter, keep_prefix_only

EVENT_FIELD = b"event"
FASTSTREAM_FIELD = b"__data__"  # what a FastStream publisher writes: its envelope, with the event as the body
RESULT_KIND = "r"
DEAD_LETTER_KIND = "d"
MAX_DETAIL_CHARS = 300

Fields = Mapping[bytes, bytes]
Record = ClaimEdited | DeadLetter


class PreparedBatch:
    """The commit script's entries (`id, kind, body, event_id` each, flat, as text) and the record behind each entry.

    Text, not bytes: the script receives them as one MessagePack array, and Redis's Lua `cmsgpack`
    reads MessagePack str but not bin. The bodies are msgspec JSON, so always valid UTF-8.
    `event_id` is the result's (the script's idempotency key), empty for a dead letter.
    `payloads` and `delivery_counts` are kept only to build a `duplicate-event` dead letter when the
    script finds a result's event_id already answered: rare, so nothing is encoded for it up front.
    """

    __slots__ = ("args", "delivery_counts", "ids", "payloads", "preparer", "records", "source", "started")

    def __init__(self, source: str, preparer: BatchPreparer | None = None, delivery_counts: Mapping[bytes, int] | None = None) -> None:
        self.source = source  # "read", "reclaim" or "pending": for the batch log line
        self.preparer = preparer
        self.delivery_counts = delivery_counts
        self.started = time.perf_counter()
        self.ids: list[bytes] = []
        self.records: list[Record] = []
        self.payloads: list[bytes | None] = []
        self.args: list[object] = []  # str items; a history batch adds lists (workers.history.edit_batch)

    def __len__(self) -> int:
        return len(self.ids)

    def add(self, stream_id: bytes, record: Record, body: bytes, payload: bytes | None = None) -> None:
        self.ids.append(stream_id)
        self.records.append(record)
        self.payloads.append(payload)
        if type(record) is ClaimEdited:
            self.args += (stream_id.decode(), RESULT_KIND, body.decode(), record.event_id)
        else:
            self.args += (stream_id.decode(), DEAD_LETTER_KIND, body.decode(), "")

    def duplicates(self, indexes: Sequence[int], detail: str) -> PreparedBatch:
        """A batch of `duplicate-event` dead letters for these entries (results whose event_id was already answered)."""
        if self.preparer is None:
            raise ValueError("a batch built without a preparer cannot build dead letters")
        batch = PreparedBatch(self.source, self.preparer, self.delivery_counts)
        counts = self.delivery_counts or {}
        keep_whole = max(BATCH_PAYLOAD_BUDGET_BYTES, 2 * self.preparer.max_event_bytes)  # as in `BatchPreparer.prepare`
        for i in indexes:
            stream_id, record, payload = self.ids[i], self.records[i], self.payloads[i] or b""
            event_id = record.event_id if type(record) is ClaimEdited else None
            letter = self.preparer.dead(stream_id, "duplicate-event", detail, payload, counts.get(stream_id, 1), event_id=event_id)
            keep_whole -= len(letter.payload)
            if keep_whole < 0:  # a producer resending a batch of big events: keep prefixes, so the commit stays a few MB
                letter = keep_prefix_only(letter)
            batch.add(stream_id, letter, encode(letter), payload)
        return batch


def _fields_payload(fields: Fields | None) -> bytes:
    """A JSON object of the entry's fields, for a dead letter when there is no `event` field to keep."""
    if not fields:
        return b"{}"
    shown: dict[str, str] = {}
    for key, value in fields.items():
        name = key.decode("utf-8", "replace")
        try:
            shown[name] = value.decode("utf-8")
        except UnicodeDecodeError:
            shown[name] = "base64:" + base64.b64encode(value).decode("ascii")
    return msgspec.json.encode(shown)


def _short(text: str) -> str:
    return text if len(text) <= MAX_DETAIL_CHARS else text[: MAX_DETAIL_CHARS - 3] + "..."


def event_payload(fields: Fields | None, max_bytes: int | None = None) -> bytes | None:
    """The raw event bytes of an entry: field `event`, or the body of a FastStream envelope; None if neither.

    An envelope over `max_bytes` that is not FastStream's binary format is returned whole, unparsed (so
    `decode_event` refuses it as oversize): FastStream parses any other envelope with a full JSON decode,
    which for a few MiB of `[{},{},...]` builds hundreds of MB of Python objects.
    """
    if fields is None:
        return None
    raw = fields.get(EVENT_FIELD)
    if raw is not None:
        return raw
    wrapped = fields.get(FASTSTREAM_FIELD)
    if wrapped is not None:
        if max_bytes is not None and len(wrapped) > max_bytes and not wrapped.startswith(BinaryMessageFormatV1.IDENTITY_HEADER):
            return wrapped
        body, _headers = BinaryMessageFormatV1.parse(wrapped)
        return body
    return None


class BatchPreparer:
    """Bound once to an engine and the stream settings; `prepare` is called per batch."""

    def __init__(self, engine: Engine, *, stream: str, consumer: str, max_event_bytes: int) -> None:
        self.engine = engine
        self.stream = stream
        self.consumer = consumer
        self.max_event_bytes = max_event_bytes

    def dead(
        self,
        stream_id: bytes,
        reason: DeadLetterReason,
        detail: str,
        payload: bytes,
        delivery_count: int,
        event_id: str | None = None,
    ) -> DeadLetter:
        return dead_letter(
            stream=self.stream,
            stream_id=stream_id.decode(),
            reason=reason,
            detail=detail,
            payload=payload,
            delivery_count=delivery_count,
            consumer=self.consumer,
            max_payload_bytes=self.max_event_bytes,
            event_id=event_id,
        )

    def decode_entry(
        self, stream_id: bytes, fields: Fields | None, count: int, max_deliveries: int | None,
    ) -> tuple[bytes | None, ClaimSubmitted | DeadLetter]:
        """The entry's raw event bytes and its decoded event, or the dead letter that answers it."""
        raw = event_payload(fields, self.max_event_bytes)
        if raw is None:
            names = ", ".join(sorted(k.decode("utf-8", "replace") for k in fields)) if fields else "none: entry deleted"
            return raw, self.dead(stream_id, "missing-event-field", _short(f"entry has no `event` field (fields: {names})"),
                                  _fields_payload(fields), count)
        if max_deliveries is not None and count > max_deliveries:
            return raw, self.dead(stream_id, "max-deliveries", f"delivered {count} times, limit is {max_deliveries}", raw, count)
        try:
            return raw, decode_event(raw, self.max_event_bytes)
        except InvalidEvent as invalid:
            return raw, self.dead(stream_id, invalid.reason, invalid.detail, raw, count)
        except Exception as error:  # a codec bug must not stop the stream either: kept for replay after the fix
            return raw, self.dead(stream_id, "engine-error", _short(f"decode: {type(error).__name__}: {error}"), raw, count)

    def decode_first(
        self, stream_id: bytes, fields: Fields | None, count: int, first_ok: bool, max_deliveries: int | None,
    ) -> tuple[bytes | None, ClaimSubmitted | DeadLetter]:
        """`decode_entry` with the common entry first: a first delivery (`first_ok`: within `max_deliveries`)
        with an `event` field goes straight to `decode_event`; anything else takes `decode_entry`."""
        raw = fields.get(EVENT_FIELD) if fields is not None and count == 1 and first_ok else None
        if raw is None:
            return self.decode_entry(stream_id, fields, count, max_deliveries)
        try:
            return raw, decode_event(raw, self.max_event_bytes)
        except InvalidEvent as invalid:
            return raw, self.dead(stream_id, invalid.reason, invalid.detail, raw, count)
        except Exception as error:  # as in decode_entry
            return raw, self.dead(stream_id, "engine-error", _short(f"decode: {type(error).__name__}: {error}"), raw, count)

    def engine_error(self, stream_id: bytes, error: Exception, raw: bytes, count: int, event: ClaimSubmitted) -> DeadLetter:
        """An edit bug must not stop the stream: the entry is kept as a dead letter."""
        return self.dead(stream_id, "engine-error", _short(f"{type(error).__name__}: {error}"), raw, count, event_id=event.event_id)

    async def prepare_batch(
        self,
        ids: Sequence[bytes],
        entries: Sequence[Fields | None],
        *,
        source: str = "read",
        delivery_counts: Mapping[bytes, int] | None = None,
        max_deliveries: int | None = None,
    ) -> PreparedBatch:
        """`prepare`, as the worker calls it: a preparer that reads history (workers.history) does I/O here."""
        return self.prepare(ids, entries, source=source, delivery_counts=delivery_counts, max_deliveries=max_deliveries)

    def prepare(
        self,
        ids: Sequence[bytes],
        entries: Sequence[Fields | None],
        *,
        source: str = "read",
        delivery_counts: Mapping[bytes, int] | None = None,
        max_deliveries: int | None = None,
    ) -> PreparedBatch:
        """One record per entry. With `delivery_counts`, entries delivered more than `max_deliveries` times are dead-lettered."""
        batch = PreparedBatch(source, self, delivery_counts)
        edit = self.engine.edit
        budget = PayloadBudget(self.max_event_bytes)
        first_ok = max_deliveries is None or max_deliveries >= 1  # a first delivery is within the limit
        ids_out, records, payloads, args = batch.ids, batch.records, batch.payloads, batch.args
        for stream_id, fields in zip(ids, entries, strict=True):
            count = delivery_counts.get(stream_id, 1) if delivery_counts is not None else 1
            raw, decoded = self.decode_first(stream_id, fields, count, first_ok, max_deliveries)
            if type(decoded) is DeadLetter:
                letter = budget.keep(decoded)
                batch.add(stream_id, letter, encode(letter), raw)
                continue
            assert type(decoded) is ClaimSubmitted
            assert raw is not None
            text_id = stream_id.decode()
            try:
                result = edit(decoded, source_stream_id=text_id)
            except Exception as error:
                letter = budget.keep(self.engine_error(stream_id, error, raw, count, decoded))
                batch.add(stream_id, letter, encode(letter), raw)
                continue
            ids_out.append(stream_id)
            records.append(result)
            payloads.append(raw)
            args += (text_id, RESULT_KIND, encode(result).decode(), result.event_id)
        return batch


class PayloadBudget:
    """Dead-letter payload text kept whole in one batch; past it, a flood of big bad payloads keeps prefixes only,
    so the commit stays a few MB."""

    __slots__ = ("left",)

    def __init__(self, max_event_bytes: int) -> None:
        self.left = max(BATCH_PAYLOAD_BUDGET_BYTES, 2 * max_event_bytes)

    def keep(self, letter: DeadLetter) -> DeadLetter:
        if letter.payload_truncated:
            return letter
        self.left -= len(letter.payload)
        return keep_prefix_only(letter) if self.left < 0 else letter
