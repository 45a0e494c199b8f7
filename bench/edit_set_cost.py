"""What each edit costs the offline engine: 5-line claims on the full-size reference, edit sets compared in one run.

    python -m bench.edit_set_cost [--quick] [--base N] [--claims N] [--json]

Times `Engine.run` over the same pre-decoded 5-line claims (bench.claims mix) with: the first N
built-in edits (the "before" set, default 4: the edits before the fee schedule indicator edits),
that set plus each later built-in edit alone, and every built-in edit. Rounds interleave the
engines, so load elsewhere on the machine hits them alike; each keeps its best round (CPU time,
one core). Prints one line per engine and the ratio of all edits to the base set.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable, Sequence
from typing import Any

from bench.claims import ClaimMaker
from bench.reference_full import full_size
from bench.timing import cpu_seconds
from contracts import Claim
from edits import Engine, load_default_reference
from edits.base import Edit
from edits.registry import BUILTIN_EDITS

CLAIMS = 20_000
QUICK_CLAIMS = 4_000
LINES = 5


def edit_sets(base: int) -> dict[str, Sequence[type[Edit]]]:
    before = BUILTIN_EDITS[:base]
    sets: dict[str, Sequence[type[Edit]]] = {f"first {base} edits": before}
    for edit in BUILTIN_EDITS[base:]:
        sets[f"first {base} + {edit.name}"] = (*before, edit)
    sets[f"all {len(BUILTIN_EDITS)} edits"] = BUILTIN_EDITS
    return sets


def measure(quick: bool = False, base: int = 4, claims_count: int | None = None) -> dict[str, Any]:
    count = claims_count or (QUICK_CLAIMS if quick else CLAIMS)
    rounds = 3 if quick else 7
    reference = full_size(load_default_reference())
    maker = ClaimMaker(seed=LINES)
    claims = [maker.claim(LINES) for _ in range(count)]
    engines = {name: Engine(reference, edits=edits) for name, edits in edit_sets(base).items()}
    best: dict[str, float] = {}
    for _ in range(rounds):
        for name, engine in engines.items():

            def work(run: Callable[[Claim], object] = engine.run) -> None:
                for claim in claims:
                    run(claim)

            work()  # warm caches and branch history before timing
            best[name] = min(best.get(name, float("inf")), cpu_seconds(work, rounds=1))
    rows = {name: {"claims_per_s": count / seconds, "us_per_claim": seconds / count * 1e6} for name, seconds in best.items()}
    first, every = next(iter(rows)), list(rows)[-1]
    return {
        "method": f"Engine.run over {count} pre-decoded {LINES}-line claims, full-size reference; CPU seconds, best of {rounds} "
        "interleaved rounds",
        "engines": rows,
        "all_over_base_claims_per_s": rows[every]["claims_per_s"] / rows[first]["claims_per_s"],
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.edit_set_cost", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer claims and rounds (noisier)")
    parser.add_argument("--base", type=int, default=4, help="the first N built-in edits are the base set (default: %(default)s)")
    parser.add_argument("--claims", type=int, help=f"claims timed per engine (default: {CLAIMS}, quick: {QUICK_CLAIMS})")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    if not 1 <= args.base <= len(BUILTIN_EDITS):
        parser.error(f"--base must be 1-{len(BUILTIN_EDITS)}")
    if args.claims is not None and args.claims < 1:
        parser.error("--claims must be at least 1")
    result = measure(args.quick, args.base, args.claims)
    if args.json:
        print(json.dumps(result, indent=2))
        return
    base_us = next(iter(result["engines"].values()))["us_per_claim"]
    for name, row in result["engines"].items():
        added = row["us_per_claim"] - base_us
        print(f"{name:<50} {row['claims_per_s']:>10,.0f} claims/s  {row['us_per_claim']:6.2f} us/claim  ({added:+5.2f})")
    print(f"all edits / base set, claims/s: {result['all_over_base_claims_per_s']:.3f}")
    print(result["method"])


if __name__ == "__main__":
    main()
