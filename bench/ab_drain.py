"""A/B drains of two (or more) checkouts in one run: the same Redis, claims and reference, runs interleaved.

    python -m bench.ab_drain --tree base=/tmp/base --tree new=. [--rounds 3] [--claims 60000] [--history both] [--naive 1000]
                             [--mix heavy]

Each round drains the same pre-filled stream once per checkout (the order alternates between rounds) with
`bench.throughput.drain`: one `claim-edit worker` process started from that checkout (its directory is the
process's working directory and PYTHONPATH), full-size reference. A checkout is any directory with this
repository's layout, e.g. `git archive <commit> | tar -x -C /tmp/base`. Prints each run and the medians:
on a shared machine CPU per claim is the steadier figure, and "other cores" says how busy the rest was.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import redis

from bench import throughput
from bench.claims import MIX_SEEDS, MIXES, ClaimMaker
from bench.processes import Process
from bench.reference_full import PTP_ROWS, full_size
from edits import load_default_reference
from edits.reference.snapshot import save_snapshot
from workers.embedded_redis import given_or_embedded


class _Checkout:
    """Which checkout the next process starts from (set before each drain)."""

    path = str(Path(__file__).resolve().parents[1])


class CheckoutProcess(Process):
    """A `bench.processes.Process` started from `_Checkout.path` instead of this checkout."""

    def __init__(self, name: str, command: list[str], log_dir: Path) -> None:  # same fields, another start
        self.name = name
        self.log_path = log_dir / f"{name}.log"
        self._log = self.log_path.open("wb")
        env = {**os.environ, "PYTHONPATH": _Checkout.path}
        self.popen = subprocess.Popen(command, stdout=self._log, stderr=subprocess.STDOUT, env=env, cwd=_Checkout.path)


def _line(label: str, run: dict[str, Any]) -> str:
    held = run.get("published")
    findings = f", {held['findings_per_claim']:.2f} findings/claim" if held else ""
    return (f"{label}: {run['claims_per_s']:,.0f} claims/s, worker CPU {run['process_cpu_us_per_claim']:.1f} us/claim, "
            f"Redis CPU {run['redis']['cpu_us_per_claim']:.1f} us/claim, other cores {run['cores_busy']['other']:.2f}{findings}")


def _drains(args: argparse.Namespace, trees: list[tuple[str, ...]], modes: list[bool], runs: dict[str, list[dict[str, Any]]]) -> None:
    with tempfile.TemporaryDirectory(prefix="claimedit-ab-") as scratch, given_or_embedded(None) as url:
        tmp = Path(scratch)
        client = redis.Redis.from_url(url)
        reference = tmp / "full.snapshot"
        save_snapshot(full_size(load_default_reference(), ptp_rows=args.ptp_rows), reference)
        key_file = tmp / "history.key"
        key_file.write_text(os.urandom(32).hex())
        payloads = ClaimMaker(seed=MIX_SEEDS[args.mix], mix=args.mix).payloads(args.claims, 5)
        if args.naive:
            run = throughput.drain(client, url, payloads[: args.naive], kind="naive", reference=reference, log_dir=tmp)
            runs["naive"] = [run]
            print(_line("naive", run), flush=True)
        for round_number in range(args.rounds):
            for history in modes:
                for name, path in trees if round_number % 2 == 0 else trees[::-1]:
                    _Checkout.path = path
                    flags = ("--history", "--history-key-file", str(key_file)) if history else ()
                    run = throughput.drain(client, url, payloads, kind="worker", reference=reference, log_dir=tmp, worker_flags=flags)
                    label = f"{name}/{'history' if history else 'no-history'}"
                    runs.setdefault(label, []).append(run)
                    print(_line(f"round {round_number} {label}", run), flush=True)
        client.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tree", action="append", required=True, help="name=path of a checkout (repeat)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--claims", type=int, default=60_000)
    parser.add_argument("--mix", choices=MIXES, default="bench", help="claim mix (bench/claims.py; default: %(default)s)")
    parser.add_argument("--history", choices=("off", "on", "both"), default="both")
    parser.add_argument("--ptp-rows", type=int, default=PTP_ROWS)
    parser.add_argument("--naive", type=int, default=0, help="claims for one naive FastStream baseline run (0: none)")
    parser.add_argument("--out", type=Path, help="JSON of every run")
    args = parser.parse_args(argv)
    trees = [tuple(tree.split("=", 1)) for tree in args.tree]
    modes = {"off": [False], "on": [True], "both": [False, True]}[args.history]
    runs: dict[str, list[dict[str, Any]]] = {}
    started_from = throughput.Process  # type: ignore[attr-defined]
    throughput.Process = CheckoutProcess  # type: ignore[attr-defined]  # the drains start their processes from _Checkout.path
    try:
        _drains(args, trees, modes, runs)
    finally:
        throughput.Process = started_from  # type: ignore[attr-defined]
        _Checkout.path = str(Path(__file__).resolve().parents[1])
    print("\nmedians (min-max):")
    for label, done in runs.items():
        rate = [r["claims_per_s"] for r in done]
        cpu = [r["process_cpu_us_per_claim"] for r in done]
        print(f"{label:22s} {statistics.median(rate):8,.0f} claims/s ({min(rate):,.0f}-{max(rate):,.0f})  worker CPU "
              f"{statistics.median(cpu):5.1f} us/claim ({min(cpu):.1f}-{max(cpu):.1f})  Redis CPU "
              f"{statistics.median(r['redis']['cpu_us_per_claim'] for r in done):5.1f}  other cores "
              f"{statistics.median(r['cores_busy']['other'] for r in done):.2f}")
    if args.out:
        args.out.write_text(json.dumps(runs, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
