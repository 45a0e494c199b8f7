"""The Physician Fee Schedule relative value file (PPRRVU): payment indicators per code.

Layout: CMS's `RVU25D_record_layout.txt`. About ten rows of notices come first,
then a header spread over several rows (`GLOB` over `DAYS`, `CO-` over `SURG`);
columns are found by name because releases add columns (the 2026 file does).
A code has one global row (blank MOD) and may have rows for modifiers 26, TC
and 53; the global row carries the code's indicators.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from edits.reference.files import Columns, ReferenceFileError, TableRow, parse_code, read_table
from edits.reference.model import FeeScheduleEntry

GLOBAL_DAYS = frozenset({"000", "010", "090", "MMM", "XXX", "YYY", "ZZZ"})
_STATUS = re.compile(r"^[A-Z]$")
_INDICATOR = re.compile(r"^[0-9]$")

COLUMNS = Columns(
    anchor=("HCPCS",),
    required={
        "code": ("HCPCS",),
        "modifier": ("MOD", "Modifier"),
        "status": ("STATUS CODE", "Status"),
        "pctc": ("PCTC IND", "PCTC"),
        "global_days": ("GLOB DAYS", "Global Days", "Global"),
        "mult_proc": ("MULT PROC", "Mult Surg", "Multiple Procedure"),
        "bilateral": ("BILAT SURG", "Bilateral Surgery"),
        "assistant": ("ASST SURG", "Assistant Surgery"),
        "co_surgeons": ("CO- SURG", "CO SURG", "Co-Surgeons"),
        "team": ("TEAM SURG", "Team Surgery"),
    },
)

_INDICATOR_FIELDS = ("pctc", "mult_proc", "bilateral", "assistant", "co_surgeons", "team")


@dataclass(frozen=True)
class FeeScheduleRow:
    line: int
    code: str
    modifier: str
    entry: FeeScheduleEntry


def read_fee_schedule_rows(path: str | Path) -> Iterator[FeeScheduleRow]:
    """Every data row of the file, validated, modifier rows included."""
    for row in read_table(path, COLUMNS):
        code = parse_code(path, row, "code", "HCPCS")
        yield FeeScheduleRow(line=row.line, code=code, modifier=row["modifier"].upper(), entry=_entry(path, row))


def load_fee_schedule(path: str | Path) -> dict[str, FeeScheduleEntry]:
    """Each code's indicators from its global (blank MOD) row; a code with only modifier rows keeps its first row."""
    entries: dict[str, FeeScheduleEntry] = {}
    from_global_row: set[str] = set()
    for row in read_fee_schedule_rows(path):
        is_global = row.modifier == ""
        if row.code in entries and (row.code in from_global_row or not is_global):
            continue
        entries[row.code] = row.entry
        if is_global:
            from_global_row.add(row.code)
    if not entries:
        raise ReferenceFileError(path, None, "no fee schedule rows after the header")
    return entries


def _entry(path: str | Path, row: TableRow) -> FeeScheduleEntry:
    if not _STATUS.match(row["status"]):
        raise ReferenceFileError(path, row.line, f"STATUS CODE {row['status']!r} is not one letter")
    if row["global_days"] not in GLOBAL_DAYS:
        raise ReferenceFileError(path, row.line, f"GLOB DAYS {row['global_days']!r} is not one of {', '.join(sorted(GLOBAL_DAYS))}")
    for field in _INDICATOR_FIELDS:
        if not _INDICATOR.match(row[field]):
            label = COLUMNS.required[field][0]
            raise ReferenceFileError(path, row.line, f"{label} indicator {row[field]!r} is not one digit")
    return FeeScheduleEntry(
        status=row["status"],
        global_days=row["global_days"],
        pctc=row["pctc"],
        mult_proc=row["mult_proc"],
        bilateral=row["bilateral"],
        assistant=row["assistant"],
        co_surgeons=row["co_surgeons"],
        team=row["team"],
    )
