"""Entries left pending by a stalled or dead consumer are taken over; a race still yields one result."""

from __future__ import annotations

import asyncio
from typing import Any

import redis
import redis.asyncio as aioredis

from edits import Engine
from tests.workers.helpers import CLEAN, WorkerThread, dead_letters, event, pending_count, results, submit, tiny_reference, wait_for
from tests.workers.test_happy_path import settings
from workers.batch import BatchPreparer
from workers.commit import Committer
from workers.health import Health
from workers.metrics import BatchSummary, WorkerMetrics
from workers.reclaim import FORGET_DEPARTED_LUA

STREAM, GROUP = "claims.submitted", "claim-edit"


def _read_as(client: redis.Redis, consumer: str, count: int = 10) -> list[tuple[bytes, dict[bytes, bytes]]]:
    reply: Any = client.xreadgroup(GROUP, consumer, {STREAM: ">"}, count=count)
    return list(reply[0][1]) if reply else []


def _late_commit(redis_url: str, entries: list[tuple[bytes, dict[bytes, bytes]]], consumer: str) -> BatchSummary | None:
    """What the slow consumer does when it finally gets there: edit and run the same commit script."""

    async def commit() -> BatchSummary | None:
        client = aioredis.Redis.from_url(redis_url)
        try:
            engine = Engine(tiny_reference())
            preparer = BatchPreparer(engine, stream=STREAM, consumer=consumer, max_event_bytes=1 << 20)
            metrics = WorkerMetrics(engine.edit_names, engine.reference_version)
            committer = Committer(client, stream=STREAM, group=GROUP, result_stream="claims.edited", deadletter_stream="claims.deadletter",
                                  maxlen=1000, metrics=metrics, health=Health())
            return await committer.commit(preparer.prepare([i for i, _ in entries], [f for _, f in entries]))
        finally:
            await client.aclose()

    return asyncio.run(commit())


def test_slow_consumer_racing_a_reclaim_yields_one_result(redis_client: redis.Redis, redis_url: str) -> None:
    redis_client.xgroup_create(STREAM, GROUP, id="0", mkstream=True)
    sent = [event(CLEAN) for _ in range(3)]
    submit(redis_client, STREAM, sent)
    held = _read_as(redis_client, "slow")  # the slow consumer has them and stalls
    assert len(held) == 3

    with WorkerThread(settings(redis_url, claim_idle_ms=100), Engine(tiny_reference())) as worker:
        wait_for(lambda: redis_client.xlen("claims.edited") == 3, what="the reclaimed entries' results")
        redeliveries = worker.worker.metrics.redeliveries._value.get()
    summary = _late_commit(redis_url, held, "slow")  # the slow consumer wakes up and commits too

    assert summary is not None
    assert summary.acked == 0
    assert summary.duplicates == 3
    assert redeliveries == 3
    assert sorted(r.event_id for r in results(redis_client)) == sorted(e.event_id for e in sent)
    assert pending_count(redis_client) == 0


def test_the_consumer_that_acks_first_publishes_and_the_reclaimer_does_not(redis_client: redis.Redis, redis_url: str) -> None:
    redis_client.xgroup_create(STREAM, GROUP, id="0", mkstream=True)
    submit(redis_client, STREAM, [event(CLEAN)])
    held = _read_as(redis_client, "slow")
    redis_client.xclaim(STREAM, GROUP, "reclaimer", min_idle_time=0, message_ids=[held[0][0]])  # taken over, not yet committed
    first = _late_commit(redis_url, held, "slow")
    second = _late_commit(redis_url, held, "reclaimer")
    assert first is not None
    assert second is not None
    assert (first.acked, second.acked) == (1, 0)
    assert len(results(redis_client)) == 1


def test_an_entry_delivered_too_often_becomes_a_dead_letter(redis_client: redis.Redis, redis_url: str) -> None:
    redis_client.xgroup_create(STREAM, GROUP, id="0", mkstream=True)
    poison = event(CLEAN)
    (poison_id,) = submit(redis_client, STREAM, [poison])
    _read_as(redis_client, "crashy")
    # As if five workers in turn had taken it and died: the delivery counter says 5.
    redis_client.xclaim(STREAM, GROUP, "crashy", min_idle_time=0, message_ids=[poison_id], retrycount=5)

    with WorkerThread(settings(redis_url, claim_idle_ms=100, max_deliveries=5), Engine(tiny_reference())):
        wait_for(lambda: redis_client.xlen("claims.deadletter") == 1, what="the dead letter")
    (letter,) = dead_letters(redis_client)
    assert letter.reason == "max-deliveries"
    assert letter.stream_id == poison_id.decode()
    assert letter.delivery_count == 6
    assert poison.event_id in letter.payload  # the event is kept whole
    assert results(redis_client) == []
    assert pending_count(redis_client) == 0


