"""Engine A/B in one process: this tree's `edits` against another commit's, interleaved rounds, same claims.

Two processes minutes apart on a shared 2-core machine differ by more than most engine changes; one
process timing both, round by round, does not. The other commit's `edits/` package is extracted with
`git archive` into a temporary directory and imported as `edits_base` (its `edits.` imports renamed),
so both engines share `contracts`, the claims and the full-size reference tables.

    python -m bench.engine_ab [REV] [--quick]    # REV defaults to HEAD~1; prints us/claim per case
    python -m bench.engine_ab [REV] --same 6000  # no timing: the same findings and history changes, byte for byte?

Cases, 5-line claims, full-size tables: the engine alone (`Engine.run`), and `Engine.run_with_history`
with an empty history, 3 earlier claims of the same date and provider, 10 earlier claims on other dates
(each history built per claim, as a store hands it over). CPU seconds, best of the rounds.

`--same N` checks that a change to the engine changes no answer: N generated patients (1-6 claims each, mixed
dates, providers, modifiers, units, replacements, voids and claims sent twice) run through both engines, each
keeping its own history (its own `apply_change`), over four reference sets (bundled, full-size, a dense PTP table
over the billed codes, the dense one split into two periods) and three policies; every claim's findings and
history change (msgpack) and its findings without history must be equal bytes.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import io
import random
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
from bench.reference_full import PTP_QUICK_ROWS, PTP_ROWS, billed_codes, full_size
from bench.timing import cpu_seconds
from contracts import Claim, ServiceLine
from edits import load_default_reference
from edits.policy import DEFAULT_POLICY, Policy, parse_policy
from edits.reference.model import ReferenceSet
from edits.reference.ptp_table import PtpBuilder, day_number

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


SAME_DAYS = (dt.date(2025, 3, 3), dt.date(2025, 3, 4), dt.date(2025, 3, 5))
EARLIER = dt.timedelta(days=1)
SAME_NPIS = ("1234567893", "1003000126", "1497758544")
SAME_MODIFIERS = ("59", "25", "RT", "LT", "50", "51", "76", "91", "XS", "GP", "26", "80", "62")


def _dense_ptp(rng: random.Random, codes: list[str]) -> Any:
    """PTP rows among the billed codes (each a column one of about 8 of them, itself sometimes), dates around SAME_DAYS."""
    builder = PtpBuilder()
    near = [day_number(SAME_DAYS[0]) - 400, day_number(SAME_DAYS[1]), day_number(SAME_DAYS[2]) + 1]
    for one in codes:
        for two in rng.sample(codes, 8):
            indicator = rng.choice((0, 1, 1, 9))
            effective = rng.choice(near[:2])
            deleted = rng.choice((0xFFFF, 0xFFFF, 0xFFFF, near[1], near[2]))
            if indicator == 9:
                deleted = effective
            builder.add_numbers(one, two, effective, max(effective, deleted), indicator, f"rationale {rng.randint(0, 3)}")
    return builder.build()


def same_references() -> dict[str, ReferenceSet]:
    bundled = load_default_reference()
    rng = random.Random(5)
    codes = sorted(billed_codes())
    dense = msgspec.structs.replace(bundled.references[0], ptp=_dense_ptp(rng, codes))
    first = msgspec.structs.replace(dense, version="period-1", effective_to=SAME_DAYS[1])
    second_mue = {code: msgspec.structs.replace(mue, value=mue.value + 1) for code, mue in dense.mue.items()}
    second = msgspec.structs.replace(
        dense, version="period-2", effective_from=SAME_DAYS[1] + dt.timedelta(days=1), mue=second_mue, ptp=_dense_ptp(rng, codes)
    )
    return {
        "bundled": bundled,
        "full": full_size(bundled, ptp_rows=PTP_QUICK_ROWS),
        "dense": ReferenceSet(version="dense", references=(dense,)),
        "two-periods": ReferenceSet(version="two", references=(first, second)),
    }


def same_policies(edit_names: list[str]) -> dict[str, Policy]:
    return {
        "default": DEFAULT_POLICY,
        "ptp column-two": parse_policy('[edits.ptp-bundled-code]\nmodifier_on = "column-two"\n'),
        "all review": parse_policy("".join(f'[edits.{name}]\nseverity = "review"\n' for name in edit_names)),
    }


def same_patients(count: int, seed: int = 3) -> list[list[Claim]]:
    """`count` patients' claims in arrival order: lines of few codes on few days and providers, so they meet."""
    rng = random.Random(seed)
    codes = sorted(billed_codes())
    patients: list[list[Claim]] = []
    for p in range(count):
        pool = rng.sample(codes, rng.randint(3, 12))  # a patient's codes: repeats across claims
        claims: list[Claim] = []
        for c in range(rng.randint(1, 6)):
            lines = []
            for number in range(1, rng.randint(1, 8) + 1):
                if claims and rng.random() < 0.2:  # a line of an earlier claim again: duplicates, MUE sums, PTP across claims
                    lines.append(msgspec.structs.replace(rng.choice(rng.choice(claims).lines), line_number=number))
                    continue
                lines.append(
                    ServiceLine(
                        line_number=number,
                        code=rng.choice(pool),
                        modifiers=tuple(rng.sample(SAME_MODIFIERS, rng.choice((0, 0, 0, 1, 1, 2)))),
                        units=rng.choice((1, 1, 1, 2, 3, 1.5)),
                        date_of_service=rng.choice(SAME_DAYS) if rng.random() < 0.9 else SAME_DAYS[0] - EARLIER * rng.randint(1, 900),
                        rendering_provider_npi=rng.choice((None, None, None, *SAME_NPIS)),
                    )
                )
            claim_id, frequency, original = f"C{p}-{c}", None, None
            roll = rng.random()
            if claims and roll < 0.1:
                claim_id = rng.choice(claims).claim_id  # sent again under its own id
            elif claims and roll < 0.25:
                frequency, original = rng.choice(("7", "8")), rng.choice([*(k.claim_id for k in claims), "UNKNOWN", None])
            claims.append(
                Claim(
                    claim_id=claim_id,
                    patient_id=f"P{p}",
                    billing_provider_npi=SAME_NPIS[0],
                    rendering_provider_npi=rng.choice((None, None, SAME_NPIS[1])),
                    claim_frequency_code=frequency,
                    original_claim_id=original,
                    lines=tuple(lines),
                )
            )
        patients.append(claims)
    return patients


