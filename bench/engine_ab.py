"""Engine A/B in one process: this tree's `edits` against another commit's, interleaved rounds, same claims.

Two processes minutes apart on a shared 2-core machine differ by more than most engine changes; one
process timing both, round by round, does not. The other commit's `edits/` package is extracted with
`git archive` into a temporary directory and imported as `edits_base` (its `edits.` imports renamed),
so both engines share `contracts`, the claims and the full-size reference tables.

    python -m bench.engine_ab [REV] [--quick]    # REV defaults to HEAD~1; prints us/claim per case

Cases, 5-line claims, full-size tables: the engine alone (`Engine.run`), and `Engine.run_with_history`
with an empty history, 3 earlier claims of the same date and provider, 10 earlier claims on other dates
(each history built per claim, as a store hands it over). CPU seconds, best of the rounds.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import io
import re
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import msgspec

from bench.claims import ClaimMaker
from bench.reference_full import PTP_QUICK_ROWS, PTP_ROWS, full_size
from bench.timing import cpu_seconds
from contracts import Claim
from edits import load_default_reference

CASES = ("alone", "empty", "same_day_3", "other_days_10")
_IMPORT = re.compile(r"\b(from|import) edits(\.|\s)")


def extract_base(rev: str, into: Path) -> None:
    """`edits/` of commit `rev` as the package `edits_base` under `into`."""
    archive = subprocess.run(["git", "archive", "--format=tar", rev, "edits"], check=True, capture_output=True).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    package = into / "edits_base"
    (into / "edits").rename(package)
    for path in package.rglob("*.py"):
        path.write_text(_IMPORT.sub(r"\1 edits_base\2", path.read_text(encoding="utf-8")), encoding="utf-8")


def _histories(engine_module: ModuleType, claims: list[Claim], count: int, *, same_day: bool) -> list[list[Any]]:
    """Per claim, `count` earlier claims of the same provider (ClaimMaker's one test NPI), as that engine's ClaimLines."""
    maker = ClaimMaker(seed=12)
    out: list[list[Any]] = []
    for claim in claims:
        day = claim.lines[0].date_of_service
        earlier = []
        for n in range(count):
            other = maker.claim(5)
            when = day if same_day else day - dt.timedelta(days=7 * (n + 1))
            other = msgspec.structs.replace(other, lines=tuple(msgspec.structs.replace(line, date_of_service=when) for line in other.lines))
            lines = engine_module.entering_history(other, ())
            if lines is not None:
                earlier.append(lines)
        out.append(earlier)
    return out


def _work(engine: Any, history_type: type, claims: list[Claim], histories: list[list[Any]] | None) -> Callable[[], None]:
    if histories is None:

        def alone() -> None:
            run = engine.run
            for claim in claims:
                run(claim)

        return alone

    def against() -> None:
        run_with_history = engine.run_with_history
        for claim, earlier in zip(claims, histories, strict=True):
            run_with_history(claim, history_type(earlier))

    return against


def compare(rev: str, quick: bool = False) -> dict[str, dict[str, float]]:
    count = 4_000 if quick else 20_000
    rounds = 5 if quick else 7
    reference = full_size(load_default_reference(), ptp_rows=PTP_QUICK_ROWS if quick else PTP_ROWS)
    maker = ClaimMaker(seed=11)
    claims = [maker.claim(5) for _ in range(count)]
    with tempfile.TemporaryDirectory(prefix="engine-ab-") as tmp:
        extract_base(rev, Path(tmp))
        sys.path.insert(0, tmp)
        try:
            sides: dict[str, tuple[ModuleType, ModuleType]] = {
                "base": (importlib.import_module("edits_base.engine"), importlib.import_module("edits_base.history")),
                "new": (importlib.import_module("edits.engine"), importlib.import_module("edits.history")),
            }
        finally:
            sys.path.remove(tmp)
    works: dict[tuple[str, str], Callable[[], None]] = {}
    for side, (engine_module, history_module) in sides.items():
        engine = engine_module.Engine(reference)
        history_type = history_module.PatientHistory
        works[(side, "alone")] = _work(engine, history_type, claims, None)
        works[(side, "empty")] = _work(engine, history_type, claims, [[] for _ in claims])
        works[(side, "same_day_3")] = _work(engine, history_type, claims, _histories(engine_module, claims, 3, same_day=True))
        works[(side, "other_days_10")] = _work(engine, history_type, claims, _histories(engine_module, claims, 10, same_day=False))
    best: dict[tuple[str, str], float] = {}
    for round_ in range(rounds):
        for case in CASES:
            for side in ("base", "new") if round_ % 2 == 0 else ("new", "base"):
                work = works[(side, case)]
                work()  # warm
                seconds = cpu_seconds(work, rounds=1)
                best[(side, case)] = min(best.get((side, case), float("inf")), seconds)
    return {
        case: {
            "base_us_per_claim": best[("base", case)] / count * 1e6,
            "new_us_per_claim": best[("new", case)] / count * 1e6,
            "new_over_base": best[("new", case)] / best[("base", case)],
        }
        for case in CASES
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m bench.engine_ab", description="this tree's engine against REV's, in one process")
    parser.add_argument("rev", nargs="?", default="HEAD~1", help="the commit to compare with (default HEAD~1)")
    parser.add_argument("--quick", action="store_true", help="250k PTP rows, 4,000 claims, 5 rounds")
    options = parser.parse_args()
    for case, figures in compare(options.rev, options.quick).items():
        print(
            f"{case:14s} {options.rev}: {figures['base_us_per_claim']:7.2f} us/claim   this tree: {figures['new_us_per_claim']:7.2f}"
            f"   ratio {figures['new_over_base']:.2f}"
        )
