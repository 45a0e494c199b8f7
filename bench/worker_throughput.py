"""Worker throughput: one worker process draining a pre-filled stream of 5-line claims, all edits on.

    python bench/worker_throughput.py [--claims 100000] [--lines 5] [--batch-size 500] [--naive-claims 5000]

Starts a throwaway Redis (or uses REDIS_URL: its database is flushed), fills `claims.submitted`, then
times the real worker (`workers.runtime.Worker`: FastStream batch subscriber, pass-through parser, one
commit script per batch, commit overlapped with the next batch) from its first read to its last commit.
In the same run it times a naive FastStream handler (one message per call, typed body decoded by
FastStream, `publisher.publish` per result, FastStream's default ack) on a smaller stream, for the ratio.
Reported as wall-clock throughput (the worker and Redis share the machine, as they would in production)
and as claims per CPU-second of the worker process, which a busy neighbour on a shared machine disturbs less.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from pathlib import Path
from typing import Any

import redis

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # runnable as a plain script from a checkout

from bench.claims import ClaimMaker
from contracts import ClaimSubmitted, decode_event, encode
from edits import Engine, load_default_reference
from workers.embedded_redis import given_or_embedded
from workers.logs import configure_logging
from workers.runtime import Worker
from workers.settings import Settings

STREAM, GROUP = "claims.submitted", "claim-edit"


def fill(client: redis.Redis, payloads: list[bytes], stream: str = STREAM) -> None:
    client.flushdb()
    for start in range(0, len(payloads), 5000):
        pipe = client.pipeline(transaction=False)
        for payload in payloads[start : start + 5000]:
            pipe.xadd(stream, {"event": payload})
        pipe.execute()


def wait_for_results(client: redis.Redis, count: int, stream: str = "claims.edited") -> float:
    while client.xlen(stream) < count:
        time.sleep(0.005)
    return time.perf_counter()


async def run_worker(url: str, engine: Engine, count: int, batch_size: int) -> tuple[float, float]:
    """Wall seconds and this process's CPU seconds from the first read to the last commit."""
    settings = Settings(redis_url=url, http_port=0, http_host="127.0.0.1", batch_size=batch_size, block_ms=100, consumer="bench")
    worker = Worker(settings, engine)
    stop = asyncio.Event()
    task = asyncio.create_task(worker.run(stop))
    client = redis.Redis.from_url(url)
    await worker.started.wait()
    started, cpu_started = time.perf_counter(), time.process_time()
    while client.xlen("claims.edited") < count:
        await asyncio.sleep(0.01)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    stop.set()
    await task
    client.close()
    return elapsed, cpu


async def run_naive(url: str, engine: Engine, count: int) -> float:
    """The FastStream tutorial shape: one message per call, typed body, publish per result, default ack."""
    from faststream.redis import RedisBroker, StreamSub

    broker = RedisBroker(url, logger=None)  # type: ignore[arg-type]  # None turns its logging off (documented); 0.7 annotates it out
    publisher = broker.publisher(stream="naive.edited")
    done = asyncio.Event()
    seen = 0

    @broker.subscriber(stream=StreamSub(STREAM, group="naive", consumer="naive-1", last_id=">"))
    async def handle(body: dict[str, Any]) -> None:  # FastStream turns the entry's fields into this dict
        nonlocal seen
        event: ClaimSubmitted = decode_event(body["event"].encode())
        await publisher.publish(encode(engine.edit(event)))
        seen += 1
        if seen >= count:
            done.set()

    client = redis.Redis.from_url(url)
    client.xgroup_create(STREAM, "naive", id="0")
    client.close()
    started = time.perf_counter()
    await broker.start()
    await asyncio.wait_for(done.wait(), timeout=max(60.0, count / 100))
    elapsed = time.perf_counter() - started
    await broker.stop()
    return elapsed


def main(argv: list[str] | None = None) -> int:
    configure_logging("WARNING")
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--claims", type=int, default=100_000)
    parser.add_argument("--lines", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument("--naive-claims", type=int, default=5_000, help="0 skips the naive handler")
    args = parser.parse_args(argv)

    engine = Engine(load_default_reference())
    payloads = [encode(event) for event in ClaimMaker().events(args.claims, args.lines)]
    print(f"edits: {', '.join(engine.edit_names)}; reference {engine.reference_version}; {args.claims} claims x {args.lines} lines")
    with given_or_embedded(os.environ.get("REDIS_URL")) as url:
        client = redis.Redis.from_url(url)
        fill(client, payloads)
        elapsed, cpu = asyncio.run(run_worker(url, engine, args.claims, args.batch_size))
        rate = args.claims / elapsed
        assert client.xlen("claims.edited") == args.claims
        pending = client.xpending(STREAM, GROUP)["pending"]
        print(f"worker: {args.claims} claims in {elapsed:.2f} s = {rate:,.0f} claims/s wall (batch {args.batch_size}); "
              f"{args.claims / cpu:,.0f} claims per CPU-second of the worker process; pending after: {pending}")
        if args.naive_claims:
            fill(client, payloads[: args.naive_claims])
            naive = asyncio.run(run_naive(url, engine, args.naive_claims))
            naive_rate = args.naive_claims / naive
            print(f"naive per-message FastStream handler: {args.naive_claims} claims in {naive:.2f} s = {naive_rate:,.0f} claims/s")
            print(f"ratio: {rate / naive_rate:.1f}x")
        client.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
