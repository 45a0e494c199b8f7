"""Runs every fixture case in tests/edits/cases/: the edit alone, claim in, findings out."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest

from edits.engine import Engine
from edits.policy import EditPolicy, Policy
from edits.registry import BUILTIN_EDITS
from tests.edits.fixtures import Case, load_cases

CASES = load_cases()


def matches(got: Any, want: Any) -> bool:
    """`want` as a pattern: a mapping matches when each of its keys matches (others are ignored); a list when it has
    as many items, each matching in order; anything else is equal."""
    if isinstance(want, dict):
        return isinstance(got, dict) and all(key in got and matches(got[key], value) for key, value in want.items())
    if isinstance(want, list):
        return isinstance(got, list) and len(got) == len(want) and all(map(matches, got, want))
    return bool(got == want)


EDITS = {edit.name: edit for edit in BUILTIN_EDITS}


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_case(case: Case) -> None:
    edit = EDITS[case.edit]
    engine = Engine(case.reference, Policy(edits={case.edit: EditPolicy(options=case.options)}), edits=[edit])
    findings = engine.run(case.claim) if case.history is None else engine.run(case.claim, case.history)
    found = [msgspec.json.decode(msgspec.json.encode(f)) for f in findings]
    assert len(found) == len(case.findings), f"expected {len(case.findings)} findings, got {found}"
    for got, want in zip(found, case.findings, strict=True):
        assert got["edit"] == case.edit
        assert got["severity"] == want.get("severity", edit.default_severity)
        for key, value in want.items():
            assert matches(got.get(key), value), f"{key}: expected {value!r}, got {got.get(key)!r} in {got}"


def test_every_builtin_edit_has_cases_that_fire_and_pass() -> None:
    for name in EDITS:
        mine = [case for case in CASES if case.edit == name]
        assert any(case.findings for case in mine), f"{name} has no failing case"
        assert any(not case.findings for case in mine), f"{name} has no passing case"
