"""Taking over entries other consumers left pending, and finishing this consumer's own.

A consumer that dies (or stalls) leaves its delivered entries pending. Every few seconds each worker
runs XAUTOCLAIM for entries idle longer than `claim_idle_ms`; they go through the same edit and
commit path. An entry delivered more than `max_deliveries` times (one that keeps killing workers,
say) becomes a dead letter with reason `max-deliveries` instead of being edited again.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Mapping, Sequence
from typing import Any

import redis.asyncio as aioredis
import structlog
from redis.exceptions import RedisError

from workers.batch import BatchPreparer, Fields
from workers.commit import Committer
from workers.metrics import WorkerMetrics
from workers.streams import as_text

log = structlog.get_logger("claimedit.reclaim")

PENDING_PAGE = 1000
DEPARTED_AFTER_IDLE_PERIODS = 10

# Removes consumers that hold nothing and have not read for ARGV[3] ms: workers that died (their entries
# already taken over) under unique names would otherwise pile up in XINFO CONSUMERS with every restart.
# One script, so the check and the delete are atomic: a consumer that reads in between cannot lose
# pending entries (XGROUP DELCONSUMER drops whatever the consumer holds). A live worker that is removed
# (a pause longer than the threshold) is re-created by its next XREADGROUP. KEYS: stream. ARGV: group,
# this consumer (never removed), idle threshold ms. Returns the number removed.
FORGET_DEPARTED_LUA = """
local removed = 0
for _, row in ipairs(redis.call('XINFO', 'CONSUMERS', KEYS[1], ARGV[1])) do
  local info = {}
  for i = 1, #row, 2 do info[row[i]] = row[i + 1] end
  if info['name'] ~= ARGV[2] and info['pending'] == 0 and info['idle'] > tonumber(ARGV[3]) then
    redis.call('XGROUP', 'DELCONSUMER', KEYS[1], ARGV[1], info['name'])
    removed = removed + 1
  end
