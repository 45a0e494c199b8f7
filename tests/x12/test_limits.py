"""Hostile 837P input is refused within explicit limits (workers/x12/limits.py), before the validator does the costly part."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bench.x12_files import ClaimSpec, Line, Subscriber, Transaction, interchange, simple
from workers.x12 import DEFAULT_LIMITS, Limits, map_text, read_837p


def test_a_file_over_the_byte_limit_is_refused_on_its_size_without_being_read(tmp_path: Path) -> None:
    huge = tmp_path / "huge.837"
    with huge.open("wb") as file:
        file.truncate(DEFAULT_LIMITS.max_bytes + 1)  # sparse: nothing to read, so only the size check can refuse it
    result = read_837p(huge)
    [refusal] = result.refusals
    assert f"over the limit of {DEFAULT_LIMITS.max_bytes:,}" in refusal.reason
    assert result.ack is None


def test_a_small_byte_limit_applies_too(tmp_path: Path) -> None:
    path = tmp_path / "a.837"
    path.write_text(simple([ClaimSpec("A1")]))
    assert read_837p(path, Limits(max_bytes=path.stat().st_size)).refusals == []
    [refusal] = read_837p(path, Limits(max_bytes=path.stat().st_size - 1)).refusals
    assert "over the limit" in refusal.reason


def test_too_many_claims() -> None:
    text = simple([ClaimSpec(f"C{i}") for i in range(6)])
    [refusal] = map_text(text, "x", Limits(max_claims=5)).refusals
    assert refusal.reason == "more than 5 claims (the limit)"
    assert text.splitlines()[refusal.segment - 1].startswith("CLM*C5")


def test_too_many_segments() -> None:
    text = simple([ClaimSpec(f"C{i}") for i in range(6)])
    [refusal] = map_text(text, "x", Limits(max_segments=30)).refusals
    assert refusal.reason == "more than 30 segments (the limit)"
    assert refusal.segment == 31


def test_deep_repetition_of_service_lines_is_cut_at_the_line_limit() -> None:
    text = simple([ClaimSpec("LONG", [Line() for _ in range(DEFAULT_LIMITS.max_lines_per_claim + 1)])])
    [refusal] = map_text(text, "x").refusals
    assert "more than 1,000 service lines" in refusal.reason
    assert text.splitlines()[refusal.segment - 1] == f"LX*{DEFAULT_LIMITS.max_lines_per_claim + 1}~"


def test_deeply_nested_hl_loops_are_refused_before_validation() -> None:
    text = simple([ClaimSpec("A1")])
    chain = "".join(f"HL*{i}*{i - 1}*22*1~\n" for i in range(3, 10_003))
    text = text.replace("HL*2*1*22*0~\n", "HL*2*1*22*1~\n" + chain)
    result = map_text(text, "x")
    [refusal] = result.refusals
    assert "nested 11 levels deep" in refusal.reason
    assert result.ack is None


@pytest.mark.parametrize("seed", range(5))
def test_random_binary_is_refused_as_not_text_or_not_x12(seed: int) -> None:
    import random

    from workers.x12 import map_bytes

    raw = random.Random(seed).randbytes(10_000)
    [refusal] = map_bytes(raw, "junk").refusals
    assert "not text" in refusal.reason or "not X12" in refusal.reason or "not an X12" in refusal.reason


def test_isa_followed_by_junk_is_refused_with_a_position() -> None:
    text = simple([ClaimSpec("A1")])
    junk = text[:106] + os.urandom(2000).hex()
    result = map_text(junk, "x")
    assert result.events == []
    assert result.refusals
    assert all(r.segment for r in result.refusals)


def test_an_error_in_every_claim_refuses_each_claim_for_its_own_segment() -> None:
    # Attribution is indexed by position: a file with as many errors as claims stays linear.
    # one subscriber per claim: the guide allows at most 100 claims (2300) under one subscriber (2000B)
    subscribers = [Subscriber(f"M{i}", [ClaimSpec(f"C{i}", [Line(modifiers=("5",))])]) for i in range(500)]
    text = interchange([[Transaction("0001", subscribers)]])
    result = map_text(text, "x")
    assert result.events == []
    assert len(result.refusals) == 500
    lines = text.splitlines()
    for refusal in result.refusals:
        assert lines[refusal.segment - 1].startswith("SV1*HC:64628:5")
        assert refusal.claim_id is not None
        clm = max(n for n, line in enumerate(lines[: refusal.segment], start=1) if line.startswith("CLM*"))
        assert lines[clm - 1].startswith(f"CLM*{refusal.claim_id}*")


def test_the_101st_claim_of_one_subscriber_is_refused_by_the_guide() -> None:
    text = simple([ClaimSpec(f"C{i}") for i in range(101)])
    result = map_text(text, "x")
    assert len(result.events) == 100
    [refusal] = result.refusals
    assert refusal.claim_id == "C100"
