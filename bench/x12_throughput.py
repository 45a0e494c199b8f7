"""`python -m bench.x12_throughput`: what `claim-edit x12` maps per second on a large generated 837P file.

    python -m bench.x12_throughput [--claims 50000] [--per-transaction 1000] [--out FILE.json]

Writes a synthetic 005010X222A1 file (`bench.x12_files.many_claims`: one subscriber and one two-line claim
each, in transactions of --per-transaction claims), then times `workers.x12.read_837p` on it: the pre-pass,
pyx12's implementation-guide validation with the mapping callback, and the events. Reports claims/s,
segments/s, the file's size, CPU seconds and peak memory. One run, one process, one core.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from pathlib import Path

from bench import machine
from bench.x12_files import many_claims
from workers.x12 import Limits, read_837p


def measure(claims: int, per_transaction: int) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "large.837"
        path.write_text(many_claims(claims, per_transaction))
        size = path.stat().st_size
        segments = path.read_text().count("~")
        # Sized for the file: the defaults (docs/x12.md) would refuse more than 100,000 claims or 1,000,000 segments.
        limits = Limits(max_bytes=size + 1, max_segments=segments + 1, max_claims=claims + 1)
        cpu_before, wall_before = machine.own_cpu_seconds(), time.perf_counter()
        result = read_837p(path, limits)
        wall, cpu = time.perf_counter() - wall_before, machine.own_cpu_seconds() - cpu_before
    if result.refusals or len(result.events) != claims:
        raise SystemExit(f"expected {claims} events and no refusal, got {len(result.events)} and {result.refusals[:3]}")
    return {
        "claims": claims,
        "claims_per_transaction": per_transaction,
        "file_bytes": size,
        "segments": segments,
        "seconds": round(wall, 2),
        "cpu_seconds": round(cpu, 2),
        "claims_per_s": round(claims / wall),
        "claims_per_cpu_s": round(claims / cpu),  # the machine is shared: wall time includes other processes' turns
        "segments_per_s": round(segments / wall),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "machine": machine.describe(),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.x12_throughput", description=__doc__.split("\n\n")[0])
    parser.add_argument("--claims", type=int, default=50_000)
    parser.add_argument("--per-transaction", type=int, default=1_000)
    parser.add_argument("--out", type=Path, help="also write the figures as JSON here")
    args = parser.parse_args(argv)
    report = measure(args.claims, args.per_transaction)
    print(f"x12: {report['claims']:,} claims ({report['segments']:,} segments, {report['file_bytes']:,} bytes) mapped in "
          f"{report['seconds']} s ({report['cpu_seconds']} s CPU): {report['claims_per_s']:,} claims/s, "
          f"{report['claims_per_cpu_s']:,} claims per CPU second, {report['segments_per_s']:,} segments/s, "
          f"peak RSS {report['peak_rss_mb']} MB")
    if args.out is not None:
        args.out.write_text(json.dumps(report, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
