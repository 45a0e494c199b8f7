"""(g) `claim-edit reference build` of a quarter's four NCCI PTP files at full size: time, peak RSS, snapshot size and load.

    python -m bench.ptp_build [--quick]     # prints one JSON object

The synthetic full-size table (bench/reference_full.py) is written as the four
tab-delimited TXT files CMS publishes (AMA notice, title, header wrapped over
four lines, CRLF, `*` for not deleted), split by column-one code. The build runs
as its own process, the way an operator runs it, so its time and peak RSS are
its own; the snapshot it writes is then loaded in a fresh process (bench.memory).
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.memory import measure
from bench.reference_full import PTP_QUICK_ROWS, PTP_ROWS, synthetic_ptp
from edits.reference.ptp_table import PtpTable

PARTS = 4
NOTICE = "CPT only copyright 2025 American Medical Association.  All rights reserved."
HEADER = (
    "Column 1\tColumn 2\t*=in existence\tEffective\tDeletion\tModifier\tPTP Edit Rationale",
    "\t\tprior to 1996\tDate\tDate\t0=not allowed\t",
    "\t\t\t\t*=no data\t1=allowed\t",
    "\t\t\t\t\t9=not applicable\t",
)


def write_ptp_files(table: PtpTable, directory: Path, parts: int = PARTS) -> list[Path]:
    """The table as CMS's practitioner PTP TXT files, `parts` of them, split by column-one code as CMS splits them."""
    ones = sorted(table.groups)
    per_part = -(-len(ones) // parts)
    part_of = {one: index // per_part for index, one in enumerate(ones)}
    text: dict[object, str] = {None: "*"}
    paths = [directory / f"ccipra-v323r0-f{part + 1}.txt" for part in range(parts)]
    handles = [path.open("w", encoding="utf-8", newline="\r\n") for path in paths]
    try:
        for handle in handles:
            handle.write("\n".join([NOTICE + "\t" * 6, "Column1/Column2 Edits" + "\t" * 6, *HEADER]) + "\n")
        for row in table.all_rows():
            effective = text.get(row.effective)
            if effective is None:
                effective = text[row.effective] = row.effective.strftime("%Y%m%d")
            deleted = text.get(row.deleted)
            if deleted is None:
                deleted = text[row.deleted] = row.deleted.strftime("%Y%m%d") if row.deleted else "*"
            prior = "*" if effective == "19960101" else ""
            handles[part_of[row.column_one]].write(
                f"{row.column_one}\t{row.column_two}\t{prior}\t{effective}\t{deleted}\t{row.modifier_indicator}\t{row.rationale}\n"
            )
    finally:
        for handle in handles:
            handle.close()
    return paths


def _build_here(files: list[str], output: str) -> dict[str, Any]:
    """Run in the child: the CLI's own build, timed, with this process's peak RSS."""
    from workers.cli import main

    started = time.perf_counter()
    status = main(["reference", "build", *(arg for path in files for arg in ("--ptp", path)), "--version", "bench-ptp", "-o", output])
    seconds = time.perf_counter() - started
    usage = resource.getrusage(resource.RUSAGE_SELF)
    # CPU seconds too: on a shared machine wall time also counts the time other jobs held the core.
    return {"exit_code": status, "seconds": seconds, "cpu_seconds": usage.ru_utime + usage.ru_stime, "peak_rss_mb": usage.ru_maxrss / 1024}


def ptp_build(scratch: Path, quick: bool = False) -> dict[str, Any]:
    rows = PTP_QUICK_ROWS if quick else PTP_ROWS
    table = synthetic_ptp(rows)
    started = time.perf_counter()
    files = write_ptp_files(table, scratch)
    written_s = time.perf_counter() - started
    output = scratch / "ptp.snapshot"
    root = str(Path(__file__).resolve().parents[1])
    command = [sys.executable, "-m", "bench.ptp_build", "--build", str(output), *map(str, files)]
    done = subprocess.run(command, capture_output=True, text=True, cwd=root, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"PTP reference build failed: {done.stderr.strip()[-1000:]}")
    build: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return {
        "rows": len(table),
        "column_one_codes": len(table.groups),
        "files": [{"name": path.name, "bytes": path.stat().st_size} for path in files],
        "files_written_s": written_s,
        "build": build,
        "snapshot": measure(output),
    }


def main(argv: list[str]) -> int:
    if argv[:1] == ["--build"]:
        output, *files = argv[1:]
        result = _build_here(files, output)
        print(json.dumps(result))
        return int(result["exit_code"])
    with tempfile.TemporaryDirectory(prefix="claimedit-ptp-") as scratch:
        print(json.dumps(ptp_build(Path(scratch), quick="--quick" in argv), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
