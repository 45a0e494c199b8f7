"""The commit: one server-side script per batch that acks each entry and publishes its answer only if the ack counted.

XACK returns 1 only to the consumer that acks an entry first. Publishing only then means a slow
consumer and a reclaiming one can both edit an entry, yet exactly one result (or dead letter) is
written. Ack and publish happen in one script, so a crash leaves an entry either pending (it will be
redelivered) or done, never acked without its answer.

Idempotency on `event_id`: a producer that sends one event twice (two stream entries) gets one result.
The script keeps, per input stream, a sorted set of the event_ids it published results for in the last
`dedup_window_s` seconds (score: commit time in ms, pruned every commit). A result whose event_id is
already there is not published; the entry gets a `duplicate-event` dead letter instead, in a second run
of the same script, so every entry still ends as exactly one result or one dead letter.

`Committer` keeps at most one commit in flight: batch N commits while batch N+1 is read and edited.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable

import msgspec
import redis.asyncio as aioredis
import structlog
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError

from contracts import DeadLetter
from workers.batch import PreparedBatch
from workers.commit_lua import FINISH_LUA, publish_lua, window_lua
from workers.health import Health
from workers.history.commit_script import COMMIT_HISTORY_LUA
from workers.history.edit_batch import HistoryBatch
from workers.metrics import BatchSummary, WorkerMetrics

RESULT_FIELD = "result"
"""The result stream entry's one field (its value: a claim.edited as JSON). Written by the script below."""
DEAD_LETTER_FIELD = "dead_letter"
"""The dead-letter stream entry's one field (its value: a claim.deadletter as JSON). Written by the script below."""

# KEYS: input stream, result stream, dead-letter stream, the input stream's seen-event_ids sorted set.
# ARGV: group, maxlen, dedup window in ms (0: off), and one MessagePack array [id, kind, body, event_id, ...]:
# one argument instead of four per entry, because redis-py packs each argument in Python (measured: 12% of
# the worker's CPU with 1,500 arguments per batch).
# Returns one character per entry: "1" acked here and published, "0" already acked elsewhere, "D" a result
# whose event_id was answered within the window: neither acked nor published, so the worker can send its
# `duplicate-event` dead letter through this same script (ack and publish stay one step per entry).
# The window is checked before the ack, because once acked a duplicate's result could no longer be withheld;
# it is looked up and marked once per batch, and the streams trimmed once per batch (workers/commit_lua.py).
COMMIT_LUA = """
local group = ARGV[1]
local maxlen = ARGV[2]
local window_ms = tonumber(ARGV[3])
local items = cmsgpack.unpack(ARGV[4])
local seen = KEYS[4]
""" + window_lua(4) + """
local flags = {}
local n = 0
local results = 0
local letters = 0
for i = 1, #items, 4 do
  n = n + 1
  local result = items[i + 1] == 'r'
  if result and answered[items[i + 3]] then
    flags[n] = 'D'""" + publish_lua() + """end
""" + FINISH_LUA + """
return table.concat(flags)
"""

_pack = msgspec.msgpack.Encoder().encode
RETRYABLE = (RedisConnectionError, RedisTimeoutError)
SEEN_SUFFIX = ":seen"  # appended to the input stream's name: same hash tag, so the same Cluster slot
DEFAULT_DEDUP_WINDOW_S = 600.0
_NEEDS_DEAD_LETTER = ord("D")
_STALE = ord("R")  # history script: the patient's version moved since the edit read it; edit again
MAX_REEDITS = 5
_PUBLISHED = ord("1")
DUPLICATE = ord("d")
LEFT_PENDING = ord("p")
BACKOFF_FIRST_S = 0.05
BACKOFF_MAX_S = 5.0

log = structlog.get_logger("claimedit.commit")


def seen_key(stream: str) -> str:
    """The sorted set of event_ids answered recently from `stream` (the idempotency window)."""
    return stream + SEEN_SUFFIX


