"""The NCCI practitioner MUE table: most units per code, per patient, per date of service.

Layout (CSV or XLSX, Latin-1 CSV as published): an AMA notice in the first row,
then `HCPCS/<newline>CPT Code, Practitioner Services MUE Values, MUE
Adjudication Indicator, MUE Rationale`. The indicator is text such as
`2 Date of Service Edit: Policy`; its leading digit is the MAI.
"""

from __future__ import annotations

import re
from pathlib import Path

from edits.reference.files import Columns, ReferenceFileError, parse_code, read_table
from edits.reference.model import MueEntry

_MAI = re.compile(r"^([123])(?!\d)")

COLUMNS = Columns(
    anchor=("HCPCS/CPT Code", "HCPCS", "CPT Code"),
    required={
        "code": ("HCPCS/CPT Code", "HCPCS", "CPT Code"),
        "value": ("Practitioner Services MUE Values", "MUE Values", "MUE Value", "MUE"),
        "mai": ("MUE Adjudication Indicator", "MAI"),
    },
    optional={"rationale": ("MUE Rationale", "Rationale")},
    max_header_rows=1,
)


def load_mue(path: str | Path) -> dict[str, MueEntry]:
    entries: dict[str, MueEntry] = {}
    for row in read_table(path, COLUMNS):
        code = parse_code(path, row, "code", "HCPCS/CPT code")
        value_text = row["value"]
        if not value_text.isdigit():
            raise ReferenceFileError(path, row.line, f"MUE value {value_text!r} for {code} is not a whole number of units")
        mai = _MAI.match(row["mai"])
        if mai is None:
            raise ReferenceFileError(path, row.line, f"MUE adjudication indicator {row['mai']!r} for {code} does not start with 1, 2 or 3")
        if code in entries:
            raise ReferenceFileError(path, row.line, f"{code} is listed twice")
        entries[code] = MueEntry(value=int(value_text), mai=int(mai.group(1)), rationale=row["rationale"])
    if not entries:
        raise ReferenceFileError(path, None, "no MUE rows after the header")
    return entries
