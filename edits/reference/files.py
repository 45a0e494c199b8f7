"""Reading CMS reference files (CSV or XLSX) uniformly, with columns found by header name.

CMS files start with notices, spread headers over several rows, rename and add
columns between releases. So a loader names the columns it needs, `read_table`
finds the header row by an anchor column (e.g. `HCPCS`), joins each column's
header cells vertically, matches names loosely (`normalise_header`), and yields
each data row as a dict keyed by the loader's field names.

Row numbers in errors are spreadsheet rows (CSV records, 1-based), which is what
a person sees when opening the file.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

# A header cell like "AOC_Edit_EffDT_julian" or "AOC Edit EffDT (Julian)" names the same column as "AOC_Edit_EffDT".
_JULIAN_SUFFIX = re.compile(r"[\s_\-]*\(?julian\)?\s*$", re.IGNORECASE)
_NOT_ALNUM = re.compile(r"[^0-9a-z]+")
_CODE = re.compile(r"^[0-9A-Z]{5}$")
_JULIAN = re.compile(r"^(\d{4})(\d{3})$")
_NO_DATE = {"", "*"}

XLSX_SUFFIXES = {".xlsx", ".xlsm"}
TAB_SUFFIXES = {".txt", ".tsv", ".tab"}  # CMS ships the NCCI PTP tables as tab-delimited .txt


class ReferenceFileError(ValueError):
    """A reference file that cannot be read as the layout expects: names the file, the row and what is wrong."""

    def __init__(self, path: str | Path, line: int | None, reason: str) -> None:
        self.path = str(path)
        self.line = line
        self.reason = reason
        where = f"{self.path}: row {line}" if line is not None else self.path
        super().__init__(f"{where}: {reason}")


def normalise_header(text: str) -> str:
    """`"HCPCS/\\nCPT Code"` -> `"hcpcscptcode"`, `"AOC_Edit_EffDT_julian"` -> `"aocediteffdt"`.

    Case, spacing, line breaks, punctuation and a Julian suffix do not matter.
    """
    text = _JULIAN_SUFFIX.sub("", text.strip())
    return _NOT_ALNUM.sub("", text.lower())


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()


def _decode(path: Path, data: bytes) -> str:
    # CMS publishes some files as UTF-8 and others (the MUE tables) as Latin-1 / cp1252; Latin-1 never fails.
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def read_rows(path: str | Path) -> Iterator[tuple[int, list[str]]]:
    """Every row of a CSV, tab-delimited TXT or XLSX file (first sheet) as `(row number, cells as stripped text)`.

    Line endings (CRLF as CMS publishes, or LF) do not matter.
    """
    path = Path(path)
    try:
        if path.suffix.lower() in XLSX_SUFFIXES:
            yield from _read_xlsx(path)
        else:
            data = path.read_bytes()
            delimiter = "\t" if path.suffix.lower() in TAB_SUFFIXES else ","
            reader = csv.reader(io.StringIO(_decode(path, data), newline=""), delimiter=delimiter)
            for number, row in enumerate(reader, start=1):
                yield number, [cell.strip() for cell in row]
    except OSError as exc:
        raise ReferenceFileError(path, None, f"cannot read: {exc.strerror or exc}") from exc
    except csv.Error as exc:
        raise ReferenceFileError(path, None, f"not a readable CSV file: {exc}") from exc


def _read_xlsx(path: Path) -> Iterator[tuple[int, list[str]]]:
    import zipfile

    import openpyxl

    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise ReferenceFileError(path, None, f"not a readable XLSX workbook: {exc}") from exc
    try:
        sheet = workbook.worksheets[0]
        for number, row in enumerate(sheet.iter_rows(values_only=True), start=1):
            yield number, [_cell_text(value) for value in row]
    finally:
        workbook.close()


@dataclass(frozen=True)
class Columns:
    """What a loader needs from a file: an anchor column that marks the header row, and fields by accepted header names."""

    anchor: Sequence[str]
    required: Mapping[str, Sequence[str]]
    optional: Mapping[str, Sequence[str]] | None = None
    max_header_rows: int = 6  # how many rows one column's header may span
    max_scan_rows: int = 60  # how far down the header may be
    # How many rows after the anchor row may continue the header (the NCCI PTP TXT wraps its header over four
    # lines below "Column 1"); such a row has a blank anchor cell, so the first data row still ends the header.
    header_below: int = 0


@dataclass(frozen=True)
class TableRow:
    line: int
    values: dict[str, str]

    def __getitem__(self, field: str) -> str:
        return self.values.get(field, "")


def read_table(path: str | Path, columns: Columns) -> Iterator[TableRow]:
    """Data rows of `path` as `TableRow`s keyed by the field names of `columns`; blank rows are skipped."""
    rows = read_rows(path)
    above: list[list[str]] = []
    anchors = {normalise_header(name) for name in columns.anchor}
    for number, cells in rows:
        anchor_col = next((col for col, cell in enumerate(cells) if normalise_header(cell) in anchors), None)
        if anchor_col is not None:
            header_rows = [*above[-(columns.max_header_rows - 1) :], cells] if columns.max_header_rows > 1 else [cells]
            below, first_data = _header_below(rows, anchor_col, columns.header_below)
            index = _match_columns(path, number, header_rows, columns, below)
            if first_data is not None:
                yield from _data_rows(iter([first_data]), index)
            yield from _data_rows(rows, index)
            return
        if number >= columns.max_scan_rows:
            break
        above.append(cells)
    names = " / ".join(repr(name) for name in columns.anchor)
    raise ReferenceFileError(path, None, f"no header row with a {names} column in the first {columns.max_scan_rows} rows")


def _header_below(
    rows: Iterator[tuple[int, list[str]]], anchor_col: int, limit: int
) -> tuple[list[list[str]], tuple[int, list[str]] | None]:
    """Up to `limit` rows after the anchor row whose anchor cell is blank (the header's continuation), and the row that ended them."""
    below: list[list[str]] = []
    while len(below) < limit:
        row = next(rows, None)
        if row is None:
            return below, None
        cells = row[1]
        if anchor_col < len(cells) and cells[anchor_col]:
            return below, row
        below.append(cells)
    return below, None


def _match_columns(
    path: str | Path, line: int, header_rows: list[list[str]], columns: Columns, below: list[list[str]] | None = None
) -> dict[str, int]:
    below = below or []
    stacked = [*header_rows, *below]
    width = max(len(row) for row in stacked)
    anchor_at = len(header_rows) - 1
    # Each column's candidate names: its header cells joined over every vertical run that contains the anchor row:
    # upwards (CMS stacks "GLOB" over "DAYS", "CO-" over "SURG") and downwards (PTP: "Effective" over "Date"),
    # so a notice above the header or a legend below it cannot spoil a column's name.
    candidates: list[list[str]] = []
    for col in range(width):
        stack = [row[col] if col < len(row) else "" for row in stacked]
        names: list[str] = []
        for extra in range(len(below) + 1):
            for depth in range(1, anchor_at + 2):
                cells = stack[anchor_at + 1 - depth : anchor_at + 1 + extra]
                parts = " ".join(cell for cell in cells if cell).splitlines()
                # A cell with line breaks ("Deletion\nDate\n*=no data") also names its column by its first lines.
                for count in range(len(parts), 0, -1):
                    joined = normalise_header(" ".join(parts[:count]))
                    if joined and joined not in names:
                        names.append(joined)
        candidates.append(names)
    index: dict[str, int] = {}
    missing: list[str] = []
    wanted = [(field, names, True) for field, names in columns.required.items()]
    wanted += [(field, names, False) for field, names in (columns.optional or {}).items()]
    for field, accepted, required in wanted:
        targets = {normalise_header(name) for name in accepted}
        found = next((col for col, names in enumerate(candidates) if targets.intersection(names)), None)
        if found is not None:
            index[field] = found
        elif required:
            missing.append(accepted[0])
    if missing:
        seen = ", ".join(repr(_header_text(stacked, col)) for col in range(width))
        raise ReferenceFileError(path, line, f"header has no column {', '.join(repr(m) for m in missing)} (columns: {seen})")
    return index


def _header_text(header_rows: list[list[str]], col: int) -> str:
    return " ".join(row[col] for row in header_rows if col < len(row) and row[col])


def _data_rows(rows: Iterator[tuple[int, list[str]]], index: dict[str, int]) -> Iterator[TableRow]:
    for number, cells in rows:
        if not any(cells):
            continue
        yield TableRow(number, {field: cells[col] if col < len(cells) else "" for field, col in index.items()})


def parse_code(path: str | Path, row: TableRow, field: str, label: str) -> str:
    """A 5-character CPT/HCPCS code, upper case."""
    value = row[field].upper()
    if not _CODE.match(value):
        raise ReferenceFileError(path, row.line, f"{label} {row[field]!r} is not a 5-character CPT/HCPCS code")
    return value


def parse_julian(path: str | Path, row: TableRow, field: str, label: str) -> dt.date | None:
    """A CMS Julian date `YYYYDDD` (day of year); blank or `*` means none. ISO dates (from a spreadsheet's date cells) pass too."""
    value = row[field]
    if value in _NO_DATE:
        return None
    match = _JULIAN.match(value)
    try:
        if match:
            year, day = int(match.group(1)), int(match.group(2))
            if day < 1:
                raise ValueError("day of year 000")
            date = dt.date(year, 1, 1) + dt.timedelta(days=day - 1)
            if date.year != year:
                raise ValueError(f"{year} has no day {day}")
            return date
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise ReferenceFileError(path, row.line, f"{label} {value!r} is not a Julian date YYYYDDD ({exc})") from exc
