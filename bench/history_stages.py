"""History's stages in one process, without FastStream: worker CPU and Redis time per claim of the read,
the edit, the commit and the rest of preparing a batch, with history on (and off, for the same claims).

    python -m bench.history_stages [--claims 20000] [--rounds 2] [--mix bench|heavy] [--redis-url URL]

Reads batches of 500 with XREADGROUP, prepares them (`HistoryPreparer`, or `BatchPreparer` with history
off) and commits each one before the next (`Committer.commit`, no overlap), so each stage is timed alone:
worker CPU with `time.process_time`, Redis time from `INFO commandstats` (evalsha usec: the script's own
run, its commands included), read around each stage (those INFO calls are left out of the CPU figures),
and the collector's CPU inside those batches (`gc_cpu_us`, from `gc.callbacks`, in whichever stage it ran).
The full-size reference is not loaded (the bundled one): the figures are about history, not the tables.
Once loaded, it freezes the heap (`gc.freeze()`) as the worker does, so collections cost what they cost there.
To compare two versions in one run, run it twice with PYTHONPATH set to each checkout (from a directory
outside both). Prints one JSON line per round and mode, with a digest of the results' findings (equal
digests: the same findings).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import hashlib
import json
import time
from collections.abc import Iterable
from typing import Any

import msgspec
import redis
import redis.asyncio as aioredis

from bench.claims import MIX_SEEDS, MIXES, ClaimMaker
from contracts import ClaimEdited
from edits import Engine, load_default_reference
from workers.batch import BatchPreparer
from workers.commit import Committer
from workers.embedded_redis import given_or_embedded
from workers.health import Health
from workers.history.edit_batch import HistoryPreparer
from workers.history.redis_store import StoredHistory
from workers.logs import configure_logging
from workers.metrics import WorkerMetrics

STREAM = "claims.submitted"
GROUP = "claim-edit"
BATCH = 500
_results = msgspec.json.Decoder(ClaimEdited)


class Clock:
    """Worker CPU and Redis evalsha time, per stage; the INFO calls themselves are kept out of the CPU."""

    def __init__(self, client: redis.Redis) -> None:
        self.client = client
        self.cpu: dict[str, float] = {"read": 0.0, "edit": 0.0, "commit": 0.0, "total": 0.0}
        self.redis_us: dict[str, int] = {"read": 0, "commit": 0}
        self.info_cpu = 0.0
        self.gc_cpu = 0.0  # the collector's CPU inside the timed batches (in whichever stage it ran)
        self.timing = False
        self._gc_started = 0.0

    def on_gc(self, phase: str, info: dict[str, Any]) -> None:
        """A `gc.callbacks` hook: collections while a batch is timed."""
        if phase == "start":
            self._gc_started = time.process_time()
        elif self.timing:
            self.gc_cpu += time.process_time() - self._gc_started

    def evalsha_us(self) -> int:
        started = time.process_time()
        stats: Any = self.client.info("commandstats")
        self.info_cpu += time.process_time() - started
        return int(stats.get("cmdstat_evalsha", {}).get("usec", 0))


def _fill(client: redis.Redis, payloads: list[bytes]) -> None:
    client.flushdb()
    pipe = client.pipeline(transaction=False)
    for payload in payloads:
        pipe.xadd(STREAM, {"event": payload})
    pipe.execute()
    client.xgroup_create(STREAM, GROUP, id="0")


def _findings_digest(client: redis.Redis) -> str:
    entries: Any = client.xrange("claims.edited")
    results = [_results.decode(fields[b"result"]) for _, fields in entries]
    rows = sorted((result.event_id, msgspec.json.encode(result.findings)) for result in results)
    return hashlib.sha256(repr(rows).encode()).hexdigest()[:12]


async def _drain(url: str, client: redis.Redis, engine: Engine, payloads: list[bytes], history: bool) -> dict[str, Any]:
    _fill(client, payloads)
    clock = Clock(client)
    aclient = aioredis.Redis.from_url(url)
    metrics = WorkerMetrics(engine.edit_names, engine.reference_version)
    committer = Committer(aclient, stream=STREAM, group=GROUP, result_stream="claims.edited", deadletter_stream="claims.deadletter",
                          maxlen=1_000_000, metrics=metrics, health=Health(), history_ttl_ms=730 * 86_400_000)
    history_preparer = HistoryPreparer(engine, stream=STREAM, consumer="c1", max_event_bytes=1 << 20, client=aclient,
                                       secret=b"bench-history-key-0123456789abcdef", days=365, metrics=metrics)
    plain = BatchPreparer(engine, stream=STREAM, consumer="c1", max_event_bytes=1 << 20)
    read = history_preparer.reader.read

    async def timed_read(keys: Iterable[str]) -> dict[str, StoredHistory]:
        before = clock.evalsha_us()
        started = time.process_time()
        found = await read(keys)
        clock.cpu["read"] += time.process_time() - started
        clock.redis_us["read"] += clock.evalsha_us() - before
        return found

    history_preparer.reader.read = timed_read  # type: ignore[method-assign]
    edit_with_history, edit = engine.edit_with_history, engine.edit

    def timed(function: Any) -> Any:
        def run(*args: Any, **kwargs: Any) -> Any:
            started = time.process_time()
            try:
                return function(*args, **kwargs)
            finally:
                clock.cpu["edit"] += time.process_time() - started
        return run

    engine.edit_with_history = timed(edit_with_history)  # type: ignore[method-assign]
    engine.edit = timed(edit)  # type: ignore[method-assign]
    gc.callbacks.append(clock.on_gc)
    try:
        while True:
            reply: Any = client.xreadgroup(GROUP, "c1", {STREAM: ">"}, count=BATCH)
            if not reply:
                break
            ids = [entry_id for entry_id, _ in reply[0][1]]
            fields = [entry_fields for _, entry_fields in reply[0][1]]
            info_before = clock.info_cpu
            clock.timing = True
            started = time.process_time()
            batch = await history_preparer.prepare_batch(ids, fields) if history else plain.prepare(ids, fields)
            before = clock.evalsha_us()
            commit_started = time.process_time()
            await committer.commit(batch)
            clock.cpu["commit"] += time.process_time() - commit_started
            clock.redis_us["commit"] += clock.evalsha_us() - before
            clock.cpu["total"] += time.process_time() - started - (clock.info_cpu - info_before)
            clock.timing = False
    finally:
        gc.callbacks.remove(clock.on_gc)
        engine.edit_with_history, engine.edit = edit_with_history, edit  # type: ignore[method-assign]
        await aclient.aclose()
    n = len(payloads)
    answered = int(client.xlen("claims.edited")) + int(client.xlen("claims.deadletter"))
    if answered != n:
        raise RuntimeError(f"{answered} of {n} entries answered")
    per_claim = {f"{stage}_cpu_us": round(seconds * 1e6 / n, 2) for stage, seconds in clock.cpu.items()}
    rest = clock.cpu["total"] - clock.cpu["read"] - clock.cpu["edit"] - clock.cpu["commit"]
    return {
        "history": history, "claims": n, **per_claim, "other_cpu_us": round(rest * 1e6 / n, 2),
        "gc_cpu_us": round(clock.gc_cpu * 1e6 / n, 2),
        **{f"{stage}_redis_us": round(usec / n, 2) for stage, usec in clock.redis_us.items()},
        "findings_digest": _findings_digest(client),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.history_stages", description=__doc__.splitlines()[0])
    parser.add_argument("--claims", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--mix", choices=MIXES, default="bench", help="claim mix (bench/claims.py; default: %(default)s)")
    parser.add_argument("--redis-url", help="use this Redis instead of starting one; its database is FLUSHED")
    args = parser.parse_args(argv)
    engine = Engine(load_default_reference())
    payloads = ClaimMaker(seed=MIX_SEEDS[args.mix], mix=args.mix).payloads(args.claims, 5)
    # As the worker does once loaded (workers/runtime.py): the reference, the modules and the claims leave the collector's
    # generations, so full collections do not walk them, as in a worker. Thawed at the end: tests call this in their process.
    gc.collect()
    gc.freeze()
    try:
        with given_or_embedded(args.redis_url) as url:
            client = redis.Redis.from_url(url)
            for round_ in range(args.rounds):
                for history in (False, True):
                    print(json.dumps({"round": round_, **asyncio.run(_drain(url, client, engine, payloads, history))}), flush=True)
            client.close()
    finally:
        gc.unfreeze()


if __name__ == "__main__":
    configure_logging("WARNING")  # the committer's line per batch would drown the figures
    main()
