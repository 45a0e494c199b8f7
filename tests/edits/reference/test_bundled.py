"""The bundled default snapshot: up to date with its sources, covering every PPRRVU code, with the curated facts."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

import edits
from edits.reference import bundled
from edits.reference.aoc import load_addons
from edits.reference.model import AddOnPairing, MueEntry, ReferenceSet
from edits.reference.mue import load_mue
from edits.reference.ptp import load_ptp
from edits.reference.snapshot import DEFAULT_SNAPSHOT, load_default_reference, load_snapshot, save_snapshot
from tests.edits.reference.cms_files import AOC_HEADER, PPRRVU
from tests.edits.reference.test_pfs import count_data_rows


@pytest.fixture(scope="module")
def shipped() -> ReferenceSet:
    return load_snapshot(DEFAULT_SNAPSHOT)


def test_bundled_builder_reads_the_repository_copy_of_pprrvu() -> None:
    assert bundled.PFS_SOURCE.resolve() == PPRRVU.resolve()


def test_snapshot_is_up_to_date_with_its_sources(shipped: ReferenceSet, tmp_path: Path) -> None:
    rebuilt = bundled.build_bundled()
    assert rebuilt.references[0].fee_schedule == shipped.references[0].fee_schedule
    assert rebuilt.references[0].mue == shipped.references[0].mue
    assert rebuilt.references[0].addons == shipped.references[0].addons
    assert rebuilt.references[0].ptp == shipped.references[0].ptp
    assert rebuilt == shipped, "run `make reference` and commit edits/reference/data/default.snapshot"
    save_snapshot(rebuilt, tmp_path / "again.snapshot")
    assert (tmp_path / "again.snapshot").read_bytes() == DEFAULT_SNAPSHOT.read_bytes()


def test_one_open_period_with_a_clear_version(shipped: ReferenceSet) -> None:
    assert shipped.version == "bundled-pfs2025D-ncci2026Q3.2"
    (ref,) = shipped.references
    assert ref.version == shipped.version
    assert (ref.effective_from, ref.effective_to) == (None, None)
    assert ref.sources == ("PPRRVU2025_Oct_nodesc.csv", "mue_curated.csv", "aoc_curated.csv", "ptp_curated.txt")
    assert "claim-edit reference build" in shipped.notes


def test_covers_every_pprrvu_code(shipped: ReferenceSet) -> None:
    rows, codes = count_data_rows(PPRRVU)
    assert rows == 19_090
    assert set(shipped.references[0].fee_schedule) == codes


def test_source_procedure_facts(shipped: ReferenceSet) -> None:
    ref = shipped.references[0]
    assert ref.fee_schedule["64629"].global_days == "ZZZ"
    assert ref.fee_schedule["64629"].assistant == "1"
    assert ref.fee_schedule["64636"].bilateral == "1"
    assert ref.mue["64629"] == MueEntry(value=2, mai=2, rationale="")
    assert ref.addons["64629"] == (AddOnPairing("64628", 1, dt.date(2022, 1, 1), None),)
    assert not ref.addons["64629"][0].in_force(dt.date(2021, 12, 31))
    expected = {
        "64636": {"64635"},
        "64634": {"64633"},
        "64480": {"64479"},
        "64484": {"64483"},
        "64491": {"64490"},
        "64492": {"64490", "64491"},
        "64494": {"64493"},
        "64495": {"64493", "64494"},
        "64462": {"64461"},
        "64629": {"64628"},
    }
    assert {code: {p.primary for p in pairings} for code, pairings in ref.addons.items()} == expected
    # Every curated add-on is also an add-on by the fee schedule, every curated primary is a fee schedule code.
    for code, primaries in expected.items():
        assert ref.fee_schedule[code].global_days == "ZZZ"
        assert primaries <= set(ref.fee_schedule)


def test_curated_files_are_in_the_cms_layouts() -> None:
    raw = bundled.MUE_CURATED.read_bytes()
    raw.decode("latin-1")
    assert b'"HCPCS/\nCPT Code"' in raw
    assert load_mue(bundled.MUE_CURATED) == {"64629": MueEntry(2, 2, "")}
    header = bundled.AOC_CURATED.read_text().splitlines()[1]
    assert header.split(",") == AOC_HEADER
    assert len(load_addons(bundled.AOC_CURATED)) == 10


def test_readme_records_a_source_for_every_curated_row() -> None:
    readme = (bundled.DATA_DIR / "README.md").read_text()
    for code in [*load_mue(bundled.MUE_CURATED), *load_addons(bundled.AOC_CURATED)]:
        assert f"| {code} |" in readme, code
    assert "claim-edit reference build" in readme


def test_default_reference_is_cached_and_exported() -> None:
    assert load_default_reference() is load_default_reference()
    assert edits.load_default_reference is load_default_reference
    assert load_default_reference() == load_snapshot(DEFAULT_SNAPSHOT)


def test_bundled_main_writes_a_snapshot(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "b.snapshot"
    assert bundled.main(["-o", str(out)]) == 0
    assert out.read_bytes() == DEFAULT_SNAPSHOT.read_bytes()
    assert "16852 fee schedule codes" in capsys.readouterr().out
    assert bundled.main(["--pfs", str(tmp_path / "missing.csv"), "-o", str(out)]) == 2
    assert "missing.csv: cannot read" in capsys.readouterr().err


def test_ptp_rows_are_the_real_excerpt_rows_unchanged(shipped: ReferenceSet) -> None:
    excerpt = PPRRVU.parent / "PTP_practitioner_2026Q3_layout_excerpt.txt"
    assert bundled.PTP_CURATED.read_bytes() == excerpt.read_bytes()
    table = shipped.references[0].ptp
    assert list(table.all_rows()) == list(load_ptp(excerpt).all_rows())
    assert len(table) == 6
    (row,) = table.pairs("0001U", "0030U", dt.date(2026, 7, 1))
    assert (row.modifier_indicator, row.effective, row.deleted) == (1, dt.date(2018, 7, 1), None)
    assert table.pairs("0001A", "0591T", dt.date(2024, 1, 1)) == []
