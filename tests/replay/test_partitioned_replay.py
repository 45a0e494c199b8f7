"""Replaying a partitioned recording (`--partitions 3`, one Redis, no cluster) recorded by a real worker."""

from __future__ import annotations

from pathlib import Path

import pytest
import redis

from tests.replay.helpers import CLAIMS, changed_mue, keys, replay
from tests.replay.partitioned_run import EXTRA, P, Recording, record
from workers.partitions import all_partitions
from workers.replay.sources import EVENT_FIELD

SAMPLE_CLAIMS = Path(__file__).resolve().parents[2] / "workers" / "samples" / "claims.jsonl"

pytestmark = pytest.mark.redis


@pytest.fixture
def recording(redis_client: redis.Redis, redis_url: str) -> Recording:
    return record(redis_client, redis_url)


@pytest.fixture
def recorded(recording: Recording) -> int:
    return recording.events


def test_unchanged_reference_reports_no_change(capsys: pytest.CaptureFixture[str], redis_url: str, recorded: int) -> None:
    run = replay(capsys, "--partitions", str(P), "--baseline-partitions", "--redis-url", redis_url, "--format", "json")
    assert run.status == 0, run.err
    summary = run.json()["summary"]
    assert summary["totals"] == summary["totals"] | {"events": recorded, "unchanged": recorded, "changed": 0, "without_baseline": 0,
                                                     "unreadable": 0}
    assert summary["baseline_results"] == recorded


@pytest.mark.parametrize(
    ("mue", "expected_added", "expected_removed"),
    [
        (1, {"C-two-units": (2,), "C-split": (2, 3)}, {}),
        (3, {}, {"C-three-units": (2,), EXTRA: (2,)}),
    ],
)
def test_one_mue_value_changed_reports_exactly_the_affected_claims(
    capsys: pytest.CaptureFixture[str],
    redis_url: str,
    recorded: int,
    tmp_path: Path,
    mue: int,
    expected_added: dict[str, tuple[int, ...]],
    expected_removed: dict[str, tuple[int, ...]],
) -> None:
    run = replay(capsys, "--partitions", str(P), "--baseline-partitions", "--mue", changed_mue(tmp_path / "mue.csv", value=mue),
                 "--redis-url", redis_url, "--format", "json")
    assert run.status == 1, run.err
    report = run.json()
    affected = set(expected_added) | set(expected_removed)
    expected_events = sorted(f"E{n}-{c}" for c in affected for n in (1, 2) if c in CLAIMS or n == 1)
    assert sorted(change["event_id"] for change in report["changed"]) == expected_events
    streams = {p.submitted for p in all_partitions(P)}
    for change in report["changed"]:
        claim_id = change["claim_id"]
        assert change["matched_by"] == "event_id"
        entry, _, stream = change["where"].partition(" in ")
        assert entry.startswith("entry ")
        assert stream in streams  # the position names its partition stream
        expected = [("mue-units-exceeded", expected_added[claim_id], "64629", "deny")] if claim_id in expected_added else []
        assert keys(change["added"]) == expected
        expected = [("mue-units-exceeded", expected_removed[claim_id], "64629", "deny")] if claim_id in expected_removed else []
        assert keys(change["removed"]) == expected
    totals = report["summary"]["totals"]
    assert (totals["events"], totals["changed"], totals["unchanged"]) == (recorded, len(expected_events), recorded - len(expected_events))


def test_bounds_apply_to_every_partition_and_republish_copies_them(
    capsys: pytest.CaptureFixture[str], redis_client: redis.Redis, redis_url: str, recording: Recording
) -> None:
    between = recording.between.isoformat()
    common = ("--partitions", str(P), "--baseline-partitions", "--redis-url", redis_url, "--format", "json")
    earlier = replay(capsys, *common, "--end", between)
    later = replay(capsys, *common, "--start", between, "--republish", "sandbox.submitted")
    assert (earlier.status, later.status) == (0, 0), (earlier.err, later.err)
    assert earlier.json()["summary"]["totals"]["events"] == earlier.json()["summary"]["totals"]["unchanged"] == recording.first
    summary = later.json()["summary"]
    second = recording.events - recording.first
    assert (summary["totals"]["events"], summary["totals"]["unchanged"], summary["republished"]) == (second, second, second)
    copied = [fields[EVENT_FIELD] for _, fields in redis_client.xrange("sandbox.submitted")]
    start = f"{int(recording.between.timestamp() * 1000)}-0"
    originals = [fields[EVENT_FIELD] for p in all_partitions(P) for _, fields in redis_client.xrange(p.submitted, min=start)]
    assert len(originals) == second
    assert copied == originals  # byte for byte, partition after partition


def test_unreadable_entries_name_their_partition_and_flags_are_checked(
    capsys: pytest.CaptureFixture[str], redis_client: redis.Redis, redis_url: str, recorded: int
) -> None:
    stream = all_partitions(P)[2].submitted
    bad_id = redis_client.xadd(stream, {"event": b"{not json"}).decode()
    run = replay(capsys, "--partitions", str(P), "--baseline-partitions", "--redis-url", redis_url, "--format", "json")
    assert run.status == 0, run.err
    [unreadable] = run.json()["summary"]["unreadable"]
    assert unreadable["where"] == f"entry {bad_id} in {stream}"
    assert run.json()["summary"]["totals"]["events"] == recorded + 1

    wrong_prefix = replay(capsys, "--partitions", str(P), "--partition-prefix", "other", "--baseline-partitions", "--redis-url", redis_url)
    assert wrong_prefix.status == 2
    assert "no partition result stream exists" in wrong_prefix.err
    no_partitions = replay(capsys, "--stream", stream, "--baseline-partitions", "--redis-url", redis_url)
    assert no_partitions.status == 2
    assert "give --partitions P" in no_partitions.err
    from_file = replay(capsys, "--events", str(SAMPLE_CLAIMS), "--baseline-partitions",
                       "--redis-url", redis_url)
    assert from_file.status == 2
    assert "use --partitions P instead of --events" in from_file.err
    no_input = replay(capsys, "--partitions", str(P), "--partition-prefix", "other", "--baseline-stream", all_partitions(P)[0].edited,
                      "--redis-url", redis_url)
    assert no_input.status == 2
    assert "no partition input stream holds entries" in no_input.err


def test_a_wrong_partition_count_is_warned_about(capsys: pytest.CaptureFixture[str], redis_url: str, recorded: int) -> None:
    # Partition 0's streams have the same name for every P from 2 up: P = 2 finds them, and only them.
    run = replay(capsys, "--partitions", "2", "--baseline-partitions", "--redis-url", redis_url, "--format", "json")
    assert f"{all_partitions(2)[0].submitted} holds claims of other partitions" in run.err
    assert "is --partitions 2 the workers' P?" in run.err
    assert 0 < run.json()["summary"]["totals"]["events"] < recorded
    right = replay(capsys, "--partitions", str(P), "--baseline-partitions", "--redis-url", redis_url, "--format", "json")
    assert "warning" not in right.err
