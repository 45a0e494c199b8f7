"""End to end on a real Redis: events in, one result per event out, nothing left pending."""

from __future__ import annotations

import redis

from edits import Engine
from tests.workers.helpers import (
    ADDON_ALONE,
    CLEAN,
    MUE_EXCEEDED,
    WorkerThread,
    event,
    pending_count,
    results,
    submit,
    tiny_reference,
    wait_for,
)
from workers.settings import Settings


def settings(redis_url: str, **overrides: object) -> Settings:
    values: dict[str, object] = {"redis_url": redis_url, "http_port": 0, "http_host": "127.0.0.1", "block_ms": 50, "batch_size": 16,
                                 "consumer": "test-1", "stats_interval_s": 0.2}
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


def test_each_event_gets_one_result_with_its_findings(redis_client: redis.Redis, redis_url: str) -> None:
    events = [event(lines) for _ in range(20) for lines in (CLEAN, ADDON_ALONE, MUE_EXCEEDED)]  # 60 distinct event_ids
    with WorkerThread(settings(redis_url), Engine(tiny_reference())):
        ids = submit(redis_client, "claims.submitted", events)
        wait_for(lambda: redis_client.xlen("claims.edited") >= len(events), what="all results")
    out = results(redis_client)
    assert sorted(r.event_id for r in out) == sorted(e.event_id for e in events)
    assert {r.source_stream_id for r in out} == {i.decode() for i in ids}
    by_event = {r.event_id: r for r in out}
    assert by_event[events[0].event_id].outcome == "pass"
    assert by_event[events[0].event_id].findings == ()
    assert [f.edit for f in by_event[events[1].event_id].findings] == ["addon-without-primary"]
    assert by_event[events[1].event_id].outcome == "deny"
    assert "mue-units-exceeded" in [f.edit for f in by_event[events[2].event_id].findings]
    assert pending_count(redis_client) == 0
    assert redis_client.xlen("claims.deadletter") == 0


def test_group_created_at_start_of_stream_reads_the_backlog(redis_client: redis.Redis, redis_url: str) -> None:
    backlog = [event(CLEAN) for _ in range(10)]
    submit(redis_client, "claims.submitted", backlog)  # written before any worker or group exists
    with WorkerThread(settings(redis_url), Engine(tiny_reference())):
        wait_for(lambda: redis_client.xlen("claims.edited") >= len(backlog), what="the backlog's results")
    assert sorted(r.event_id for r in results(redis_client)) == sorted(e.event_id for e in backlog)
