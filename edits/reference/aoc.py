"""The NCCI add-on code (AOC) table: which primaries each add-on may be reported with, and when.

Layout (XLSX as published, or CSV with the same headers): an AMA notice in the
first row, the header on the second: `AOC_Edit_Type, Add-On_Code, AOC_DelDT,
Primary_Code, Primary_Code_DelDT, AOC_Edit_EffDT, AOC_Edit_DelDT,
Special_Instruction_Notes` (newer files suffix the date headers with
`_julian`). Dates are Julian `YYYYDDD`; blank or `*` means none. `CCCCC` as the
primary means the contractor defines the primaries (type 2).

A pairing is in force from AOC_Edit_EffDT through the earliest deletion date
that is set: the edit's own, the add-on code's or the primary code's.
"""

from __future__ import annotations

from pathlib import Path

from edits.reference.files import Columns, ReferenceFileError, parse_code, parse_julian, read_table
from edits.reference.model import AddOnPairing

EDIT_TYPES = frozenset({1, 2, 3})

COLUMNS = Columns(
    anchor=("Add-On_Code", "Add On Code", "AOC"),
    required={
        "edit_type": ("AOC_Edit_Type", "Edit Type"),
        "addon": ("Add-On_Code", "Add On Code", "AOC"),
        "primary": ("Primary_Code", "Primary Code"),
        "edit_effective": ("AOC_Edit_EffDT", "AOC Edit Effective Date"),
    },
    optional={
        "addon_deleted": ("AOC_DelDT", "AOC Deletion Date"),
        "primary_deleted": ("Primary_Code_DelDT", "Primary Code Deletion Date"),
        "edit_deleted": ("AOC_Edit_DelDT", "AOC Edit Deletion Date"),
    },
    max_header_rows=1,
)


def load_addons(path: str | Path) -> dict[str, tuple[AddOnPairing, ...]]:
    """Pairings per add-on code, in file order, duplicates dropped."""
    pairings: dict[str, list[AddOnPairing]] = {}
    for row in read_table(path, COLUMNS):
        type_text = row["edit_type"]
        if not type_text.isdigit() or int(type_text) not in EDIT_TYPES:
            raise ReferenceFileError(path, row.line, f"AOC_Edit_Type {type_text!r} is not 1, 2 or 3")
        edit_type = int(type_text)
        addon = parse_code(path, row, "addon", "Add-On_Code")
        primary = parse_code(path, row, "primary", "Primary_Code")
        effective = parse_julian(path, row, "edit_effective", "AOC_Edit_EffDT")
        deletions = [
            parse_julian(path, row, "edit_deleted", "AOC_Edit_DelDT"),
            parse_julian(path, row, "addon_deleted", "AOC_DelDT"),
            parse_julian(path, row, "primary_deleted", "Primary_Code_DelDT"),
        ]
        deleted = min((day for day in deletions if day is not None), default=None)
        pairing = AddOnPairing(primary=primary, edit_type=edit_type, effective=effective, deleted=deleted)
        listed = pairings.setdefault(addon, [])
        if pairing not in listed:
            listed.append(pairing)
    if not pairings:
        raise ReferenceFileError(path, None, "no add-on code rows after the header")
    return {addon: tuple(listed) for addon, listed in pairings.items()}
