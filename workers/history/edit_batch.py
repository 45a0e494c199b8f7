"""Editing a batch against the patients' histories: one read for the batch, then each claim in stream order.

Claims of one patient in one batch are edited in stream order, each against the history as the earlier
ones leave it (their changes are applied to the in-memory copy as we go). Each result carries what the
commit script needs to keep history exactly once (see workers/history/commit_script.py): the patient's
key, the version the edit saw, and, when its change moves history, the patient's whole new value
(starting with the version it writes).
"""

from __future__ import annotations

import base64
import os
from collections.abc import Iterable, Mapping, Sequence

import redis.asyncio as aioredis
import structlog
from redis.exceptions import RedisError

from contracts import ClaimEdited, ClaimSubmitted, DeadLetter, encode
from edits import Engine
from workers.batch import BatchPreparer, Fields, PayloadBudget, PreparedBatch, Record
from workers.history.patient_keys import PatientKeys
from workers.history.redis_store import VERSION_WIDTH, HistoryReader, StoredHistory
from workers.metrics import WorkerMetrics

log = structlog.get_logger("claimedit.history")

RESULT_KIND = "r"
DEAD_LETTER_KIND = "d"
_PREFIX_BYTES = 6  # base64: 8 characters
_COUNTER_DIGITS = VERSION_WIDTH - 8
# Decimal from 10**11, so str() alone gives the fixed width (measured: half the cost of a formatted hex counter);
# 9 * 10**11 versions per prefix (over 100 days at 100,000 claims/s), then a new prefix.
_FIRST_COUNTER = 10 ** (_COUNTER_DIGITS - 1)
_MAX_COUNTER = 10**_COUNTER_DIGITS - 1


class HistoryBatch(PreparedBatch):
    """A prepared batch whose commit also changes history: 8 script items per entry and one blob of stored values.

    Items per entry: id, kind, body, event_id, patient key ("" for a dead letter), version read, and the
    offset and length in the blob of the patient's new value (length 0: history unchanged). The values
    travel in one binary blob beside the MessagePack items, because Redis's Lua `cmsgpack` cannot read
    MessagePack bin (the values are binary); each value starts with the version it writes.
    """

    __slots__ = ("blob", "events", "keys", "write_bytes")

    def __init__(self, source: str, preparer: HistoryPreparer, delivery_counts: Mapping[bytes, int] | None = None) -> None:
        super().__init__(source, preparer, delivery_counts)
        self.preparer: HistoryPreparer = preparer
        self.blob = bytearray()
        self.events: list[ClaimSubmitted | None] = []
        self.keys: list[str] = []
        self.write_bytes: list[int] = []

    def add_entry(self, stream_id: bytes, record: Record, body: bytes, payload: bytes | None) -> None:
        """A dead letter (or any entry that leaves history alone)."""
        self.ids.append(stream_id)
        self.records.append(record)
        self.payloads.append(payload)
        self.events.append(None)
        self.keys.append("")
        self.write_bytes.append(0)
        if type(record) is ClaimEdited:
            raise TypeError("a result with history goes through add_result")
        self.args += (stream_id.decode(), DEAD_LETTER_KIND, body.decode(), "", "", "", 0, 0)

    def add_result(
        self,
        stream_id: bytes,
        text_id: str,
        result: ClaimEdited,
        body: str,
        payload: bytes,
        event: ClaimSubmitted,
        patient: StoredHistory,
        seen_version: str,
        changed: bool,
    ) -> None:
        """A result: with `changed`, the patient's whole value as it is now goes into the blob (the commit SETs it)."""
        self.ids.append(stream_id)
        self.records.append(result)
        self.payloads.append(payload)
        self.events.append(event)
        self.keys.append(patient.key)
        if changed:
            blob = self.blob
            offset = len(blob)
            size = patient.write_into(blob)
        else:
            offset = size = 0
        self.write_bytes.append(size)
        self.args += (text_id, RESULT_KIND, body, result.event_id, patient.key, seen_version, offset, size)