end
return removed
"""
MAX_INTERVAL_S = 5.0
MIN_INTERVAL_S = 0.05


class Reclaimer:
    def __init__(
        self,
        client: aioredis.Redis,
        *,
        stream: str,
        group: str,
        consumer: str,
        claim_idle_ms: int,
        max_deliveries: int,
        batch_size: int,
        preparer: BatchPreparer,
        committer: Committer,
        metrics: WorkerMetrics,
        block_ms: int = 0,
    ) -> None:
        self.client = client
        self.stream = stream
        self.group = group
        self.consumer = consumer
        self.claim_idle_ms = claim_idle_ms
        self.max_deliveries = max_deliveries
        self.batch_size = batch_size
        self.preparer = preparer
        self.committer = committer
        self.metrics = metrics
        # Check twice per idle period so an orphan waits at most ~1.5x claim_idle_ms; at least every 5 s.
        self.interval_s = min(MAX_INTERVAL_S, max(MIN_INTERVAL_S, claim_idle_ms / 2000))
        # Far above any live consumer's idle time: a reading worker's idle never exceeds its BLOCK much.
        self.departed_after_ms = DEPARTED_AFTER_IDLE_PERIODS * max(claim_idle_ms, block_ms)
        self._forget = client.register_script(FORGET_DEPARTED_LUA)

    async def delivery_counts(self, ids: Sequence[bytes]) -> dict[bytes, int]:
        """How many times each of these entries (now pending for this consumer) has been delivered."""
        if not ids:
            return {}
        wanted = set(ids)
        counts: dict[bytes, int] = {}
        start: Any = min(ids, key=_id_key)
        end = max(ids, key=_id_key)
        while len(counts) < len(wanted):
            # Paged: this consumer may hold other pending entries between the first and the last id.
            rows = await self.client.xpending_range(self.stream, self.group, min=start, max=end, count=PENDING_PAGE,
                                                    consumername=self.consumer)
            for row in rows:
                message_id = row["message_id"]
                key = message_id if isinstance(message_id, bytes) else str(message_id).encode()
                if key in wanted:
                    counts[key] = int(row["times_delivered"])
            if len(rows) < PENDING_PAGE:
                break
            start = b"(" + _as_bytes(rows[-1]["message_id"])  # exclusive start (Redis 6.2+)
        return counts

    async def _process(self, entries: Sequence[tuple[bytes, Fields | None]], source: str) -> None:
        ids = [stream_id for stream_id, _ in entries]
        counts = await self.delivery_counts(ids)
        batch = await self.preparer.prepare_batch(
            ids, [fields for _, fields in entries], source=source, delivery_counts=counts, max_deliveries=self.max_deliveries,
        )
        await self.committer.submit(batch)

    async def reclaim_once(self) -> int:
        """Take over every entry idle longer than the threshold; return how many were taken."""
        cursor: Any = b"0-0"
        total = 0
        while True:
            reply = await self.client.xautoclaim(
                self.stream, self.group, self.consumer, min_idle_time=self.claim_idle_ms, start_id=cursor, count=self.batch_size,
            )
            cursor, claimed = reply[0], reply[1]
            deleted = reply[2] if len(reply) > 2 else []
            if deleted:
                # Trimmed or XDELed while pending: the server drops them from the group; there is nothing left to edit.
                log.warning("pending entries were deleted from the stream before they were processed", count=len(deleted))
            entries = [(stream_id, fields) for stream_id, fields in claimed]
            if entries:
                total += len(entries)
                self.metrics.redeliveries.inc(len(entries))
                log.info("reclaimed idle entries", count=len(entries), min_idle_ms=self.claim_idle_ms)
                await self._process(entries, "reclaim")
            if as_text(cursor) == "0-0":
                return total

    async def forget_departed(self) -> int:
        """Remove consumers that hold nothing and have been idle `departed_after_ms`; how many were removed."""
        removed = int(await self._forget(keys=[self.stream], args=[self.group, self.consumer, self.departed_after_ms]))
        if removed:
            log.info("removed departed consumers from the group", count=removed, idle_over_ms=self.departed_after_ms)
        return removed

    async def finish_own_pending(self) -> int:
        """Edit and commit entries delivered to this consumer but never committed (at start-up and at shutdown)."""
        start = "0"
        total = 0
        while True:
            reply: Any = await self.client.xreadgroup(self.group, self.consumer, {self.stream: start}, count=self.batch_size)
            entries: list[tuple[bytes, Mapping[bytes, bytes] | None]] = list(reply[0][1]) if reply else []
            if not entries:
                return total
            total += len(entries)
            await self._process(entries, "pending")
            start = as_text(entries[-1][0])

    async def leave_group(self) -> bool:
        """Remove this consumer from the group if it holds nothing, so restarts do not pile up dead consumer names.

        Only when nothing is pending for it: deleting a consumer orphans its pending entries.
        """
        mine = await self.client.xpending_range(self.stream, self.group, min="-", max="+", count=1, consumername=self.consumer)
        if mine:
            return False
        await self.client.xgroup_delconsumer(self.stream, self.group, self.consumer)
        return True

    async def run(self, stop: asyncio.Event) -> None:
        """Reclaim periodically until `stop` is set. Redis errors are logged and retried next round."""
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=self.interval_s)
            if stop.is_set():
                return
            try:
                await self.reclaim_once()
                await self.forget_departed()
            except RedisError as error:
                self.metrics.redis_errors.labels("reclaim").inc()
                log.warning("reclaim failed; retrying next round", error=str(error)[:300])


def _as_bytes(value: Any) -> bytes:
    return value if isinstance(value, bytes) else str(value).encode()


def _id_key(stream_id: bytes) -> tuple[int, int]:
    ms, _, seq = stream_id.partition(b"-")
    return int(ms), int(seq or 0)
