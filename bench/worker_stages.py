"""The worker's in-process stages per claim, without Redis: decode, edit, encode, a whole prepared batch, metrics.

    python -m bench.worker_stages [--claims 20000] [--rounds 5] [--ptp-rows 250000]

CPU microseconds per 5-line claim (`time.process_time`, best of `--rounds`), full-size reference: `decode`
(`decode_event`), `edit` (`Engine.edit`), `encode` (the result), `prepare` (`BatchPreparer.prepare` of
500-entry batches and the MessagePack of the commit arguments, as the commit sends them) and `record`
(`WorkerMetrics.record` of those batches). The garbage collector is frozen after set-up, as the worker does.
To compare two versions, run this from each checkout alternately: the spread between rounds on a shared
machine is about as large as the effects measured.
"""

from __future__ import annotations

import argparse
import gc
import time
from collections.abc import Callable

import msgspec

from bench.claims import ClaimMaker
from bench.reference_full import PTP_QUICK_ROWS, full_size
from contracts import decode_event, encode
from edits import Engine, load_default_reference
from workers.batch import BatchPreparer
from workers.metrics import WorkerMetrics

BATCH = 500


def stages(claims: int, rounds: int, ptp_rows: int) -> dict[str, float]:
    engine = Engine(full_size(load_default_reference(), ptp_rows=ptp_rows))
    payloads = ClaimMaker(seed=1).payloads(claims, 5)
    preparer = BatchPreparer(engine, stream="claims.submitted", consumer="bench", max_event_bytes=1 << 20)
    metrics = WorkerMetrics(engine.edit_names, engine.reference_version)
    pack = msgspec.msgpack.Encoder().encode
    entries = [
        ([f"{n}-0".encode() for n in range(start, start + BATCH)], [{b"event": p} for p in payloads[start : start + BATCH]])
        for start in range(0, len(payloads), BATCH)
    ]
    events = [decode_event(p) for p in payloads]
    results = [engine.edit(e) for e in events]
    batches = [preparer.prepare(ids, fields) for ids, fields in entries]
    gc.collect()
    gc.freeze()

    def decode() -> None:
        for start in range(0, len(payloads), BATCH):
            kept = [decode_event(p) for p in payloads[start : start + BATCH]]  # alive per batch, as in the worker
            del kept

    def edit() -> None:
        for event in events:
            engine.edit(event)

    def encode_results() -> None:
        for result in results:
            encode(result)

    def prepare() -> None:
        for ids, fields in entries:
            pack(preparer.prepare(ids, fields).args)

    def record() -> None:
        for batch in batches:
            metrics.record(batch, b"1" * len(batch))

    timed: dict[str, Callable[[], None]] = {"decode": decode, "edit": edit, "encode": encode_results, "prepare": prepare,
                                            "record": record}
    best = dict.fromkeys(timed, float("inf"))
    for _ in range(rounds):
        for name, run in timed.items():
            started = time.process_time()
            run()
            best[name] = min(best[name], (time.process_time() - started) * 1e6 / len(payloads))
    return best


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--claims", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--ptp-rows", type=int, default=PTP_QUICK_ROWS)
    args = parser.parse_args(argv)
    best = stages(args.claims, args.rounds, args.ptp_rows)
    print("  ".join(f"{name} {us:.2f}" for name, us in best.items()), "(CPU us per 5-line claim)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
