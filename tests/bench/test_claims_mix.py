"""bench.claims: the finding-heavy mix is deterministic, bills only the bench mix's codes, and holds what it says."""

from __future__ import annotations

from collections import Counter

import msgspec
import pytest

from bench.claims import HEAVY_PROBLEMS, ClaimMaker
from bench.reference_full import billed_codes, full_size
from edits import Engine, load_default_reference
from workers.history.memory import MemoryHistory
from workers.history.offline import HistoryEditor


def _claims(maker: ClaimMaker, count: int) -> list[bytes]:
    return [msgspec.json.encode(maker.claim(5)) for _ in range(count)]


def test_the_same_seed_gives_the_same_heavy_claims_and_another_seed_others() -> None:
    assert _claims(ClaimMaker(seed=2, mix="heavy"), 300) == _claims(ClaimMaker(seed=2, mix="heavy"), 300)
    assert _claims(ClaimMaker(seed=2, mix="heavy"), 300) != _claims(ClaimMaker(seed=3, mix="heavy"), 300)
    assert _claims(ClaimMaker(seed=2, mix="heavy"), 300) != _claims(ClaimMaker(seed=2), 300)


def test_the_heavy_mix_bills_only_codes_the_full_size_reference_was_built_for() -> None:
    # bench/reference_full.py builds its tables around billed_codes(): new codes would change the reference of every run
    heavy = {code for group in HEAVY_PROBLEMS for code, _, _ in group}
    assert heavy <= billed_codes()
    maker = ClaimMaker(seed=2, mix="heavy")
    assert {line.code for _ in range(2_000) for line in maker.claim(5).lines} <= billed_codes()


def test_an_unknown_mix_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown mix"):
        ClaimMaker(mix="light")


def test_heavy_claims_keep_their_line_count_and_never_bill_a_code_twice() -> None:
    maker = ClaimMaker(seed=2, mix="heavy")
    for lines in (1, 2, 5, 20):
        for _ in range(200):
            claim = maker.claim(lines)
            assert len(claim.lines) == lines
            codes = [line.code for line in claim.lines]
            # problem groups that bill a code twice on purpose (MUE summed over lines, two add-ons) are the only repeats
            repeated = {code for code, count in Counter(codes).items() if count > 1}
            assert repeated <= {"64629", "64636"}


def test_the_heavy_mix_has_about_1_8_findings_per_claim_and_three_in_four_denied_with_history() -> None:
    editor = HistoryEditor(Engine(full_size(load_default_reference(), ptp_rows=2_000)), MemoryHistory(365))
    maker = ClaimMaker(seed=2, mix="heavy")
    findings = denied = 0
    count = 4_000
    for _ in range(count):
        found = editor.findings(maker.claim(5))
        findings += len(found)
        denied += any(finding.severity == "deny" for finding in found)
    assert 1.65 <= findings / count <= 1.95
    assert 0.70 <= denied / count <= 0.80
