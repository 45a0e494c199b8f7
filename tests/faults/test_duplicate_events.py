"""A producer sends one event_id more than once (as separate stream entries): one result, the rest `duplicate-event` dead letters."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
import redis
import redis.asyncio as aioredis

from contracts import ClaimEdited, ClaimSubmitted, encode
from edits import Engine
from tests.faults.helpers import GROUP, WorkerProcess, audit, wait_all_answered
from tests.workers.helpers import ADDON_ALONE, CLEAN, dead_letters, event, submit, tiny_reference, wait_for
from workers.batch import BatchPreparer
from workers.commit import Committer, seen_key
from workers.health import Health
from workers.metrics import BatchSummary, WorkerMetrics

pytestmark = [pytest.mark.fault, pytest.mark.redis]

STREAM = "claims.submitted"
SEEN = seen_key(STREAM)


def _send_together(client: redis.Redis, events: list[ClaimSubmitted]) -> list[bytes]:
    """In one transaction, so one read (one batch) gets them all."""
    pipe = client.pipeline(transaction=True)
    for one in events:
        pipe.xadd(STREAM, {"event": encode(one)})
    return [bytes(i) for i in pipe.execute()]


def test_resent_event_ids_get_one_result_also_within_a_batch_and_across_a_restart(
    redis_client: redis.Redis, redis_url: str, tmp_path: Path, workers: list[WorkerProcess]
) -> None:
    first = WorkerProcess(redis_url, tmp_path, "first")
    workers.append(first)
    first.wait_ready()
    e, f = event(CLEAN), event(ADDON_ALONE)
    sent = submit(redis_client, STREAM, [e])
    wait_all_answered(redis_client, 1)
    sent += submit(redis_client, STREAM, [e])  # the producer retried: sent twice
    wait_all_answered(redis_client, 2)
    sent += _send_together(redis_client, [e, e, f, f])  # three times in all, and a fresh event twice in one batch
    wait_all_answered(redis_client, 6)
    assert first.metric("claimedit_claims_processed_total") == 2  # e once, f once
    assert first.metric("claimedit_deadletters_total", reason="duplicate-event") == 4
    assert first.metric("claimedit_duplicate_deliveries_total") == 0  # not to be confused with entries acked elsewhere
    assert first.stop() == 0, first.log()

    second = WorkerProcess(redis_url, tmp_path, "second")  # the window lives in Redis, not in the worker
    workers.append(second)
    second.wait_ready()
    sent += submit(redis_client, STREAM, [e])
    wait_all_answered(redis_client, 7)
    assert second.metric("claimedit_claims_processed_total") == 0
    assert second.metric("claimedit_deadletters_total", reason="duplicate-event") == 1
    assert second.stop() == 0, second.log()

    found = audit(redis_client, sent)
    (e_result,) = found.results_for(e.event_id)
    assert e_result.source_stream_id == sent[0].decode()  # the first entry got the result
    (f_result,) = found.results_for(f.event_id)
    assert f_result.source_stream_id == sent[4].decode()
    letters = found.dead_letters_for(e.event_id)
    assert sorted(d.stream_id for d in letters) == sorted(i.decode() for i in (sent[1], sent[2], sent[3], sent[6]))
    for letter in [*letters, *found.dead_letters_for(f.event_id)]:
        assert letter.reason == "duplicate-event"
        assert letter.stream == STREAM
        assert letter.delivery_count == 1
        assert letter.payload_encoding == "utf-8"
    assert {d.payload for d in letters} == {encode(e).decode()}  # the resent event is kept whole, for a look
    assert {d.consumer for d in letters} == {"first", "second"}
    log = first.log() + second.log()
    batches = [line for line in map(json.loads, log.splitlines()) if line["event"] == "batch"]
    assert sum(b["duplicate_events"] for b in batches) == 5  # the batch lines count them apart from entries acked elsewhere
    assert sum(b["duplicates"] for b in batches) == 0
    assert "P-test" not in log  # no patient data, duplicates included


def test_with_the_window_off_every_entry_gets_its_own_result(
    redis_client: redis.Redis, redis_url: str, tmp_path: Path, workers: list[WorkerProcess]
) -> None:
    worker = WorkerProcess(redis_url, tmp_path, "no-window", "--dedup-window-s", "0")
    workers.append(worker)
    worker.wait_ready()
    e = event(CLEAN)
    sent = submit(redis_client, STREAM, [e]) + _send_together(redis_client, [e, e])
    wait_all_answered(redis_client, len(sent))
    assert worker.stop() == 0, worker.log()
    found = audit(redis_client, sent, one_result_per_event=False)
    assert len(found.results_for(e.event_id)) == 3  # documented: --dedup-window-s 0 trusts the producer
    assert found.dead_letters == {}
    assert redis_client.exists(SEEN) == 0  # and keeps nothing in Redis


def test_after_the_window_a_resend_gets_a_result_again(
    redis_client: redis.Redis, redis_url: str, tmp_path: Path, workers: list[WorkerProcess]
) -> None:
    worker = WorkerProcess(redis_url, tmp_path, "short-window", "--dedup-window-s", "1")
    workers.append(worker)
    worker.wait_ready()
    e = event(CLEAN)
    sent = submit(redis_client, STREAM, [e])
    wait_all_answered(redis_client, 1)
    sent += submit(redis_client, STREAM, [e])
    wait_all_answered(redis_client, 2)
    answered_at = redis_client.zscore(SEEN, e.event_id)
    assert answered_at is not None
    wait_for(lambda: _server_ms(redis_client) > answered_at + 1000, timeout_s=10, what="the 1 s window to pass")
    sent += submit(redis_client, STREAM, [e])
    wait_all_answered(redis_client, 3)
    assert worker.stop() == 0, worker.log()

    found = audit(redis_client, sent, one_result_per_event=False)
    assert sorted(r.source_stream_id or "" for r in found.results_for(e.event_id)) == [sent[0].decode(), sent[2].decode()]
    assert [d.stream_id for d in found.dead_letters_for(e.event_id)] == [sent[1].decode()]
    renewed = redis_client.zscore(SEEN, e.event_id)
    assert renewed is not None
    assert renewed > answered_at  # pruned when the window passed, then remembered again


def _server_ms(client: redis.Redis) -> int:
    seconds, micros = client.time()
    return seconds * 1000 + micros // 1000


# -- the commit script's edges, driven directly --------------------------------------------------------------


def _commit(redis_url: str, entries: list[tuple[bytes, Any]], consumer: str, repeat: int = 1) -> list[BatchSummary | None]:
    """Edit `entries` as `consumer` and run the commit `repeat` times (a retry after a lost reply runs it again)."""

    async def run() -> list[BatchSummary | None]:
        client = aioredis.Redis.from_url(redis_url)
        try:
            engine = Engine(tiny_reference())
            preparer = BatchPreparer(engine, stream=STREAM, consumer=consumer, max_event_bytes=1 << 20)
            committer = Committer(client, stream=STREAM, group=GROUP, result_stream="claims.edited", deadletter_stream="claims.deadletter",
                                  maxlen=1000, metrics=WorkerMetrics(engine.edit_names, engine.reference_version), health=Health())
            return [await committer.commit(preparer.prepare([i for i, _ in entries], [f for _, f in entries])) for _ in range(repeat)]
        finally:
            await client.aclose()

    return asyncio.run(run())


def _read(client: redis.Redis, consumer: str) -> list[tuple[bytes, Any]]:
    reply: Any = client.xreadgroup(GROUP, consumer, {STREAM: ">"}, count=100)
    return list(reply[0][1]) if reply else []


def test_a_commit_run_twice_publishes_once(redis_client: redis.Redis, redis_url: str) -> None:
    """A retried commit (the first run's reply was lost) finds its entries acked: nothing more is published."""
    redis_client.xgroup_create(STREAM, GROUP, id="0", mkstream=True)
    submit(redis_client, STREAM, [event(CLEAN) for _ in range(5)])
    first, again = _commit(redis_url, _read(redis_client, "me"), "me", repeat=2)
    assert first is not None
    assert again is not None
    assert (first.acked, first.duplicate_events) == (5, 0)
    assert (again.acked, again.duplicates, again.duplicate_events) == (0, 5, 0)  # acked already, not "duplicate events"
    assert redis_client.xlen("claims.edited") == 5
    assert redis_client.xlen("claims.deadletter") == 0


def test_an_entry_acked_elsewhere_leaves_its_event_id_unanswered(redis_client: redis.Redis, redis_url: str) -> None:
    """The script marks an event_id only for an entry whose ack counted (it published the result); an entry
    whose ack finds it taken marks nothing, so a later resend of that event_id still gets its result."""
    redis_client.xgroup_create(STREAM, GROUP, id="0", mkstream=True)
    e = event(CLEAN)
    (entry,) = submit(redis_client, STREAM, [e])
    held = _read(redis_client, "slow")
    redis_client.xack(STREAM, GROUP, entry)  # acked by someone who published nothing for it (e.g. an operator)
    (summary,) = _commit(redis_url, held, "slow")
    assert summary is not None
    assert summary.duplicates == 1
    assert redis_client.zscore(SEEN, e.event_id) is None
    assert redis_client.xlen("claims.edited") == 0

    submit(redis_client, STREAM, [e])  # the producer resends it
    (summary,) = _commit(redis_url, _read(redis_client, "other"), "other")
    assert summary is not None
    assert (summary.acked, summary.duplicate_events) == (1, 0)
    assert redis_client.xlen("claims.edited") == 1


def test_a_resent_batch_of_big_events_keeps_the_commit_bounded(redis_client: redis.Redis, redis_url: str) -> None:
    """Duplicates are dead letters with the payload, so they share the per-batch payload budget of the other dead letters."""
    redis_client.xgroup_create(STREAM, GROUP, id="0", mkstream=True)
    big = encode(event(CLEAN))[:-1] + b',"padding":"' + b"x" * 900_000 + b'"}'  # unknown fields are ignored, not refused
    for _ in range(12):
        redis_client.xadd(STREAM, {"event": big})
    (summary,) = _commit(redis_url, _read(redis_client, "me"), "me")
    assert summary is not None
    assert (summary.acked, summary.duplicate_events) == (12, 11)
    letters = dead_letters(redis_client)
    assert len(letters) == 11
    assert {d.reason for d in letters} == {"duplicate-event"}
    assert all(d.payload_bytes == len(big) for d in letters)
    whole = [d for d in letters if not d.payload_truncated]
    assert 0 < len(whole) < len(letters)  # whole while the budget lasts, then the first 4 KiB
    assert sum(len(d.payload) for d in letters) < 10 * 1024 * 1024


def test_the_counts_tell_duplicate_events_from_entries_acked_elsewhere_and_left_pending() -> None:
    """Flags per entry: 1 published here, 0 acked elsewhere, d duplicate-event dead letter, p duplicate left pending."""
    engine = Engine(tiny_reference())
    preparer = BatchPreparer(engine, stream=STREAM, consumer="me", max_event_bytes=1 << 20)
    e = event(CLEAN)
    batch = preparer.prepare([b"1-1", b"1-2", b"1-3", b"1-4"], [{b"event": encode(one)} for one in (event(CLEAN), e, e, e)])
    letters = batch.duplicates([1], "test")
    metrics = WorkerMetrics(engine.edit_names, engine.reference_version)
    summary = metrics.record(batch, b"1dp0", duplicate_letters=[r for r in letters.records if not isinstance(r, ClaimEdited)])
    assert (summary.acked, summary.duplicate_events, summary.left_pending, summary.duplicates) == (2, 1, 1, 1)
    assert [d.reason for d in summary.dead_letters] == ["duplicate-event"]
    assert summary.dead_letters[0].event_id == e.event_id
    assert summary.dead_letters[0].stream_id == "1-2"
    assert metrics.processed.labels("pass")._value.get() == 1
    assert metrics.deadletters.labels("duplicate-event")._value.get() == 1
    assert metrics.duplicates._value.get() == 1