class HistoryPreparer(BatchPreparer):
    """A BatchPreparer that reads the batch's patients' histories (one round trip) and edits with them."""

    def __init__(
        self,
        engine: Engine,
        *,
        stream: str,
        consumer: str,
        max_event_bytes: int,
        client: aioredis.Redis,
        secret: bytes,
        days: int,
        metrics: WorkerMetrics,
    ) -> None:
        super().__init__(engine, stream=stream, consumer=consumer, max_event_bytes=max_event_bytes)
        self.reader = HistoryReader(client, stream)
        self.keys = PatientKeys(secret, stream)
        self.days = days
        self.metrics = metrics
        # Versions must never repeat, across workers and restarts: a random prefix and a counter (tokens).
        self._token_head = ""
        self._tokens = 0
        self._new_prefix()

    def _new_prefix(self) -> None:
        """A fresh random prefix (48 bits, 8 characters), at start and if the counter ever runs out."""
        self._token_head = base64.urlsafe_b64encode(os.urandom(_PREFIX_BYTES)).decode()
        self._tokens = _FIRST_COUNTER - 1

    def _token(self) -> str:
        """`<prefix><counter>`: VERSION_WIDTH characters, unique across processes and restarts."""
        self._tokens += 1
        if self._tokens > _MAX_COUNTER:
            self._new_prefix()
            self._tokens += 1
        return self._token_head + str(self._tokens)

    async def prepare_batch(
        self,
        ids: Sequence[bytes],
        entries: Sequence[Fields | None],
        *,
        source: str = "read",
        delivery_counts: Mapping[bytes, int] | None = None,
        max_deliveries: int | None = None,
    ) -> PreparedBatch:
        batch = HistoryBatch(source, self, delivery_counts)
        budget = PayloadBudget(self.max_event_bytes)
        first_ok = max_deliveries is None or max_deliveries >= 1  # a first delivery is within the limit
        key_of = self.keys.key
        keys: dict[str, str] = {}  # patient_id -> history key, each distinct patient once
        decoded: list[tuple[bytes, bytes | None, ClaimSubmitted | DeadLetter, int]] = []
        for stream_id, fields in zip(ids, entries, strict=True):
            count = delivery_counts.get(stream_id, 1) if delivery_counts is not None else 1
            raw, event = self.decode_first(stream_id, fields, count, first_ok, max_deliveries)
            if type(event) is ClaimSubmitted:
                patient_id = event.claim.patient_id
                if patient_id not in keys:
                    keys[patient_id] = key_of(patient_id)
            decoded.append((stream_id, raw, event, count))
        patients = await self._read(keys.values())
        for stream_id, raw, event, count in decoded:
            if type(event) is DeadLetter:
                letter = budget.keep(event)
                batch.add_entry(stream_id, letter, encode(letter), raw)
            else:
                assert type(event) is ClaimSubmitted
                assert raw is not None
                self._edit_into(batch, stream_id, raw, event, count, patients[keys[event.claim.patient_id]], budget)
        return batch

    async def reedit(self, batch: HistoryBatch, indexes: Sequence[int]) -> HistoryBatch:
        """A batch of these entries of `batch` edited again, in stream order, against freshly read history."""
        again = HistoryBatch(batch.source, self, batch.delivery_counts)
        events = [batch.events[i] for i in indexes]
        keys = self._keys_of([event for event in events if event is not None])
        patients = await self._read(keys.values())
        budget = PayloadBudget(self.max_event_bytes)
        counts = batch.delivery_counts or {}
        for i, event in zip(indexes, events, strict=True):
            stream_id, raw = batch.ids[i], batch.payloads[i] or b""
            assert event is not None, "only results of decoded events wait on a patient's version"
            self._edit_into(again, stream_id, raw, event, counts.get(stream_id, 1), patients[keys[event.claim.patient_id]], budget)
        return again

    def _keys_of(self, events: Sequence[ClaimSubmitted]) -> dict[str, str]:
        """patient_id -> history key, for each distinct patient of these events."""
        key = self.keys.key
        found: dict[str, str] = {}
        for event in events:
            patient = event.claim.patient_id
            if patient not in found:
                found[patient] = key(patient)
        return found

    async def _read(self, keys: Iterable[str]) -> dict[str, StoredHistory]:
        """The histories; a Redis error propagates: the batch is not edited, its entries stay pending and are
        reclaimed after --claim-idle-ms, as when a worker dies before its commit."""
        try:
            patients = await self.reader.read(keys)
        except RedisError as error:
            self.metrics.redis_errors.labels("read").inc()
            log.warning("history read failed; the batch stays pending and will be reclaimed", error=str(error)[:200])
            raise
        self.metrics.record_history_read(patients.values())
        return patients

    def _edit_into(
        self,
        batch: HistoryBatch,
        stream_id: bytes,
        raw: bytes,
        event: ClaimSubmitted,
        count: int,
        patient: StoredHistory,
        budget: PayloadBudget,
    ) -> None:
        text_id = stream_id.decode()
        try:
            result, change = self.engine.edit_with_history(event, patient.view(), source_stream_id=text_id)
        except Exception as error:
            letter = budget.keep(self.engine_error(stream_id, error, raw, count, event))
            batch.add_entry(stream_id, letter, encode(letter), raw)
            return
        seen = patient.version
        # not change.empty: a property call per claim
        changed = patient.apply(change, days=self.days, token=self._token()) if change.remove or change.add is not None else False
        batch.add_result(stream_id, text_id, result, encode(result).decode(), raw, event, patient, seen, changed)
