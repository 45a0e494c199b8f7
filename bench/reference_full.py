"""Reference sets of production size for the cost curves: the bundled snapshot, and a full-size one.

The bundled snapshot already holds every fee schedule code (the real October 2025
PPRRVU file) but only curated MUE and add-on rows. Production loads the full NCCI
tables: about 15,000 MUE codes and about 3,000 add-on pairings. Those files are
not in the repository, so `full_size` makes tables of that size from the fee
schedule's own codes, deterministically: MUE values and MAIs drawn in the
proportions of the real table, add-on codes (global days ZZZ) paired with the
codes just before them, as real add-ons mostly are (11045 with 11042). The
curated real rows are kept as they are.

The NCCI PTP table is made the same way (`synthetic_ptp`): 2.5 million rows, as
the four practitioner files of a quarter hold, active and deleted; 4,000
column-one codes with a long tail of column-two codes each (30 to 3,000, about
625 on average), dates over 1996-2026, modifier indicators and rationales in
plausible proportions. Every code a benchmark claim bills is a column-one code
(the costly case for the edit: each such line is tested against the claim);
column-two codes are drawn mostly from the column-one code's neighbours in code
order (its family, as real pairs mostly are) and some from anywhere, but never
among the billed codes, and `BENCH_PAIRS` adds ten everyday pairs of the claim
mix: a few per cent of the claims carry a pair, so the edit does real work.

`padded` is the third variant: the bundled tables plus the same number of
synthetic rows for codes no benchmark claim bills, so only the size changes.
"""

from __future__ import annotations

import bisect
import datetime as dt
import functools
import random

import msgspec

from bench.claims import CLEAN_CODES, FAMILIES, PROBLEMS
from edits import load_default_reference
from edits.reference.model import ADDON_GLOBAL_DAYS, CONTRACTOR_DEFINED_PRIMARY, AddOnPairing, MueEntry, Reference, ReferenceSet
from edits.reference.ptp_table import NOT_DELETED, PtpBuilder, PtpTable, day_number

MUE_CODES = 15_000
AOC_PAIRINGS = 3_000
SEED = 15_000

# Real-table proportions, roughly: many MUEs of 1, a long tail; MAI 2 and 3 (date of service) dominate.
MUE_VALUES = (1, 1, 1, 1, 2, 2, 3, 4, 6, 10, 20, 50)
MAI_WEIGHTS = ((1, 0.30), (2, 0.45), (3, 0.25))

PTP_ROWS = 2_500_000
PTP_QUICK_ROWS = 250_000
PTP_COLUMN_ONE = 4_000
PTP_RATIONALES = (
    "Standards of medical/surgical practice",
    "Misuse of Column Two code with Column One code",
    "CPT Manual or CMS manual coding instruction",
    "Mutually exclusive procedures",
    "More extensive procedure",
    "Laboratory panel",
    "Anesthesia service included in surgical procedure",
    "HCPCS/CPT procedure code definition",
    "NCCI policy",
    "Sequential procedure",
)
# Everyday pairs of the benchmark's claim mix (made up, in the spirit of real ones): an E/M visit with a joint
# injection (25 on the visit bypasses it), two therapy codes (59 bypasses), a panel with its components (nothing does).
BENCH_PAIRS = (
    ("20610", "99213", 1), ("20610", "99214", 1), ("97530", "97140", 1), ("97530", "97110", 1), ("97161", "97140", 1),
    ("80053", "82947", 0), ("80053", "82565", 0), ("93000", "93005", 0), ("93000", "93010", 0), ("17000", "17110", 1),
)  # fmt: skip


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


def _quarter_starts() -> list[int]:
    return [day_number(dt.date(year, month, 1)) for year in range(1996, 2027) for month in (1, 4, 7, 10)]


def _ptp_rows(builder: PtpBuilder, codes: list[str], column_ones: list[str], rng: random.Random, rows: int) -> None:
    """About `rows` rows over `column_ones` (column-two codes from `codes`), long-tailed counts, dates and indicators."""
    # Long-tailed column-two counts: a few dozen to 3,000 per column-one code. About 7% of drawn pairs become two rows
    # (deleted, then added again) and a few draw the column-one code itself, so draw that much fewer.
    weights = [rng.lognormvariate(0, 0.9) for _ in column_ones]
    scale = rows / 1.045 / sum(weights)
    counts = [max(30, min(3_000, round(weight * scale))) for weight in weights]
    starts = _quarter_starts()
    last = len(starts) - 1
    for one, count in zip(column_ones, counts, strict=True):
        # Most column-two codes are the column-one code's neighbours in code order (its family, as real pairs mostly
        # are: 29880 with 29870-29877), the rest anywhere.
        position = bisect.bisect_left(codes, one)
        near = range(max(0, position - 3 * count), min(len(codes), position + 3 * count))
        local = min(len(near), round(count * 0.9))
        for index in [*rng.sample(near, local), *rng.sample(range(len(codes)), count - local)]:
            two = codes[index]
            if two == one:
                continue
            roll = rng.random()
            start = rng.randint(0, last)
            effective = starts[start]
            rationale = PTP_RATIONALES[int(roll * 997) % len(PTP_RATIONALES)]
            if roll < 0.03:  # indicator 9: deleted the day it took effect
                builder.add_numbers(one, two, effective, effective, 9, rationale)
            elif roll < 0.10 and start < last:  # deleted, then added again with another indicator
                end = starts[rng.randint(start + 1, last)] - 1
                builder.add_numbers(one, two, effective, end, 0, rationale)
                builder.add_numbers(one, two, end + 1, NOT_DELETED, 1, rationale)
            elif roll < 0.22 and start < last:  # deleted for good
                builder.add_numbers(one, two, effective, starts[rng.randint(start + 1, last)] - 1, 1 if roll < 0.18 else 0, rationale)
            else:
                builder.add_numbers(one, two, effective, NOT_DELETED, 0 if roll < 0.40 else 1, rationale)


