"""Build the snapshot bundled with the package: `python -m edits.reference.bundled` (or `make reference`).

It holds the fee schedule indicators of every code in the real PPRRVU file
(October 2025 release, kept in the repository under tests/data/cms/ and not
packaged) the curated MUE and add-on rows in `data/mue_curated.csv` and
`data/aoc_curated.csv`, and the real PTP rows in `data/ptp_curated.txt` (sources
in `data/README.md`). Production builds a
snapshot of the current CMS quarter with `claim-edit reference build`.

The build is deterministic (no timestamp), so rebuilding from unchanged
sources gives the same bytes and a test can tell a stale snapshot.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from edits.reference.files import ReferenceFileError
from edits.reference.model import ReferenceSet
from edits.reference.snapshot import DEFAULT_SNAPSHOT, build_reference, save_snapshot

DATA_DIR = Path(__file__).parent / "data"
REPO_ROOT = Path(__file__).resolve().parents[2]
PFS_SOURCE = REPO_ROOT / "tests" / "data" / "cms" / "PPRRVU2025_Oct_nodesc.csv"
MUE_CURATED = DATA_DIR / "mue_curated.csv"
AOC_CURATED = DATA_DIR / "aoc_curated.csv"
PTP_CURATED = DATA_DIR / "ptp_curated.txt"
VERSION = "bundled-pfs2025D-ncci2026Q3.2"
NOTES = (
    "Bundled default: PFS indicators of every code in PPRRVU2025_Oct (RVU25D); "
    "MUE and add-on rows curated for the source procedures only, and the real PTP rows of a CMS layout excerpt "
    "(see edits/reference/data/README.md). "
    "Production imports the current CMS quarter with `claim-edit reference build`."
)


def build_bundled(pfs: Path = PFS_SOURCE) -> ReferenceSet:
    """One open period: the bundled data stands for "today" whatever the date of service."""
    return build_reference(pfs=pfs, mue=MUE_CURATED, aoc=AOC_CURATED, ptp=[PTP_CURATED], version=VERSION, notes=NOTES)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m edits.reference.bundled", description=__doc__.splitlines()[0])
    parser.add_argument("--pfs", type=Path, default=PFS_SOURCE, help="PPRRVU file (default: %(default)s)")
    parser.add_argument("-o", "--output", type=Path, default=DEFAULT_SNAPSHOT, help="snapshot to write (default: %(default)s)")
    args = parser.parse_args(argv)
    try:
        refset = build_bundled(args.pfs)
    except ReferenceFileError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    save_snapshot(refset, args.output)
    ref = refset.references[0]
    print(
        f"wrote {args.output}: {refset.version}, {len(ref.fee_schedule)} fee schedule codes, "
        f"{len(ref.mue)} MUE codes, {len(ref.addons)} add-on codes, {len(ref.ptp)} PTP rows"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