def test_dropped_connections_resume_without_loss_or_duplicates(redis_client: redis.Redis, redis_url: str) -> None:
    first, second = [event(CLEAN) for _ in range(200)], [event(CLEAN) for _ in range(200)]
    with WorkerThread(settings(redis_url, claim_idle_ms=1000), Engine(tiny_reference())) as worker:
        submit(redis_client, STREAM, first)
        wait_for(lambda: redis_client.xlen("claims.edited") == 200, what="the first results")
        killed = redis_client.client_kill_filter(_type="normal", skipme=True)
        assert killed >= 2  # the worker's read and commit connections
        submit(redis_client, STREAM, second)
        wait_for(lambda: redis_client.xlen("claims.edited") == 400 and pending_count(redis_client) == 0, what="every result after")
        read_errors = worker.worker.metrics.redis_errors.labels("read")._value.get()
    assert read_errors >= 1  # the dropped read was counted
    events = [r.event_id for r in results(redis_client)]
    assert sorted(events) == sorted(e.event_id for e in first + second)


def test_a_deleted_stream_stops_the_worker_with_status_1(redis_client: redis.Redis, redis_url: str) -> None:
    """The group is gone with the stream: exit non-zero so the supervisor restarts it (which recreates the group)."""
    worker = WorkerThread(settings(redis_url), Engine(tiny_reference())).start()
    try:
        redis_client.delete(STREAM)
        wait_for(lambda: worker.exit_code is not None, what="the worker to exit")
    finally:
        worker.stop()
    assert worker.exit_code == 1


def test_delivery_counts_page_through_other_pending_entries(redis_client: redis.Redis, redis_url: str) -> None:
    """The consumer holds 2,500 pending entries; the counts of three spread among them are still found."""
    from workers.reclaim import Reclaimer

    redis_client.xgroup_create(STREAM, GROUP, id="0", mkstream=True)
    submit(redis_client, STREAM, [event(CLEAN) for _ in range(2500)])
    held = _read_as(redis_client, "me", count=2500)
    wanted = [held[0][0], held[1700][0], held[-1][0]]
    redis_client.xclaim(STREAM, GROUP, "me", min_idle_time=0, message_ids=[held[1700][0]], retrycount=7)

    async def counts() -> dict[bytes, int]:
        client = aioredis.Redis.from_url(redis_url)
        try:
            engine = Engine(tiny_reference())
            metrics = WorkerMetrics(engine.edit_names, engine.reference_version)
            preparer = BatchPreparer(engine, stream=STREAM, consumer="me", max_event_bytes=1 << 20)
            committer = Committer(client, stream=STREAM, group=GROUP, result_stream="claims.edited", deadletter_stream="claims.deadletter",
                                  maxlen=1000, metrics=metrics, health=Health())
            reclaimer = Reclaimer(client, stream=STREAM, group=GROUP, consumer="me", claim_idle_ms=1000, max_deliveries=5,
                                  batch_size=100, preparer=preparer, committer=committer, metrics=metrics)
            return await reclaimer.delivery_counts(wanted)
        finally:
            await client.aclose()

    assert asyncio.run(counts()) == {wanted[0]: 1, wanted[1]: 7, wanted[2]: 1}


def _consumers(client: redis.Redis) -> dict[str, int]:
    """Consumer name -> pending entries, from XINFO CONSUMERS."""
    rows: Any = client.xinfo_consumers(STREAM, GROUP)
    return {row["name"].decode() if isinstance(row["name"], bytes) else row["name"]: int(row["pending"]) for row in rows}


def test_forgetting_departed_consumers_never_drops_one_that_holds_entries(redis_client: redis.Redis) -> None:
    redis_client.xgroup_create(STREAM, GROUP, id="0", mkstream=True)
    submit(redis_client, STREAM, [event(CLEAN) for _ in range(3)])
    done = _read_as(redis_client, "departed-empty", count=1)
    redis_client.xack(STREAM, GROUP, done[0][0])
    _read_as(redis_client, "departed-holding", count=1)
    _read_as(redis_client, "me", count=1)
    wait_for(lambda: min(int(r["idle"]) for r in redis_client.xinfo_consumers(STREAM, GROUP)) > 20, what="every consumer idle > 20 ms")

    removed = redis_client.eval(FORGET_DEPARTED_LUA, 1, STREAM, GROUP, "me", 20)

    assert removed == 1
    assert _consumers(redis_client) == {"departed-holding": 1, "me": 1}  # holding entries, or the caller itself: kept
    assert redis_client.eval(FORGET_DEPARTED_LUA, 1, STREAM, GROUP, "me", 60_000) == 0  # not idle long enough


def test_a_dead_consumer_is_taken_over_then_removed_from_the_group(redis_client: redis.Redis, redis_url: str) -> None:
    redis_client.xgroup_create(STREAM, GROUP, id="0", mkstream=True)
    sent = [event(CLEAN) for _ in range(3)]
    submit(redis_client, STREAM, sent)
    assert len(_read_as(redis_client, "crashed-pod-7f9c")) == 3  # it read them and died

    with WorkerThread(settings(redis_url, claim_idle_ms=100), Engine(tiny_reference())):
        wait_for(lambda: redis_client.xlen("claims.edited") == 3, what="the dead consumer's entries answered")
        wait_for(lambda: "crashed-pod-7f9c" not in _consumers(redis_client), what="the dead consumer removed from the group")
        assert "test-1" in _consumers(redis_client)  # the live worker stays
    assert pending_count(redis_client) == 0
    assert sorted(r.event_id for r in results(redis_client)) == sorted(e.event_id for e in sent)