@functools.cache
def synthetic_ptp(rows: int = PTP_ROWS, *, avoid_billed: bool = False) -> PtpTable:
    """A PTP table of production size and shape over the fee schedule's codes (see the module docstring); built once."""
    ref = load_default_reference().references[0]
    rng = random.Random(SEED + 2 + avoid_billed)
    billed = billed_codes()
    codes = sorted(ref.fee_schedule)
    # Column-two codes are never billed codes, but for BENCH_PAIRS: pairs drawn at random among the ~75 everyday codes
    # of the claim mix would put a PTP finding on half the claims, which no real claim stream shows.
    others = [code for code in codes if code not in billed]
    if avoid_billed:  # padding: no code a claim bills appears in either column
        column_ones = sorted(rng.sample(others, PTP_COLUMN_ONE))
    else:
        mine = sorted(code for code in billed if code in ref.fee_schedule)
        column_ones = sorted(mine + rng.sample(others, PTP_COLUMN_ONE - len(mine)))
    builder = PtpBuilder()
    _ptp_rows(builder, others, column_ones, rng, rows)
    if not avoid_billed:
        for one, two, indicator in BENCH_PAIRS:
            builder.add_numbers(one, two, day_number(dt.date(2013, 1, 1)), NOT_DELETED, indicator, PTP_RATIONALES[0])
    return builder.build()


def without_ptp(refset: ReferenceSet) -> ReferenceSet:
    """The same reference set with an empty PTP table: the baseline the PTP edit's cost is measured against."""
    refs = tuple(msgspec.structs.replace(ref, ptp=PtpTable()) for ref in refset.references)
    return msgspec.structs.replace(refset, version=refset.version + "-noptp", references=refs)


def full_size(base: ReferenceSet | None = None, ptp_rows: int = PTP_ROWS) -> ReferenceSet:
    """The full fee schedule with full-size MUE (about 15,000 codes), add-on (about 3,000 pairings) and PTP (2.5 M rows) tables."""
    base = base or load_default_reference()
    ref = base.references[0]
    rng = random.Random(SEED)
    codes = sorted(ref.fee_schedule)
    addon_codes = [code for code in codes if ref.fee_schedule[code].global_days == ADDON_GLOBAL_DAYS]
    mue = _synthetic_mue(codes, rng, MUE_CODES)
    mue.update(ref.mue)  # real curated rows win
    addons = _synthetic_addons(codes, addon_codes, rng, AOC_PAIRINGS)
    addons.update(ref.addons)
    ptp = synthetic_ptp(ptp_rows)
    version = f"{base.version}+synthetic-full-mue{len(mue)}-aoc{sum(map(len, addons.values()))}-ptp{len(ptp)}"
    full = msgspec.structs.replace(ref, version=version, mue=mue, addons=addons, ptp=ptp, sources=(*ref.sources, "synthetic"))
    return ReferenceSet(version=version, references=(full,), notes="benchmark: full-size synthetic MUE, AOC and PTP tables")


def padded(base: ReferenceSet | None = None, ptp_rows: int = PTP_ROWS) -> ReferenceSet:
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
    ptp = synthetic_ptp(ptp_rows, avoid_billed=True)
    version = f"{base.version}+padding-mue{len(mue)}-aoc{sum(map(len, addons.values()))}-ptp{len(ptp)}"
    bigger = msgspec.structs.replace(ref, version=version, mue=mue, addons=addons, ptp=ptp, sources=(*ref.sources, "padding"))
    return ReferenceSet(version=version, references=(bigger,), notes="benchmark: bundled answers, full-size tables")


def describe(refset: ReferenceSet) -> dict[str, int]:
    ref: Reference = refset.references[0]
    return {
        "fee_schedule_codes": len(ref.fee_schedule),
        "mue_codes": len(ref.mue),
        "aoc_addon_codes": len(ref.addons),
        "aoc_pairings": sum(len(rows) for rows in ref.addons.values()),
        "ptp_rows": len(ref.ptp),
        "ptp_column_one_codes": len(ref.ptp.groups),
    }