def backoff_delays(first: float = BACKOFF_FIRST_S, most: float = BACKOFF_MAX_S) -> Callable[[], float]:
    """Each call returns the next delay: doubling from `first`, capped at `most`."""
    delay = first / 2

    def next_delay() -> float:
        nonlocal delay
        delay = min(most, delay * 2)
        return delay

    return next_delay


class Committer:
    def __init__(
        self,
        client: aioredis.Redis,
        *,
        stream: str,
        group: str,
        result_stream: str,
        deadletter_stream: str,
        maxlen: int,
        metrics: WorkerMetrics,
        health: Health,
        dedup_window_s: float = DEFAULT_DEDUP_WINDOW_S,
        history_ttl_ms: int = 0,
        max_reedits: int = MAX_REEDITS,
    ) -> None:
        self._script = client.register_script(COMMIT_LUA)  # EVALSHA; reloaded by redis-py after a server restart
        self._history_script = client.register_script(COMMIT_HISTORY_LUA)
        self._history_ttl = str(history_ttl_ms).encode()
        self.max_reedits = max_reedits
        self._keys = [stream, result_stream, deadletter_stream, seen_key(stream)]
        self.dedup_window_s = dedup_window_s
        self._head = [group.encode(), str(maxlen).encode(), str(round(dedup_window_s * 1000)).encode()]
        self._metrics = metrics
        self._health = health
        self._inflight: asyncio.Task[BatchSummary | None] | None = None
        self._lock = asyncio.Lock()
        self.abandon = asyncio.Event()  # set at the end of the shutdown grace: stop retrying, leave entries pending

    async def submit(self, batch: PreparedBatch) -> None:
        """Start committing `batch` once the previous commit is done; return without waiting for this one."""
        async with self._lock:
            if self._inflight is not None:
                await self._inflight
            self._inflight = asyncio.create_task(self._commit_logging_errors(batch))

    async def drain(self) -> None:
        """Wait for the commit in flight, if any."""
        async with self._lock:
            if self._inflight is not None:
                await self._inflight
                self._inflight = None

    async def _commit_logging_errors(self, batch: PreparedBatch) -> BatchSummary | None:
        # A bug after the script ran (say, in the metrics) must not wedge every later commit behind this task.
        try:
            return await self.commit(batch)
        except Exception as error:
            log.exception("commit bookkeeping failed; the entries are committed or stay pending", entries=len(batch),
                          error=type(error).__name__)
            return None

    async def commit(self, batch: PreparedBatch) -> BatchSummary | None:
        """Run the script, retrying while Redis is unreachable; None when abandoned (entries stay pending)."""
        if not batch.ids:
            return None
        flags = await self._run(batch)
        if flags is None:
            return None
        if type(batch) is HistoryBatch:
            flags = await self._reedit_stale(batch, flags)
        flags, letters = await self._dead_letter_duplicates(batch, flags)
        summary = self._metrics.record(batch, flags, duplicate_letters=letters)
        self._log(batch, summary)
        return summary

    async def _reedit_stale(self, batch: HistoryBatch, flags: bytes) -> bytes:
        """Edit the entries flagged "R" again with fresh history and commit them, up to `max_reedits` rounds.

        `batch.records` takes the re-edited results (what was published). Entries still "R" after the last
        round, or whose re-read failed, are flagged "p": left pending, edited again when reclaimed.
        """
        final = bytearray(flags)
        for _ in range(self.max_reedits):
            stale = [i for i, flag in enumerate(final) if flag == _STALE]
            if not stale:
                break
            self._metrics.history_conflicts.inc(len(stale))
            try:
                again = await batch.preparer.reedit(batch, stale)
            except RedisError as error:
                self._metrics.redis_errors.labels("commit").inc()
                log.warning("history re-read failed; the entries stay pending", entries=len(stale), error=str(error)[:200])
                break
            again_flags = await self._run(again)
            if again_flags is None:
                break
            for i, flag, record, written in zip(stale, again_flags, again.records, again.write_bytes, strict=True):
                final[i] = flag
                batch.records[i] = record
                batch.write_bytes[i] = written
        unresolved = [i for i, flag in enumerate(final) if flag == _STALE]
        if unresolved:
            self._metrics.history_unresolved.inc(len(unresolved))
            log.warning("patients' history kept moving; entries left pending for the reclaim loop", entries=len(unresolved),
                        reedits=self.max_reedits)
            for i in unresolved:
                final[i] = LEFT_PENDING
        self._metrics.history_write_bytes.inc(sum(n for flag, n in zip(final, batch.write_bytes, strict=True) if flag == _PUBLISHED))
        return bytes(final)

    async def _dead_letter_duplicates(self, batch: PreparedBatch, flags: bytes) -> tuple[bytes, list[DeadLetter]]:
        """Commit a `duplicate-event` dead letter for each entry flagged "D"; the batch's final flags ("d" for those).

        If that commit is abandoned, those entries are flagged "p": still pending, found duplicate again when reclaimed.
        """
        indexes = [i for i, flag in enumerate(flags) if flag == _NEEDS_DEAD_LETTER]
        if not indexes:
            return flags, []
        detail = f"event_id already answered by another entry within the last {self.dedup_window_s:g} s (--dedup-window-s)"
        letters_batch = batch.duplicates(indexes, detail)
        letter_flags = await self._run(letters_batch)
        if letter_flags is None:
            log.error("duplicate-event dead letters not committed; those entries stay pending", entries=len(indexes))
            letter_flags = bytes([LEFT_PENDING]) * len(indexes)
        final = bytearray(flags)
        letters: list[DeadLetter] = []
        for i, flag, letter in zip(indexes, letter_flags, letters_batch.records, strict=True):
            if flag == _PUBLISHED:
                final[i] = DUPLICATE
                assert type(letter) is DeadLetter
                letters.append(letter)
            else:  # "0": taken over and acked by another consumer between the two runs; or "p"
                final[i] = flag
        return bytes(final), letters

    async def _run(self, batch: PreparedBatch) -> bytes | None:
        next_delay = backoff_delays()
        attempt = 0
        packed = _pack(batch.args)
        if type(batch) is HistoryBatch:
            script, args = self._history_script, [*self._head, packed, bytes(batch.blob), self._history_ttl]
        else:
            script, args = self._script, [*self._head, packed]
        while True:
            attempt += 1
            try:
                flags = await script(keys=self._keys, args=args)
            except RETRYABLE as error:
                self._metrics.redis_errors.labels("commit").inc()
                self._health.redis_ok = False
                if self.abandon.is_set():
                    log.error("commit abandoned at shutdown; the entries stay pending and will be reclaimed",
                              entries=len(batch), error=type(error).__name__)
                    return None
                delay = next_delay()
                log.warning("redis unreachable during commit; retrying", attempt=attempt, retry_in_s=delay, error=str(error))
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.abandon.wait(), timeout=delay)
            except RedisError as error:
                # Not a connectivity problem (e.g. the group was deleted): retrying cannot help. The entries
                # stay pending, so a reclaim redelivers them, and max-deliveries dead-letters them for good.
                self._metrics.redis_errors.labels("commit").inc()
                log.error("commit failed; the entries stay pending", entries=len(batch), error=str(error)[:300])
                return None
            else:
                self._health.redis_ok = True
                return flags if isinstance(flags, bytes) else str(flags).encode()

    @staticmethod
    def _log(batch: PreparedBatch, summary: BatchSummary) -> None:
        for letter in summary.dead_letters:
            log.warning("dead letter", stream_id=letter.stream_id, reason=letter.reason)
        log.info(
            "batch",
            source=batch.source,
            count=summary.entries,
            acked=summary.acked,
            duplicates=summary.duplicates,
            duplicate_events=summary.duplicate_events,
            dead_letters=len(summary.dead_letters),
            **{f"outcome_{name}": count for name, count in summary.outcomes.items()},
            duration_ms=round((time.perf_counter() - batch.started) * 1000, 2),
        )