def same(rev: str, count: int) -> int:
    """The scenarios above through REV's engine and this tree's; prints the claims compared, returns the differences."""
    with tempfile.TemporaryDirectory(prefix="engine-same-") as tmp:
        extract_base(rev, Path(tmp))
        sys.path.insert(0, tmp)
        try:
            modules = {
                side: (importlib.import_module(f"{package}.engine"), importlib.import_module(f"{package}.history"))
                for side, package in (("base", "edits_base"), ("new", "edits"))
            }
        finally:
            sys.path.remove(tmp)
    encode = msgspec.msgpack.Encoder().encode
    patients = same_patients(count)
    compared = differences = 0
    for ref_name, reference in same_references().items():
        names = [edit.name for edit in modules["new"][0].Engine(reference).edits]
        for policy_name, policy in same_policies(names).items():
            engines = {side: engine_module.Engine(reference, policy) for side, (engine_module, _) in modules.items()}
            for claims in patients:
                stores: dict[str, dict[str, Any]] = {"base": {}, "new": {}}
                for claim in claims:
                    answers = {}
                    for side, (_, history_module) in modules.items():
                        engine, store = engines[side], stores[side]
                        findings, change = engine.run_with_history(claim, history_module.PatientHistory(store.values()))
                        answers[side] = (encode(findings), encode(change), encode(engine.run(claim)))
                        history_module.apply_change(store, change)
                    compared += 1
                    if answers["base"] != answers["new"]:
                        differences += 1
                        if differences <= 5:
                            print(f"differs: {ref_name}, {policy_name}, claim {claim.claim_id} of {claim.patient_id}")
            print(f"{ref_name:12s} {policy_name:15s} compared {compared} claims, {differences} differ", flush=True)
    return differences


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m bench.engine_ab", description="this tree's engine against REV's, in one process")
    parser.add_argument("rev", nargs="?", default="HEAD~1", help="the commit to compare with (default HEAD~1)")
    parser.add_argument("--quick", action="store_true", help="250k PTP rows, 4,000 claims, 5 rounds")
    parser.add_argument("--same", type=int, metavar="N", help="no timing: compare answers over N generated patients")
    options = parser.parse_args()
    if options.same:
        sys.exit(1 if same(options.rev, options.same) else 0)
    for case, figures in compare(options.rev, options.quick).items():
        print(
            f"{case:14s} {options.rev}: {figures['base_us_per_claim']:7.2f} us/claim   this tree: {figures['new_us_per_claim']:7.2f}"
            f"   ratio {figures['new_over_base']:.2f}"
        )
