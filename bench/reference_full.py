"""Reference sets of production size for the cost curves: the bundled snapshot, and a full-size one.

The bundled snapshot already holds every fee schedule code (the real October 2025
PPRRVU file) but only curated MUE and add-on rows. Production loads the full NCCI
tables: about 15,000 MUE codes and about 3,000 add-on pairings. Those files are
not in the repository, so `full_size` makes tables of that size from the fee
schedule's own codes, deterministically: MUE values and MAIs drawn in the
proportions of the real table, add-on codes (global days ZZZ) paired with the
codes just before them, as real add-ons mostly are (11045 with 11042). The
curated real rows are kept as they are.

`padded` is the third variant: the bundled tables plus the same number of
synthetic rows for codes no benchmark claim bills, so only the size changes.
"""

from __future__ import annotations

import datetime as dt
import random

import msgspec

from bench.claims import CLEAN_CODES, FAMILIES, PROBLEMS
from edits import load_default_reference
from edits.reference.model import ADDON_GLOBAL_DAYS, CONTRACTOR_DEFINED_PRIMARY, AddOnPairing, MueEntry, Reference, ReferenceSet

MUE_CODES = 15_000
AOC_PAIRINGS = 3_000
SEED = 15_000

# Real-table proportions, roughly: many MUEs of 1, a long tail; MAI 2 and 3 (date of service) dominate.
MUE_VALUES = (1, 1, 1, 1, 2, 2, 3, 4, 6, 10, 20, 50)
MAI_WEIGHTS = ((1, 0.30), (2, 0.45), (3, 0.25))


def billed_codes() -> frozenset[str]:
    """Every code a benchmark claim can bill."""
    codes = {code for code, _ in CLEAN_CODES}
    codes |= {code for lines in FAMILIES + PROBLEMS for code, _, _ in lines}
    return frozenset(codes)


def _mai(rng: random.Random) -> int:
    return rng.choices([m for m, _ in MAI_WEIGHTS], weights=[w for _, w in MAI_WEIGHTS])[0]


def _synthetic_mue(codes: list[str], rng: random.Random, count: int) -> dict[str, MueEntry]:
    chosen = rng.sample(codes, min(count, len(codes)))
    return {code: MueEntry(value=rng.choice(MUE_VALUES), mai=_mai(rng), rationale="synthetic") for code in sorted(chosen)}


def _synthetic_addons(
    all_codes: list[str], addon_codes: list[str], rng: random.Random, pairings: int
) -> dict[str, tuple[AddOnPairing, ...]]:
    """Each add-on paired with a few of the codes just before it in code order (not add-ons themselves)."""
    position = {code: i for i, code in enumerate(all_codes)}
    addon_set = set(addon_codes)
    table: dict[str, tuple[AddOnPairing, ...]] = {}
    total = 0
    per_addon = max(1, round(pairings / max(1, len(addon_codes))))
    for code in addon_codes:
        if total >= pairings:
            break
        roll = rng.random()
        if roll < 0.03:
            table[code] = (AddOnPairing(CONTRACTOR_DEFINED_PRIMARY, 2, dt.date(2013, 1, 1)),)
            total += 1
            continue
        edit_type = 3 if roll < 0.08 else 1
        start = position[code]
        primaries: list[str] = []
        wanted = per_addon + rng.randint(-2, 3)
        for candidate in reversed(all_codes[max(0, start - 40) : start]):
            if candidate not in addon_set:
                primaries.append(candidate)
            if len(primaries) >= wanted:
                break
        rows = [AddOnPairing(p, edit_type, dt.date(2013, 1, 1)) for p in primaries or [all_codes[start - 1]]]
        if rng.random() < 0.1:  # some pairings end, as real ones do each quarter
            rows[-1] = msgspec.structs.replace(rows[-1], deleted=dt.date(2023, 12, 31))
        table[code] = tuple(rows)
        total += len(rows)
    return table


def full_size(base: ReferenceSet | None = None) -> ReferenceSet:
    """The full fee schedule with full-size MUE (about 15,000 codes) and add-on (about 3,000 pairings) tables."""
    base = base or load_default_reference()
    ref = base.references[0]
    rng = random.Random(SEED)
    codes = sorted(ref.fee_schedule)
    addon_codes = [code for code in codes if ref.fee_schedule[code].global_days == ADDON_GLOBAL_DAYS]
    mue = _synthetic_mue(codes, rng, MUE_CODES)
    mue.update(ref.mue)  # real curated rows win
    addons = _synthetic_addons(codes, addon_codes, rng, AOC_PAIRINGS)
    addons.update(ref.addons)
    version = f"{base.version}+synthetic-full-mue{len(mue)}-aoc{sum(map(len, addons.values()))}"
    full = msgspec.structs.replace(ref, version=version, mue=mue, addons=addons, sources=(*ref.sources, "synthetic"))
    return ReferenceSet(version=version, references=(full,), notes="benchmark: full-size synthetic MUE and AOC tables")


def padded(base: ReferenceSet | None = None) -> ReferenceSet:
    """The bundled tables plus full-size padding for codes no benchmark claim bills: same answers, bigger tables."""
    base = base or load_default_reference()
    ref = base.references[0]
    rng = random.Random(SEED + 1)
    billed = billed_codes()
    codes = sorted(code for code in ref.fee_schedule if code not in billed)
    addon_codes = [code for code in codes if ref.fee_schedule[code].global_days == ADDON_GLOBAL_DAYS]
    mue = _synthetic_mue(codes, rng, MUE_CODES)
    mue.update(ref.mue)
    addons = _synthetic_addons(codes, addon_codes, rng, AOC_PAIRINGS)
    addons = {code: rows for code, rows in addons.items() if not billed & {code, *(r.primary for r in rows)}}
    addons.update(ref.addons)
    version = f"{base.version}+padding-mue{len(mue)}-aoc{sum(map(len, addons.values()))}"
    bigger = msgspec.structs.replace(ref, version=version, mue=mue, addons=addons, sources=(*ref.sources, "padding"))
    return ReferenceSet(version=version, references=(bigger,), notes="benchmark: bundled answers, full-size tables")


def describe(refset: ReferenceSet) -> dict[str, int]:
    ref: Reference = refset.references[0]
    return {
        "fee_schedule_codes": len(ref.fee_schedule),
        "mue_codes": len(ref.mue),
        "aoc_addon_codes": len(ref.addons),
        "aoc_pairings": sum(len(rows) for rows in ref.addons.values()),
    }
