"""Snapshots: build, save, load, combine periods."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import msgspec
import pytest

from edits.reference.model import FeeScheduleEntry, MueEntry, Reference, ReferenceSet
from edits.reference.snapshot import SnapshotError, build_reference, combine, load_snapshot, save_snapshot
from tests.edits.reference.cms_files import MUE_EXCERPT, PPRRVU, PTP_EXCERPT, write_aoc_csv, write_aoc_xlsx, write_ptp_txt

D = dt.date
Period = tuple[dt.date | None, dt.date | None]
FEE = FeeScheduleEntry("A", "ZZZ", "0", "0", "0", "1", "0", "0")


def period(version: str, start: dt.date | None, end: dt.date | None, mue: int = 2) -> ReferenceSet:
    ref = Reference(version=version, effective_from=start, effective_to=end, fee_schedule={"64629": FEE}, mue={"64629": MueEntry(mue, 2)})
    return ReferenceSet(version=version, references=(ref,))


def test_build_from_all_three_files_and_round_trip(tmp_path: Path) -> None:
    aoc = write_aoc_xlsx(tmp_path / "AOC_V2026Q3.xlsx")
    built_at = dt.datetime(2026, 7, 1, 12, 0, tzinfo=dt.UTC)
    refset = build_reference(PPRRVU, MUE_EXCERPT, aoc, D(2026, 7, 1), D(2026, 9, 30), built_at=built_at)
    (ref,) = refset.references
    assert ref.sources == ("PPRRVU2025_Oct_nodesc.csv", "MUE_practitioner_2026Q3_layout_excerpt.csv", "AOC_V2026Q3.xlsx")
    assert len(ref.fee_schedule) == 16_852
    assert ref.mue["0001U"].mai == 2
    assert ref.addons["64629"][0].effective == D(2022, 1, 1)
    assert ref.is_addon("64629")
    path = tmp_path / "2026Q3.snapshot"
    save_snapshot(refset, path)
    loaded = load_snapshot(path)
    assert loaded == refset
    assert loaded.built_at == built_at
    assert not list(tmp_path.glob("*.tmp"))


def test_ptp_table_round_trips_and_names_its_files(tmp_path: Path) -> None:
    parts = [PTP_EXCERPT, write_ptp_txt(tmp_path / "ccipra-v323r0-f2.txt")]
    refset = build_reference(mue=MUE_EXCERPT, ptp=parts, effective_from=D(2026, 7, 1))
    (ref,) = refset.references
    assert ref.sources == (
        "MUE_practitioner_2026Q3_layout_excerpt.csv",
        "PTP_practitioner_2026Q3_layout_excerpt.txt",
        "ccipra-v323r0-f2.txt",
    )
    assert len(ref.ptp) == 11
    assert "+ccipra-v323r0-f2-" in refset.version
    path = tmp_path / "ptp.snapshot"
    save_snapshot(refset, path)
    loaded = load_snapshot(path)
    assert loaded == refset
    table = loaded.references[0].ptp
    assert list(table.all_rows()) == list(ref.ptp.all_rows())
    assert [row.modifier_indicator for row in table.pairs("99213", "36415", D(2026, 7, 1))] == [0]
    assert [row.column_two for row in table.pairs("0001U", "0030U", D(2026, 7, 1))] == ["0030U"]


def test_default_version_names_files_and_content(tmp_path: Path) -> None:
    csv_aoc = write_aoc_csv(tmp_path / "aoc.csv")
    first = build_reference(mue=MUE_EXCERPT, aoc=csv_aoc)
    assert first.version.startswith("MUE_practitioner_2026Q3_layout_excerpt+aoc-")
    assert len(first.version.rsplit("-", 1)[1]) == 8
    assert build_reference(mue=MUE_EXCERPT, aoc=csv_aoc).version == first.version
    csv_aoc.write_text(csv_aoc.read_text().replace("2022001", "2022002"))
    assert build_reference(mue=MUE_EXCERPT, aoc=csv_aoc).version != first.version
    assert build_reference(mue=MUE_EXCERPT, version="2026Q3.1").version == "2026Q3.1"


def test_a_period_that_ends_before_it_starts_is_refused() -> None:
    with pytest.raises(SnapshotError, match="ends"):
        build_reference(mue=MUE_EXCERPT, effective_from=D(2026, 7, 1), effective_to=D(2026, 6, 30))


def test_combine_orders_periods_and_for_date_picks_one() -> None:
    q3 = period("2025Q3", D(2025, 7, 1), D(2025, 9, 30), mue=2)
    q4 = period("2025Q4", D(2025, 10, 1), None, mue=3)
    q2 = period("2025Q2", D(2025, 4, 1), D(2025, 6, 30), mue=1)
    both = combine(q4, q2, q3)
    assert [ref.version for ref in both.references] == ["2025Q2", "2025Q3", "2025Q4"]
    assert both.version == "2025Q4+2025Q2+2025Q3"
    assert both.for_date(D(2025, 9, 30)).version == "2025Q3"
    assert both.for_date(D(2025, 10, 1)).mue["64629"].value == 3
    assert both.for_date(D(2030, 1, 1)).version == "2025Q4"
    assert both.for_date(D(2025, 1, 1)).version == "2025Q2"  # before every period: the nearest
    assert combine(q3, q4, version="2025H2").version == "2025H2"


def test_combined_set_round_trips(tmp_path: Path) -> None:
    both = combine(period("a", D(2025, 1, 1), D(2025, 3, 31)), period("b", D(2025, 4, 1), D(2025, 6, 30)))
    save_snapshot(both, tmp_path / "h1.snapshot")
    assert load_snapshot(tmp_path / "h1.snapshot") == both


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ((D(2025, 7, 1), D(2025, 9, 30)), (D(2025, 9, 30), D(2025, 12, 31))),  # one shared day
        ((D(2025, 7, 1), None), (D(2026, 1, 1), D(2026, 3, 31))),  # open end
        ((None, D(2025, 9, 30)), (None, D(2025, 12, 31))),  # two open starts
        ((None, None), (D(2025, 1, 1), D(2025, 3, 31))),  # one open period covers all
    ],
)
def test_overlapping_periods_are_refused(first: Period, second: Period) -> None:
    with pytest.raises(SnapshotError, match=r"periods overlap: 'q1' \(.*\) and 'q2' \(.*\)|periods overlap: 'q2' \(.*\) and 'q1' \(.*\)"):
        combine(period("q1", *first), period("q2", *second))


def test_combine_needs_a_set() -> None:
    with pytest.raises(SnapshotError):
        combine()


def test_unreadable_snapshots_say_why(tmp_path: Path) -> None:
    with pytest.raises(SnapshotError, match="cannot read snapshot"):
        load_snapshot(tmp_path / "missing.snapshot")
    text = tmp_path / "text.snapshot"
    text.write_text("hello")
    with pytest.raises(SnapshotError, match=r"text.snapshot: not a claim-edit reference snapshot"):
        load_snapshot(text)
    other = tmp_path / "other.snapshot"
    other.write_bytes(msgspec.msgpack.encode({"format": "something-else", "format_version": 1}))
    with pytest.raises(SnapshotError, match="not a claim-edit reference snapshot"):
        load_snapshot(other)
    newer = tmp_path / "newer.snapshot"
    newer.write_bytes(msgspec.msgpack.encode({"format": "claim-edit-reference-snapshot", "format_version": 99, "reference_set": {}}))
    with pytest.raises(SnapshotError, match="snapshot format 99, this claim-edit reads format 2: rebuild it"):
        load_snapshot(newer)
    older = tmp_path / "format1.snapshot"
    encoded = msgspec.msgpack.encode({"format": "claim-edit-reference-snapshot", "format_version": 1,
                                      "reference_set": period("q", None, None)})
    older.write_bytes(encoded)  # decodes cleanly (PTP has a default), and is still refused: it has no PTP table
    with pytest.raises(SnapshotError, match=r"format1.snapshot: snapshot format 1, this claim-edit reads format 2: rebuild it"):
        load_snapshot(older)
    good = tmp_path / "good.snapshot"
    save_snapshot(period("q", None, None), good)
    damaged = tmp_path / "damaged.snapshot"
    damaged.write_bytes(good.read_bytes()[:-20])
    with pytest.raises(SnapshotError, match="damaged snapshot"):
        load_snapshot(damaged)
