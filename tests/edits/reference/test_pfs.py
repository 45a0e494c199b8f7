"""The PFS relative value file loader, on the real October 2025 file and modified copies of it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from edits.reference.files import ReferenceFileError
from edits.reference.pfs import load_fee_schedule, read_fee_schedule_rows
from tests.edits.reference.cms_files import PPRRVU, pprrvu_records, write_csv, write_xlsx

DATA_ROW = re.compile(r"^(?!HCPCS,)[0-9A-Z]{5},")


def count_data_rows(path: Path) -> tuple[int, set[str]]:
    """Independent of the loader: a data line starts with a 5-character code and a comma (no quoted fields in this file)."""
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if DATA_ROW.match(line)]
    return len(lines), {line.split(",", 1)[0] for line in lines}


@pytest.fixture(scope="module")
def fee_schedule() -> dict[str, object]:
    return dict(load_fee_schedule(PPRRVU))


def test_every_row_of_the_real_file_loads() -> None:
    expected_rows, expected_codes = count_data_rows(PPRRVU)
    assert expected_rows == 19_090
    rows = list(read_fee_schedule_rows(PPRRVU))
    assert len(rows) == expected_rows
    assert {row.code for row in rows} == expected_codes
    assert {row.modifier for row in rows} == {"", "26", "TC", "53"}


def test_one_entry_per_code(fee_schedule: dict[str, object]) -> None:
    _, expected_codes = count_data_rows(PPRRVU)
    assert set(fee_schedule) == expected_codes


def test_64629_indicators() -> None:
    entry = load_fee_schedule(PPRRVU)["64629"]
    assert entry.global_days == "ZZZ"
    assert entry.bilateral == "0"
    assert entry.assistant == "1"
    assert entry.mult_proc == "0"
    assert entry.co_surgeons == "0"
    assert entry.team == "0"
    assert entry.status == "A"
    assert entry.pctc == "0"


def test_64636_is_a_bilateral_addon() -> None:
    fees = load_fee_schedule(PPRRVU)
    assert fees["64636"].bilateral == "1"
    assert fees["64636"].global_days == "ZZZ"
    assert fees["64628"].global_days == "010"


def _with_distinct_modifier_rows(tmp_path: Path, name: str, global_last: bool) -> Path:
    """71046 (global, 26, TC rows) with the modifier rows' indicators changed, so picking the wrong row shows."""
    records = pprrvu_records()
    header, data = records[:10], records[10:]
    code_rows = [list(r) for r in data if r[0] == "71046"]
    assert [r[1] for r in code_rows] == ["", "26", "TC"]
    for row in code_rows[1:]:
        row[18] = "9"  # MULT PROC
        row[13] = "2" if row[1] == "26" else "3"  # PCTC IND
    ordered = [*code_rows[1:], code_rows[0]] if global_last else code_rows
    return write_csv(tmp_path / name, [*header, *ordered])


@pytest.mark.parametrize("global_last", [False, True], ids=["global-first", "global-last"])
def test_global_row_wins_over_modifier_rows(tmp_path: Path, global_last: bool) -> None:
    path = _with_distinct_modifier_rows(tmp_path, "71046.csv", global_last)
    rows = list(read_fee_schedule_rows(path))
    assert len({row.entry for row in rows}) == 3
    entry = load_fee_schedule(path)["71046"]
    assert entry == next(row.entry for row in rows if row.modifier == "")
    assert (entry.mult_proc, entry.pctc) == ("0", "1")


def test_code_with_only_modifier_rows_keeps_its_first(fee_schedule: dict[str, object]) -> None:
    rows = [row for row in read_fee_schedule_rows(PPRRVU) if row.code == "86153"]
    assert [row.modifier for row in rows] == ["26"]
    assert fee_schedule["86153"] == rows[0].entry


def test_a_column_inserted_in_the_middle_still_loads(tmp_path: Path) -> None:
    # The 2026 file adds a column; columns are found by header name, not position.
    records = pprrvu_records()
    at = 14  # before GLOB DAYS
    widened = []
    for number, record in enumerate(records):
        cell = {8: "NEW", 9: "COLUMN"}.get(number, "X" if number >= 10 else "")
        widened.append([*record[:at], cell, *record[at:]])
    path = write_csv(tmp_path / "PPRRVU2026_Jan.csv", widened)
    assert widened[9][at + 1] == "DAYS"
    assert load_fee_schedule(path) == load_fee_schedule(PPRRVU)


def test_columns_moved_around_still_load(tmp_path: Path) -> None:
    records = pprrvu_records()
    order = list(range(len(records[9])))
    order[14], order[19] = order[19], order[14]  # GLOB DAYS and BILAT SURG swap places
    swapped = [[record[i] if i < len(record) else "" for i in order] for record in records]
    path = write_csv(tmp_path / "swapped.csv", swapped)
    assert load_fee_schedule(path)["64636"] == load_fee_schedule(PPRRVU)["64636"]


def test_xlsx_with_the_same_layout(tmp_path: Path) -> None:
    records = pprrvu_records()
    sample = records[:10] + [r for r in records[10:] if r[0] in {"64628", "64629", "64635", "64636", "71046"}]
    path = write_xlsx(tmp_path / "PPRRVU2025_Oct.xlsx", sample)
    fees = load_fee_schedule(path)
    full = load_fee_schedule(PPRRVU)
    assert fees == {code: full[code] for code in ("64628", "64629", "64635", "64636", "71046")}


def test_bad_global_days_names_file_row_and_value(tmp_path: Path) -> None:
    records = pprrvu_records()
    index = next(i for i, r in enumerate(records) if r[0] == "64629")
    records[index][14] = "ZZ"
    path = write_csv(tmp_path / "bad.csv", records)
    with pytest.raises(ReferenceFileError) as caught:
        load_fee_schedule(path)
    message = str(caught.value)
    assert str(path) in message
    assert f"row {index + 1}" in message
    assert "GLOB DAYS" in message
    assert "'ZZ'" in message
    assert caught.value.line == index + 1


def test_bad_indicator_and_bad_code(tmp_path: Path) -> None:
    records = pprrvu_records()
    records[10][19] = "B"
    path = write_csv(tmp_path / "bad_bilat.csv", records)
    with pytest.raises(ReferenceFileError, match=r"row 11: BILAT SURG indicator 'B' is not one digit"):
        load_fee_schedule(path)
    records = pprrvu_records()
    records[11][0] = "6462"
    path = write_csv(tmp_path / "bad_code.csv", records)
    with pytest.raises(ReferenceFileError, match=r"row 12: HCPCS '6462' is not a 5-character"):
        load_fee_schedule(path)


def test_missing_column_is_named(tmp_path: Path) -> None:
    records = [[cell for i, cell in enumerate(r) if i != 20] for r in pprrvu_records()]  # drop ASST SURG
    path = write_csv(tmp_path / "no_asst.csv", records)
    with pytest.raises(ReferenceFileError, match=r"row 10: header has no column 'ASST SURG'"):
        load_fee_schedule(path)


def test_not_a_pfs_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.csv"
    path.write_text("just,some\ntext,here\n")
    with pytest.raises(ReferenceFileError, match=r"no header row with a 'HCPCS' column"):
        load_fee_schedule(path)
    with pytest.raises(ReferenceFileError, match=r"cannot read"):
        load_fee_schedule(tmp_path / "missing.csv")
