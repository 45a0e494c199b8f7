"""The edits on the bundled snapshot, i.e. on the real CMS fee schedule indicators (October 2025 PPRRVU)."""

from __future__ import annotations

import msgspec
import pytest

from contracts import AddOnFacts, Claim, FeeScheduleFacts, MueFacts
from edits import Engine, load_default_reference

ENGINE = Engine(load_default_reference())


def claim(*lines: tuple[str, list[str], int]) -> Claim:
    body = [
        {"line_number": n, "code": code, "modifiers": mods, "units": units, "date_of_service": "2025-11-03"}
        for n, (code, mods, units) in enumerate(lines, start=1)
    ]
    return msgspec.convert({"claim_id": "R", "patient_id": "P", "billing_provider_npi": "1234567893", "lines": body}, Claim)


def edits_of(c: Claim) -> list[tuple[str, tuple[int, ...]]]:
    return [(f.edit, f.lines) for f in ENGINE.run(c)]


def test_basivertebral_nerve_ablation_two_extra_levels_is_clean() -> None:
    assert edits_of(claim(("64628", [], 1), ("64629", [], 2))) == []


def test_64629_real_indicators_drive_three_edits() -> None:
    # 64629: ZZZ, bilateral indicator 0 in the real file; MUE 2 (curated).
    findings = ENGINE.run(claim(("64629", ["50", "51"], 3)))
    by_edit = {f.edit: f for f in findings}
    assert set(by_edit) == {"addon-without-primary", "mue-units-exceeded", "modifier-50-on-addon", "modifier-51-on-addon"}
    assert by_edit["modifier-50-on-addon"].facts == FeeScheduleFacts(indicator="bilateral", value="0")
    assert by_edit["mue-units-exceeded"].facts == MueFacts(units_counted=3, mue_value=2, mai=2)
    assert by_edit["addon-without-primary"].facts == AddOnFacts(primaries_sought=("64628",))


def test_facet_rfa_bilateral_three_levels_is_clean() -> None:
    # 64636 has bilateral indicator 1 in the real file, so 50 on it is legitimate.
    assert edits_of(claim(("64635", ["50"], 1), ("64636", ["50"], 2))) == []


@pytest.mark.parametrize("addon", ["64480", "64484", "64491", "64494", "64634", "64636"])
def test_bilateral_indicator_1_addons_accept_50(addon: str) -> None:
    assert "modifier-50-on-addon" not in {f.edit for f in ENGINE.run(claim((addon, ["50"], 1)))}


def test_zzz_code_from_the_fee_schedule_alone_is_an_addon() -> None:
    # 22845 is ZZZ in the PPRRVU file and not in the bundled AOC rows.
    assert edits_of(claim(("22610", [], 1), ("22845", ["51"], 1))) == [("modifier-51-on-addon", (2,))]


def test_a_primary_code_with_51_is_fine() -> None:
    assert edits_of(claim(("64628", ["51"], 1), ("64629", [], 1))) == []
