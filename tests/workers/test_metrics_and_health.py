"""What /metrics, /healthz and /readyz say after a known workload."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections import Counter

import redis
from prometheus_client.parser import text_string_to_metric_families

from contracts import DEAD_LETTER_REASONS, OUTCOMES, SEVERITIES, outcome_of
from edits import Engine
from tests.workers.helpers import ADDON_ALONE, CLEAN, MUE_EXCEEDED, WorkerThread, event, submit, tiny_reference, wait_for
from tests.workers.test_happy_path import settings


def _get(port: int, path: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def _samples(port: int) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    status, body = _get(port, "/metrics")
    assert status == 200
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(body.decode())
        for sample in family.samples
    }


def test_metric_values_after_a_known_workload(redis_client: redis.Redis, redis_url: str) -> None:
    engine = Engine(tiny_reference())
    events = [event(CLEAN) for _ in range(3)] + [event(ADDON_ALONE) for _ in range(2)] + [event(MUE_EXCEEDED)]
    expected_outcomes = Counter(outcome_of(engine.run(e.claim)) for e in events)
    expected_findings = Counter((f.edit, f.severity) for e in events for f in engine.run(e.claim))
    assert expected_findings  # the workload must exercise the findings counter

    with WorkerThread(settings(redis_url, stats_interval_s=0.05), engine) as worker:
        port = worker.worker.http_port
        assert port
        submit(redis_client, "claims.submitted", events)
        redis_client.xadd("claims.submitted", {"event": b"not json"})
        redis_client.xadd("claims.submitted", {"something": b"else"})
        wait_for(lambda: redis_client.xlen("claims.edited") == len(events) and redis_client.xlen("claims.deadletter") == 2,
                 what="results and dead letters")
        wait_for(lambda: _samples(port)[("claimedit_pending_entries", ())] == 0, what="the pending gauge to catch up")
        samples = _samples(port)
        assert _get(port, "/healthz")[0] == 200
        status, body = _get(port, "/readyz")
        assert status == 200, body
        assert json.loads(body)["ready"] is True

    for outcome in OUTCOMES:
        assert samples[("claimedit_claims_processed_total", (("outcome", outcome),))] == expected_outcomes[outcome]
    for name in engine.edit_names:  # every edit x severity exists from the start, zero or not
        for severity in SEVERITIES:
            key = ("claimedit_findings_total", (("edit", name), ("severity", severity)))
            assert samples[key] == expected_findings[(name, severity)]
    for reason in DEAD_LETTER_REASONS:
        expected = 1 if reason in ("not-json", "missing-event-field") else 0
        assert samples[("claimedit_deadletters_total", (("reason", reason),))] == expected
    assert samples[("claimedit_redeliveries_total", ())] == 0
    assert samples[("claimedit_consumer_lag", ())] == 0
    assert samples[("claimedit_reference_info", (("version", "test-2025Q4"),))] == 1
    assert any(name == "claimedit_build_info" for name, _ in samples)
    assert samples[("claimedit_end_to_end_latency_seconds_count", ())] == len(events)
    assert samples[("claimedit_batch_size_sum", ())] == len(events) + 2
    assert samples[("claimedit_batch_duration_seconds_count", ())] >= 1


def test_readyz_is_false_while_redis_is_unreachable() -> None:
    unreachable = settings("redis://127.0.0.1:1/0")  # nothing listens on port 1
    worker = WorkerThread(unreachable, Engine(tiny_reference())).start(wait_reading=False)
    try:
        wait_for(lambda: worker.worker.http_port is not None, what="the HTTP port")
        port = worker.worker.http_port
        assert port
        assert _get(port, "/healthz")[0] == 200
        status, body = _get(port, "/readyz")
        assert status == 503
        assert json.loads(body)["checks"]["redis"] is False
        assert not worker.worker.started.is_set()
    finally:
        worker.stop()
    assert worker.exit_code == 0  # stopping while waiting for Redis is a clean stop


def test_a_busy_http_port_is_a_clear_start_up_error(redis_url: str) -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        worker = WorkerThread(settings(redis_url, http_port=port), Engine(tiny_reference())).start(wait_reading=False)
        assert worker.stop() == 2


def test_batch_histogram_matches_prometheus_client_histogram() -> None:
    from prometheus_client import CollectorRegistry, Histogram, generate_latest

    from workers.metrics import LATENCY_SECONDS_BUCKETS, BatchHistogram

    values = [0.0, 0.005, 0.0051, 0.3, 2.5, 60.0, 299.9, 301.0, 1e6]
    theirs, ours = CollectorRegistry(), CollectorRegistry()
    reference = Histogram("h_seconds", "d", buckets=LATENCY_SECONDS_BUCKETS, registry=theirs)
    for value in values:
        reference.observe(value)
    mine = BatchHistogram("h_seconds", "d", LATENCY_SECONDS_BUCKETS)
    ours.register(mine)
    mine.observe_many(values[:4])
    mine.observe_many(values[4:])

    def series(registry: CollectorRegistry) -> list[str]:
        lines = generate_latest(registry).decode().splitlines()
        return [line for line in lines if line.startswith("h_seconds_") and "_created" not in line]

    assert series(ours) == series(theirs)
