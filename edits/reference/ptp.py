"""The NCCI practitioner procedure-to-procedure (PTP) tables, read as CMS publishes them.

Layout (tab-delimited TXT, Windows line endings; or the XLSX variant): an AMA
notice line, a title line (`Column1/Column2 Edits`), then a header wrapped over
four lines:

    Column 1 | Column 2 | *=in existence | Effective | Deletion  | Modifier        | PTP Edit Rationale
             |          | prior to 1996  | Date      | Date      | 0=not allowed   |
             |          |                |           | *=no data | 1=allowed       |
             |          |                |           |           | 9=not applicable|

Dates are `YYYYMMDD` (ISO dates from a spreadsheet's date cells pass too); `*`
as deletion date means not deleted; `*` in the 1996 column is only history and
is not kept. CMS ships the practitioner table in four files per quarter, split
by column-one code: `load_ptp` reads any number of them into one table.
A row whose modifier indicator is not 0, 1 or 9, or whose dates do not parse,
is refused with the file, the row and the reason.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from pathlib import Path

from edits.reference.files import Columns, ReferenceFileError, TableRow, parse_code, read_table
from edits.reference.ptp_table import MAX_DAY, NOT_DELETED, PtpBuilder, PtpTable, day_number

COLUMNS = Columns(
    anchor=("Column 1", "Column1"),
    required={
        "column_one": ("Column 1", "Column1"),
        "column_two": ("Column 2", "Column2"),
        "effective": ("Effective Date", "Effective"),
        "deleted": ("Deletion Date", "Deletion"),
        "modifier": ("Modifier", "Modifier Indicator"),
    },
    optional={"rationale": ("PTP Edit Rationale", "Rationale")},
    max_header_rows=1,
    header_below=4,
)

_INDICATORS = {"0": 0, "1": 1, "9": 9}


class _Dates:
    """YYYYMMDD text -> day number, cached: a quarter's 2.5 million rows carry a few thousand distinct dates."""

    def __init__(self, path: str | Path) -> None:
        self.path = path
        self.cache: dict[str, int] = {"*": NOT_DELETED}

    def parse(self, row: TableRow, field: str, label: str, *, open_end: bool) -> int:
        text = row[field]
        number = self.cache.get(text)
        if number is not None and (open_end or number != NOT_DELETED):
            return number
        if not text or text == "*":
            expected = "a date YYYYMMDD or * (not deleted)" if open_end else "a date YYYYMMDD"
            raise ReferenceFileError(self.path, row.line, f"{label} is {text!r}, expected {expected}")
        try:
            if len(text) == 8 and text.isdigit():
                day = dt.date(int(text[:4]), int(text[4:6]), int(text[6:]))
            else:
                day = dt.date.fromisoformat(text)
        except ValueError as exc:
            raise ReferenceFileError(self.path, row.line, f"{label} {text!r} is not a date YYYYMMDD ({exc})") from exc
        number = day_number(day)
        if not 0 <= number <= MAX_DAY:
            raise ReferenceFileError(self.path, row.line, f"{label} {text!r} is outside the dates a PTP row can carry (1970 to 2149)")
        self.cache[text] = number
        return number


def read_ptp(path: str | Path, builder: PtpBuilder) -> int:
    """Add the rows of one PTP file to `builder`; returns how many rows it had."""
    dates = _Dates(path)
    checked: set[str] = set()  # codes already found valid: a quarter repeats ~17,000 codes over 2.5 million rows
    count = 0
    for row in read_table(path, COLUMNS):
        one, two = row["column_one"], row["column_two"]
        if one not in checked:
            checked.add(one := parse_code(path, row, "column_one", "Column 1 code"))
        if two not in checked:
            checked.add(two := parse_code(path, row, "column_two", "Column 2 code"))
        indicator = _INDICATORS.get(row["modifier"])
        if indicator is None:
            raise ReferenceFileError(path, row.line, f"modifier indicator {row['modifier']!r} for {one}/{two} is not 0, 1 or 9")
        effective = dates.parse(row, "effective", f"effective date of {one}/{two}", open_end=False)
        deleted = dates.parse(row, "deleted", f"deletion date of {one}/{two}", open_end=True)
        try:
            builder.add_numbers(one, two, effective, deleted, indicator, row["rationale"])
        except ValueError as exc:
            raise ReferenceFileError(path, row.line, str(exc)) from exc
        count += 1
    if not count:
        raise ReferenceFileError(path, None, "no PTP rows after the header")
    return count


def load_ptp(paths: str | Path | Iterable[str | Path]) -> PtpTable:
    """One table from one or more PTP files (CMS's four practitioner parts of a quarter)."""
    if isinstance(paths, (str, Path)):
        paths = [paths]
    builder = PtpBuilder()
    for path in paths:
        read_ptp(path, builder)
    return builder.build()
