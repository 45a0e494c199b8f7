"""Replay throughput from a file, in-process, on one core: `python -m bench.replay_throughput [--count N]`.

Writes N synthetic claim.submitted events (bench/claims.py: realistic code mix,
5-line claims by default) and their baseline (`claim.edited` results, as the
worker records them) to a temporary directory, then times what `claim-edit
replay --events FILE --baseline FILE` does: read the baseline, replay
every event through the engine, compare, and render the JSON report. Prints
events/s and the machine. The baseline is in event order (read in step, as the
output of `claim-edit check` is); `--shuffled` puts it in another order, which
times the indexed path. `--mue FILE` replays with a changed MUE table, so the
changed-claim path is timed too; `--profile` prints the top of a cProfile.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import platform
import pstats
import random
import sys
import tempfile
import time
from pathlib import Path

from bench.claims import ClaimMaker
from bench.machine import cpu_model
from contracts import encode
from edits import Engine, load_default_reference
from workers.history.offline import HistoryEditor
from workers.reference_args import engine_from_args
from workers.replay.baseline import FileBaseline
from workers.replay.report import render_json
from workers.replay.runner import Side, Tally, replay_events
from workers.replay.sources import FileLines, decode_line


def write_inputs(directory: Path, count: int, n_lines: int, shuffled: bool = False) -> tuple[Path, Path]:
    """The events, and their results in the same order (read in step) or shuffled (read through the index)."""
    events_path, baseline_path = directory / "events.jsonl", directory / "baseline.jsonl"
    engine = Engine(load_default_reference())
    maker = ClaimMaker()
    results: list[bytes] = []
    with events_path.open("wb") as events:
        for event in maker.events(count, n_lines):
            events.write(encode(event) + b"\n")
            results.append(encode(engine.edit(event, source_stream_id="0-1")) + b"\n")
    if shuffled:
        random.Random(7).shuffle(results)
    baseline_path.write_bytes(b"".join(results))
    return events_path, baseline_path


class Round:
    """One timed replay: wall and CPU seconds for the whole run, and whether the baseline was read in step."""

    def __init__(self, events: Path, baseline_path: Path, candidate: Engine) -> None:
        wall, cpu = time.perf_counter(), time.process_time()
        baseline = FileBaseline(baseline_path)
        self.tally = Tally("line", "any")
        replay_events(FileLines(events), decode_line, self.tally, HistoryEditor(candidate, None), baseline)  # as recorded: alone
        summary = self.tally.summary(Side(description="baseline"), Side(description="candidate"), baseline, None)
        render_json(summary, self.tally.spool, io.StringIO())
        self.wall, self.cpu = time.perf_counter() - wall, time.process_time() - cpu
        self.in_step = baseline.in_step
        baseline.close()
        self.tally.spool.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=200_000, help="events to replay [default 200000]")
    parser.add_argument("--lines", type=int, default=5, help="service lines per claim [default 5]")
    parser.add_argument("--mue", type=Path, help="candidate MUE table (CMS layout), to time changed claims too")
    parser.add_argument("--shuffled", action="store_true", help="baseline in another order than the events: the indexed path")
    parser.add_argument("--rounds", type=int, default=3, help="timed rounds; the best is reported [default 3]")
    parser.add_argument("--profile", action="store_true", help="print the 25 most expensive functions")
    args = parser.parse_args(argv)
    candidate = engine_from_args(argparse.Namespace(reference=None, pfs=None, mue=args.mue, aoc=None, effective=None, policy=None))
    with tempfile.TemporaryDirectory() as tmp:
        events, baseline = write_inputs(Path(tmp), args.count, args.lines, args.shuffled)
        size_mb = events.stat().st_size / 1e6
        Round(events, baseline, candidate)  # warm the page cache and the code paths
        profiler = cProfile.Profile() if args.profile else None
        if profiler:
            profiler.enable()
        rounds = [Round(events, baseline, candidate) for _ in range(max(1, args.rounds))]
        if profiler:
            profiler.disable()
    best = min(rounds, key=lambda one: one.cpu)
    totals = best.tally.totals
    print(f"machine: {cpu_model()}, {os.cpu_count()} cores, {platform.system()} {platform.release()}, "
          f"Python {platform.python_version()} ({sys.implementation.name}), one process")
    print(f"input: {args.count:,} events of {args.lines} lines ({size_mb:.0f} MB), baseline of {args.count:,} results")
    print(f"result: {totals.events:,} events, {totals.changed:,} changed, {totals.unchanged:,} unchanged, "
          f"{totals.without_baseline:,} without baseline, {totals.unreadable:,} unreadable")
    path = "read in step with the events (no index)" if best.in_step else "indexed (not in event order)"
    print(f"baseline: {path}; best of {len(rounds)} rounds by CPU time: {best.cpu:.2f} s CPU ({best.wall:.2f} s wall)")
    print(f"throughput: {args.count / best.cpu:,.0f} events/s per CPU second ({args.count / best.wall:,.0f}/s wall)")
    if profiler:
        pstats.Stats(profiler).sort_stats("tottime").print_stats(25)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
