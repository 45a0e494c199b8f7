"""The reference and policy flags every command shares (`check`, `worker`, `replay`), and how they resolve.

- `--reference SNAPSHOT` (repeatable): compiled snapshots; their periods are combined.
- `--pfs/--mue/--aoc FILE`, `--ptp FILE` (repeatable: CMS ships the PTP table in four
  parts): CMS files read as published, forming one more period (`--effective FROM:TO`,
  open by default). A table not named is taken from the bundled snapshot, so
  `--mue next-quarter.csv` alone means "today's data, new MUEs".
- neither: the bundled snapshot.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
from pathlib import Path

import msgspec

from edits import Engine, Policy, load_default_reference, load_policy, load_snapshot
from edits.reference.model import ReferenceSet
from edits.reference.snapshot import build_reference, combine


class UsageError(ValueError):
    """A flag value that cannot be used; the CLI prints it and exits 2."""


def add_reference_arguments(parser: argparse.ArgumentParser, *, env: bool = False) -> None:
    group = parser.add_argument_group("reference data and policy")
    default_refs = os.environ.get("CLAIMEDIT_REFERENCE") if env else None
    group.add_argument(
        "--reference",
        action="append",
        type=Path,
        default=[Path(p) for p in default_refs.split(",")] if default_refs else None,
        metavar="SNAPSHOT",
        help="compiled reference snapshot (repeatable; periods combine)" + (" [env CLAIMEDIT_REFERENCE]" if env else ""),
    )
    group.add_argument("--pfs", type=Path, metavar="FILE", help="CMS PFS relative value file (PPRRVU CSV)")
    group.add_argument("--mue", type=Path, metavar="FILE", help="NCCI practitioner MUE table (CSV or XLSX)")
    group.add_argument("--aoc", type=Path, metavar="FILE", help="NCCI add-on code edit table (XLSX or CSV)")
    group.add_argument(
        "--ptp", action="append", type=Path, metavar="FILE",
        help="NCCI practitioner PTP table (tab-delimited TXT or XLSX; repeatable: CMS ships four parts per quarter)",
    )
    group.add_argument(
        "--effective", metavar="FROM:TO", help="period the --pfs/--mue/--aoc/--ptp files apply to, e.g. 2026-07-01:2026-09-30"
    )
    group.add_argument(
        "--policy",
        type=Path,
        default=Path(os.environ["CLAIMEDIT_POLICY"]) if env and os.environ.get("CLAIMEDIT_POLICY") else None,
        metavar="FILE",
        help="policy TOML: edits on/off, severities, options" + (" [env CLAIMEDIT_POLICY]" if env else ""),
    )


def parse_period(text: str | None) -> tuple[dt.date | None, dt.date | None]:
    if not text:
        return None, None
    start, sep, end = text.partition(":")
    if not sep:
        raise UsageError(f"--effective {text!r}: expected FROM:TO, e.g. 2026-07-01:2026-09-30 (either side may be empty)")
    try:
        first = dt.date.fromisoformat(start) if start else None
        last = dt.date.fromisoformat(end) if end else None
    except ValueError as error:
        raise UsageError(f"--effective {text!r}: {error}") from None
    if first and last and last < first:
        raise UsageError(f"--effective {text!r}: the period ends before it starts")
    return first, last


def resolve_reference(args: argparse.Namespace) -> ReferenceSet:
    snapshots = [load_snapshot(path) for path in (args.reference or [])]
    ptp = getattr(args, "ptp", None) or []
    if not (args.pfs or args.mue or args.aoc or ptp):
        if args.effective:
            raise UsageError("--effective applies to --pfs/--mue/--aoc/--ptp files; none was given")
        return combine(*snapshots) if snapshots else load_default_reference()
    start, end = parse_period(args.effective)
    built = build_reference(pfs=args.pfs, mue=args.mue, aoc=args.aoc, ptp=ptp, effective_from=start, effective_to=end)
    bundled = load_default_reference().references[0]
    period = built.references[0]
    given = (("pfs", args.pfs), ("mue", args.mue), ("aoc", args.aoc), ("ptp", ptp))
    borrowed = tuple(f"bundled:{name}" for name, value in given if not value)
    filled = msgspec.structs.replace(
        period,
        fee_schedule=period.fee_schedule if args.pfs else bundled.fee_schedule,
        mue=period.mue if args.mue else bundled.mue,
        addons=period.addons if args.aoc else bundled.addons,
        ptp=period.ptp if ptp else bundled.ptp,
        sources=period.sources + borrowed,
    )
    built = msgspec.structs.replace(built, references=(filled,))
    return combine(*snapshots, built) if snapshots else built


def resolve_policy(args: argparse.Namespace) -> Policy:
    return load_policy(args.policy)


def engine_from_args(args: argparse.Namespace) -> Engine:
    return Engine(resolve_reference(args), resolve_policy(args))
