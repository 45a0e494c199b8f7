"""`claim-edit reference`: compile CMS files into a snapshot (`build`) and describe a snapshot (`info`).

    claim-edit reference build --pfs PPRRVU2026_Jul.csv --mue MUE_2026Q3.csv --aoc AOC_2026Q3.xlsx \\
        --ptp ccipra-v323r0-f1.txt --ptp ccipra-v323r0-f2.txt --ptp ccipra-v323r0-f3.txt --ptp ccipra-v323r0-f4.txt \\
        --effective 2026-07-01:2026-09-30 -o 2026Q3.snapshot
    claim-edit reference info 2026Q3.snapshot
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path
from typing import IO, Any

from edits.reference.files import ReferenceFileError
from edits.reference.model import ReferenceSet
from edits.reference.snapshot import SnapshotError, build_reference, load_snapshot, save_snapshot
from workers.reference_args import UsageError, parse_period


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "reference",
        help="build a reference snapshot from CMS files, or describe one",
        description="Compile CMS reference files (PFS PPRRVU, NCCI MUE, NCCI add-on codes, NCCI PTP) into a snapshot the workers load.",
    )
    actions = parser.add_subparsers(dest="reference_command", required=True, metavar="ACTION")

    build = actions.add_parser(
        "build",
        help="compile CMS files into one snapshot file",
        description="Read the CMS files as published and write one snapshot with one effective period.",
    )
    build.add_argument("--pfs", type=Path, metavar="FILE", help="PFS relative value file (PPRRVU, CSV or XLSX)")
    build.add_argument("--mue", type=Path, metavar="FILE", help="NCCI practitioner MUE table (CSV or XLSX)")
    build.add_argument("--aoc", type=Path, metavar="FILE", help="NCCI add-on code edit table (XLSX or CSV)")
    build.add_argument(
        "--ptp", action="append", type=Path, default=[], metavar="FILE",
        help="NCCI practitioner PTP table (tab-delimited TXT or XLSX); repeatable: give all four parts of the quarter",
    )
    build.add_argument(
        "--effective",
        metavar="FROM:TO",
        help="dates of service the files apply to, e.g. 2026-07-01:2026-09-30 (either side may be empty; default open)",
    )
    build.add_argument("--version", metavar="V", help="version string every result records (default: file names and a content hash)")
    build.add_argument("-o", "--output", type=Path, required=True, metavar="SNAPSHOT", help="snapshot file to write")
    build.set_defaults(func=run_build)

    info = actions.add_parser("info", help="print a snapshot's version, periods and table sizes", description="Describe a snapshot.")
    info.add_argument("snapshot", type=Path, metavar="SNAPSHOT")
    info.set_defaults(func=run_info)


def run_build(args: argparse.Namespace) -> int:
    try:
        if not (args.pfs or args.mue or args.aoc or args.ptp):
            raise UsageError("give at least one of --pfs, --mue, --aoc, --ptp")
        start, end = parse_period(args.effective)
        refset = build_reference(
            pfs=args.pfs,
            mue=args.mue,
            aoc=args.aoc,
            ptp=args.ptp,
            effective_from=start,
            effective_to=end,
            version=args.version,
            built_at=dt.datetime.now(dt.UTC).replace(microsecond=0),
        )
        save_snapshot(refset, args.output)
    except (UsageError, ReferenceFileError, SnapshotError) as error:
        print(f"claim-edit reference build: {error}", file=sys.stderr)
        return 2
    except OSError as error:
        print(f"claim-edit reference build: cannot write {args.output}: {error.strerror or error}", file=sys.stderr)
        return 2
    print(f"wrote {args.output}")
    describe(refset, sys.stdout)
    return 0


def run_info(args: argparse.Namespace) -> int:
    try:
        refset = load_snapshot(args.snapshot)
    except SnapshotError as error:
        print(f"claim-edit reference info: {error}", file=sys.stderr)
        return 2
    describe(refset, sys.stdout)
    return 0


def describe(refset: ReferenceSet, out: IO[str]) -> None:
    out.write(f"version   {refset.version}\n")
    if refset.built_at is not None:
        out.write(f"built at  {refset.built_at.isoformat()}\n")
    if refset.notes:
        out.write(f"notes     {refset.notes}\n")
    out.write(f"periods   {len(refset.references)}\n")
    for ref in refset.references:
        start = ref.effective_from.isoformat() if ref.effective_from else "open"
        end = ref.effective_to.isoformat() if ref.effective_to else "open"
        pairings = sum(len(p) for p in ref.addons.values())
        out.write(f"  {ref.version}: {start} to {end}\n")
        out.write(f"    fee schedule  {len(ref.fee_schedule)} codes\n")
        out.write(f"    MUE           {len(ref.mue)} codes\n")
        out.write(f"    add-on codes  {len(ref.addons)} codes, {pairings} pairings\n")
        out.write(f"    PTP           {len(ref.ptp)} rows, {len(ref.ptp.groups)} column-one codes\n")
        if ref.sources:
            out.write(f"    sources       {', '.join(ref.sources)}\n")
