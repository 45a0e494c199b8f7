"""A smoke run of `python -m bench.edit_set_cost`: every engine is there and its figures are sane. Nothing is timed."""

from __future__ import annotations

import json

import pytest

from bench.edit_set_cost import main
from edits.registry import BUILTIN_EDITS


def test_edit_set_cost_names_the_base_set_each_added_edit_and_all(capsys: pytest.CaptureFixture[str]) -> None:
    main(["--quick", "--claims", "200", "--base", "4", "--json"])
    report = json.loads(capsys.readouterr().out)
    names = list(report["engines"])
    assert names == ["first 4 edits", *(f"first 4 + {edit.name}" for edit in BUILTIN_EDITS[4:]), f"all {len(BUILTIN_EDITS)} edits"]
    for row in report["engines"].values():
        assert row["claims_per_s"] > 0
        assert row["us_per_claim"] > 0
    assert report["all_over_base_claims_per_s"] == pytest.approx(
        report["engines"][names[-1]]["claims_per_s"] / report["engines"][names[0]]["claims_per_s"]
    )


def test_edit_set_cost_refuses_a_base_outside_the_registry() -> None:
    with pytest.raises(SystemExit):
        main(["--base", str(len(BUILTIN_EDITS) + 1)])
