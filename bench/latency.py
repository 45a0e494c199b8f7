"""(c) Latency under load: an open-loop producer at fixed rates, event time to result, per percentile.

Open loop: event i is due at t0 + i / rate whatever the worker does, and its `occurred_at` is
that due time, so a producer or worker that falls behind shows up as latency instead of
silently lowering the rate (no coordinated omission). The producer wakes every millisecond and
sends what is due in one pipeline (so an event waits up to 1 ms, and that counts as latency);
events are encoded beforehand and only their time is spliced in, so the producer takes less of
the CPU the worker and Redis need.

The result time is the result entry's stream id: Redis stamps it (milliseconds, server clock,
the same host clock the producer uses) when the commit script adds the result, which is the
moment a consumer of `claims.edited` can see it. So latencies have 1 ms resolution and are
rounded down. The result's `edited_at` (worker clock, microseconds) splits each latency into
event-to-edit (waiting to be read, reading, decoding, editing) and edit-to-result (the commit).
Percentiles are exact nearest-rank over every result (a sorted array, no histogram buckets).
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

import msgspec
import redis

from bench.claims import ClaimMaker
from bench.machine import busy_cpu_seconds, own_cpu_seconds
from bench.processes import Process, worker_command
from bench.redis_stats import RedisUsage
from bench.streams import GROUP, INPUT, RESULTS, create_group, fill, watch
from bench.timing import percentile
from contracts import ClaimSubmitted, encode

TICK_S = 0.001
WARM_UP_CLAIMS = 2_000
PERCENTILES = (0.5, 0.95, 0.99, 0.999)


class _Stamp(msgspec.Struct):
    occurred_at: dt.datetime
    edited_at: dt.datetime


_stamp = msgspec.json.Decoder(_Stamp)

# Events are encoded once with this placeholder time; the producer splices in each due time, fixed width.
_PLACEHOLDER = dt.datetime(2000, 1, 1, 0, 0, 0, 1, tzinfo=dt.UTC)
_PLACEHOLDER_TEXT = b"2000-01-01T00:00:00.000001Z"


def _time_text(seconds: float) -> bytes:
    return dt.datetime.fromtimestamp(seconds, dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ").encode()


def _produce(client: redis.Redis, events: list[ClaimSubmitted], rate: float) -> dict[str, float]:
    """Send `events` open-loop at `rate` per second; how far behind schedule the producer itself got."""
    total = len(events)
    templates = [encode(msgspec.structs.replace(event, occurred_at=_PLACEHOLDER)) for event in events]
    if templates and _PLACEHOLDER_TEXT not in templates[0]:
        raise RuntimeError("the event encoding changed: the producer's time placeholder is not in it")
    t0 = time.time() + 0.05
    sent = 0
    worst_behind = 0.0
    while sent < total:
        now = time.time()
        due = min(total, int((now - t0) * rate) + 1) if now >= t0 else 0
        if due > sent:
            pipe = client.pipeline(transaction=False)
            for i in range(sent, due):
                pipe.xadd(INPUT, {"event": templates[i].replace(_PLACEHOLDER_TEXT, _time_text(t0 + i / rate), 1)})
            pipe.execute()
            worst_behind = max(worst_behind, time.time() - (t0 + (due - 1) / rate))
            sent = due
        # Wake once per tick, not once per event: one pipeline carries a tick's events (a pipeline per
        # event cost the producer about 80 us of CPU each, half a core at 6,000 events/s).
        time.sleep(max(0.0, TICK_S - (time.time() - now)))
    elapsed = time.time() - t0
    return {"sent": total, "achieved_rate": total / elapsed if elapsed > 0 else 0.0, "producer_worst_behind_ms": worst_behind * 1000}


Entries = list[tuple[bytes, dict[bytes, bytes]]]


def _latencies_ms(client: redis.Redis, after_id: bytes) -> tuple[list[float], list[float], list[float]]:
    """Per result: event time to result, event time to edit (read, queue, decode, edit), edit to result (commit)."""
    total: list[float] = []
    to_edit: list[float] = []
    to_commit: list[float] = []
    start = b"(" + after_id
    while True:
        chunk = cast(Entries, client.xrange(RESULTS, min=start, count=10_000))
        if not chunk:
            return total, to_edit, to_commit
        for stream_id, fields in chunk:
            stamp = _stamp.decode(fields[b"result"])
            result_ms = int(stream_id.split(b"-")[0])
            occurred_ms = stamp.occurred_at.timestamp() * 1000
            edited_ms = stamp.edited_at.timestamp() * 1000
            total.append(result_ms - occurred_ms)
            to_edit.append(edited_ms - occurred_ms)
            to_commit.append(result_ms - edited_ms)
        start = b"(" + chunk[-1][0]


def _percentiles(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {f"p{round(p * 100, 1):g}": percentile(ordered, p) for p in PERCENTILES} | {"max": ordered[-1]}


def _last_result_id(client: redis.Redis) -> bytes:
    last = cast(Entries, client.xrevrange(RESULTS, count=1))
    return last[0][0] if last else b"0-0"


def _result_count(client: redis.Redis, before: int = 0) -> Callable[[], int]:
    return lambda: int(client.xlen(RESULTS)) - before


def latency_at_rates(
    client: redis.Redis, url: str, *, max_rate: float, fractions: tuple[float, ...], seconds: float, reference: Path, log_dir: Path,
    worker_flags: tuple[str, ...] = (), seed: int = 75,
) -> dict[str, Any]:
    """One worker process (with `worker_flags`); for each fraction of `max_rate`, produce for `seconds` and take percentiles."""
    client.flushdb()
    create_group(client, INPUT, GROUP)
    maker = ClaimMaker(seed=seed)
    fill(client, maker.payloads(WARM_UP_CLAIMS, 5))
    worker = Process("worker-latency", worker_command(url, "bench-latency", reference, extra=worker_flags), log_dir)
    runs: list[dict[str, Any]] = []
    try:
        watch(_result_count(client), WARM_UP_CLAIMS, alive=worker.alive)
        for fraction in fractions:
            rate = max(1.0, max_rate * fraction)
            count = max(50, int(rate * seconds))
            events = [maker.event(5) for _ in range(count)]
            mark = _last_result_id(client)
            before = int(client.xlen(RESULTS))
            started = (time.perf_counter(), busy_cpu_seconds(), own_cpu_seconds(), worker.cpu_seconds(), RedisUsage.cpu_seconds(client))
            produced = _produce(client, events, rate)
            watch(_result_count(client, before), count, alive=worker.alive)
            ended = (time.perf_counter(), busy_cpu_seconds(), own_cpu_seconds(), worker.cpu_seconds(), RedisUsage.cpu_seconds(client))
            seconds_run = ended[0] - started[0]
            machine_busy, driver, worker_cpu, redis_cpu = (ended[i] - started[i] for i in range(1, 5))
            total, to_edit, to_commit = _latencies_ms(client, mark)
            runs.append(
                {
                    "fraction_of_max": fraction,
                    "target_rate": rate,
                    **produced,
                    "results": len(total),
                    "latency_ms": _percentiles(total),
                    "event_to_edit_ms": _percentiles(to_edit),
                    "edit_to_result_ms": _percentiles(to_commit),
                    "cores_busy": {
                        "worker": worker_cpu / seconds_run,
                        "redis": redis_cpu / seconds_run,
                        "producer": driver / seconds_run,
                        "other": max(0.0, (machine_busy - worker_cpu - redis_cpu - driver) / seconds_run),
                    },
                }
            )
    except Exception as error:
        raise RuntimeError(f"latency run: {error}\n{worker.tail()}") from error
    finally:
        worker.stop()
    return {
        "method": "open-loop producer, event due time to result stream id (1 ms resolution, rounded down); "
        "exact nearest-rank percentiles over every result",
        "max_rate_used": max_rate,
        "seconds_per_rate": seconds,
        "worker_flags": list(worker_flags),
        "runs": runs,
    }
