"""`claim-edit replay` with history: rebuilt in memory in stream order over the range, warmed from before it on demand."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import redis

from contracts import Claim, ClaimSubmitted, ServiceLine, encode
from tests.replay.helpers import check_json, replay, write_jsonl

DOS = dt.date(2025, 11, 3)
SOURCE = "claims.submitted"


def event(event_id: str, claim_id: str, *lines: tuple[str, int]) -> ClaimSubmitted:
    claim = Claim(
        claim_id=claim_id, patient_id="P-history", billing_provider_npi="1234567893",
        lines=tuple(ServiceLine(line_number=n, code=code, units=units, date_of_service=DOS) for n, (code, units) in enumerate(lines, 1)),
    )
    return ClaimSubmitted(event_id=event_id, occurred_at=dt.datetime(2025, 11, 3, 12, tzinfo=dt.UTC), claim=claim)


# Round one: a primary with one unit of its add-on, and an office visit. Round two: the add-on's other units on a
# second claim (split units: 1 + 2 over the MUE of 2) and the office visit sent again (a duplicate).
FIRST = [event("E1", "A", ("64628", 1), ("64629", 1)), event("E2", "V", ("99213", 1))]
SECOND = [event("E3", "B", ("64629", 2)), event("E4", "V", ("99213", 1))]


def edits_of(change: dict[str, object], side: str) -> list[str]:
    findings = change[side]
    assert isinstance(findings, list)
    return sorted(f["edit"] for f in findings)


def test_replay_rebuilds_history_as_check_does(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    events = write_jsonl(tmp_path / "events.jsonl", FIRST + SECOND)
    with_history = tmp_path / "with.jsonl"
    with_history.write_text(check_json(capsys, events))
    alone = tmp_path / "alone.jsonl"
    alone.write_text(check_json(capsys, events, "--no-history"))

    same = replay(capsys, "--events", events, "--baseline", with_history, "--format", "json")
    assert same.status == 0, same.out
    assert same.json()["summary"]["totals"]["unchanged"] == 4

    # Against results recorded without history, the history findings are what replay adds.
    added = replay(capsys, "--events", events, "--baseline", alone, "--format", "json")
    assert added.status == 1
    changed = {change["event_id"]: change for change in added.json()["changed"]}
    assert set(changed) == {"E3", "E4"}
    assert edits_of(changed["E3"], "added") == ["mue-units-exceeded"]
    assert edits_of(changed["E3"], "removed") == ["addon-without-primary"]  # its primary is on claim A
    assert edits_of(changed["E4"], "added") == ["duplicate-service"]
    assert replay(capsys, "--events", events, "--baseline", alone, "--no-history").status == 0


def test_a_range_without_its_past_misses_it_unless_warmed(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    everything = write_jsonl(tmp_path / "all.jsonl", FIRST + SECOND)
    baseline = tmp_path / "baseline.jsonl"
    baseline.write_text(check_json(capsys, everything))
    first = write_jsonl(tmp_path / "first.jsonl", FIRST)
    second = write_jsonl(tmp_path / "second.jsonl", SECOND)

    cold = replay(capsys, "--events", second, "--baseline", baseline, "--format", "json")
    assert cold.status == 1
    assert {change["event_id"] for change in cold.json()["changed"]} == {"E3", "E4"}

    warm = replay(capsys, "--events", second, "--warm-events", first, "--baseline", baseline, "--format", "json")
    assert warm.status == 0, warm.out
    totals = warm.json()["summary"]["totals"]
    assert (totals["events"], totals["unchanged"], totals["warmed"]) == (2, 2, 2)


@pytest.mark.redis
def test_warm_start_reads_the_stream_before_the_range(
    capsys: pytest.CaptureFixture[str], redis_client: redis.Redis, redis_url: str, tmp_path: Path
) -> None:
    for position, one in enumerate(FIRST + SECOND):
        redis_client.xadd(SOURCE, {"event": encode(one)}, id=f"{1000 + position}-0")
    baseline = tmp_path / "baseline.jsonl"
    baseline.write_text(check_json(capsys, write_jsonl(tmp_path / "all.jsonl", FIRST + SECOND)))
    common = ("--stream", SOURCE, "--redis-url", redis_url, "--baseline", baseline, "--format", "json")

    cold = replay(capsys, *common, "--start", "1002")
    assert cold.status == 1
    assert {change["event_id"] for change in cold.json()["changed"]} == {"E3", "E4"}

    warm = replay(capsys, *common, "--start", "1002", "--warm-start", "1001")  # only E2 warms: E3 still misses claim A
    assert {change["event_id"] for change in warm.json()["changed"]} == {"E3"}
    assert warm.json()["summary"]["totals"]["warmed"] == 1

    full = replay(capsys, *common, "--start", "1002", "--warm-start", "0")
    assert full.status == 0, full.out
    assert full.json()["summary"]["totals"] | {"events": 2, "unchanged": 2, "warmed": 2} == full.json()["summary"]["totals"]


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--no-history", "--warm-events", "x.jsonl"], "make no sense with --no-history"),
        (["--warm-start", "5"], "--warm-start reads the input stream before --start"),
        (["--warm-events", "x.jsonl"], "--warm-events goes with --events"),
    ],
)
def test_warm_flags_are_checked(capsys: pytest.CaptureFixture[str], tmp_path: Path, args: list[str], words: str) -> None:
    events = write_jsonl(tmp_path / "events.jsonl", FIRST)
    source = ["--stream", SOURCE] if "--warm-events" in args and "--no-history" not in args else ["--events", str(events)]
    run = replay(capsys, *source, "--baseline", events, *args)
    assert run.status == 2
    assert words in run.err
