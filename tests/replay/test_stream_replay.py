"""`claim-edit replay` on a real Redis: stream ranges by id and time, paging, read-only sources, stream baselines,
republishing to a sandbox stream, and diffing two recorded result streams."""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path

import pytest
import redis

from contracts import encode
from edits import Engine, load_default_reference
from tests.replay.helpers import CLAIMS, changed_claims, changed_mue, claim, events, keys, replay, write_jsonl
from workers.reference_args import resolve_reference

pytestmark = pytest.mark.redis

SOURCE, RESULTS = "claims.submitted", "claims.edited"


def at(day: int, hour: int) -> int:
    return int(dt.datetime(2025, 11, day, hour, tzinfo=dt.UTC).timestamp() * 1000)


# Six events added at known times (explicit ids): two on Nov 3, three on Nov 4, one on Nov 5.
TIMES = [at(3, 9), at(3, 23), at(4, 0), at(4, 12), at(4, 12), at(5, 1)]


@pytest.fixture
def stream(redis_client: redis.Redis) -> list[str]:
    ids = []
    for position, (one, millis) in enumerate(zip(events(), TIMES, strict=True)):
        ids.append(add(redis_client, SOURCE, {"event": encode(one)}, f"{millis}-{position}"))
    return ids


@pytest.fixture
def baseline_file(tmp_path: Path) -> Path:
    engine = Engine(load_default_reference())
    return write_jsonl(tmp_path / "results.jsonl", [engine.edit(one) for one in events()])


def add(client: redis.Redis, stream: str, fields: dict[str, bytes], entry_id: str = "*") -> str:
    added: bytes = client.xadd(stream, fields, id=entry_id)  # type: ignore[arg-type, assignment]
    return added.decode()


def entries(client: redis.Redis, stream: str) -> list[tuple[str, dict[bytes, bytes]]]:
    raw: list[tuple[bytes, dict[bytes, bytes]]] = client.xrange(stream)  # type: ignore[assignment]
    return [(entry_id.decode(), fields) for entry_id, fields in raw]


def record_results(client: redis.Redis, stream: str, engine: Engine) -> None:
    for one in events():
        client.xadd(stream, {"result": encode(engine.edit(one))})


@pytest.mark.parametrize(
    ("bounds", "expected"),
    [
        ((), 6),
        (("--start", "2025-11-04"), 4),
        (("--end", "2025-11-04"), 2),  # exclusive: nothing added at or after midnight
        (("--start", "2025-11-04", "--end", "2025-11-05"), 3),
        (("--start", "2025-11-03T19:00:00-05:00", "--end", "2025-11-04T12:00:00Z"), 1),  # midnight Z to noon, noon excluded
        (("--start", "2025-11-04T12:00:00Z", "--end", "2025-11-04T12:00:00.001Z"), 2),  # both entries of that millisecond
        (("--start", f"{at(4, 12)}-4", "--end", f"{at(5, 1)}-5"), 2),  # ids are inclusive
        (("--start", str(at(4, 12)), "--end", str(at(4, 12))), 2),  # a bare ms covers every sequence number
        (("--start", "2025-11-06"), 0),
    ],
)
def test_time_and_id_bounded_ranges(
    capsys: pytest.CaptureFixture[str], redis_url: str, stream: list[str], baseline_file: Path, bounds: tuple[str, ...], expected: int
) -> None:
    run = replay(capsys, "--stream", SOURCE, *bounds, "--baseline", baseline_file, "--redis-url", redis_url, "--format", "json")
    assert run.status == 0, run.err
    totals = run.json()["summary"]["totals"]
    assert (totals["events"], totals["unchanged"]) == (expected, expected)


def test_pages_cover_the_whole_range_and_the_source_is_left_untouched(
    capsys: pytest.CaptureFixture[str], redis_client: redis.Redis, redis_url: str, stream: list[str], baseline_file: Path, tmp_path: Path
) -> None:
    lowered = changed_mue(tmp_path / "mue.csv", value=1)
    run = replay(capsys, "--stream", SOURCE, "--page", "2", "--baseline", baseline_file, "--mue", lowered,
                 "--redis-url", redis_url, "--format", "json")
    assert run.status == 1
    assert run.json()["summary"]["totals"]["events"] == len(CLAIMS)
    changed = changed_claims(run.json())
    assert set(changed) == {"C-two-units", "C-split"}
    assert changed["C-split"]["where"] == f"entry {stream[2]}"
    assert redis_client.xlen(SOURCE) == len(CLAIMS)
    assert redis_client.xinfo_groups(SOURCE) == []
    assert redis_client.keys("*") == [SOURCE.encode()]


def test_stream_baseline_with_a_changed_mue(
    capsys: pytest.CaptureFixture[str], redis_client: redis.Redis, redis_url: str, stream: list[str], tmp_path: Path
) -> None:
    record_results(redis_client, RESULTS, Engine(load_default_reference()))
    common = ("--stream", SOURCE, "--baseline-stream", RESULTS, "--redis-url", redis_url, "--format", "json")
    assert replay(capsys, *common).status == 0
    run = replay(capsys, *common, "--mue", changed_mue(tmp_path / "mue.csv", value=3))
    assert run.status == 1
    changed = changed_claims(run.json())
    assert set(changed) == {"C-three-units"}
    assert keys(changed["C-three-units"]["removed"]) == [("mue-units-exceeded", (2,), "64629", "deny")]
    assert changed["C-three-units"]["before"][0]["message"].endswith("exceed the MUE of 2 (MAI 2, date of service edit: policy); line 2.")


def test_unreadable_stream_entries_are_named_by_id(
    capsys: pytest.CaptureFixture[str], redis_client: redis.Redis, redis_url: str, stream: list[str], baseline_file: Path
) -> None:
    no_event = add(redis_client, SOURCE, {"data": b"{}"})
    bare_claim = add(redis_client, SOURCE, {"event": encode(claim("C-pair"))})  # the worker dead-letters these
    run = replay(capsys, "--stream", SOURCE, "--baseline", baseline_file, "--redis-url", redis_url, "--format", "json")
    assert run.status == 0
    summary = run.json()["summary"]
    assert summary["totals"]["unreadable"] == 2
    assert summary["totals"]["unchanged"] == len(CLAIMS)
    assert [(u["where"], u["reason"]) for u in summary["unreadable"]] == [
        (f"entry {no_event}", "missing-event-field"), (f"entry {bare_claim}", "schema")
    ]


def test_republish_copies_the_selected_events_to_a_sandbox_stream(
    capsys: pytest.CaptureFixture[str], redis_client: redis.Redis, redis_url: str, stream: list[str], tmp_path: Path
) -> None:
    run = replay(capsys, "--stream", SOURCE, "--start", "2025-11-04", "--end", "2025-11-05", "--republish", "sandbox.submitted",
                 "--redis-url", redis_url, "--format", "json")
    assert run.status == 0
    assert run.json()["summary"]["republished"] == 3
    originals = {entry_id: fields[b"event"] for entry_id, fields in entries(redis_client, SOURCE)}
    copied = [fields[b"event"] for _, fields in entries(redis_client, "sandbox.submitted")]
    assert copied == [originals[entry_id] for entry_id in stream[2:5]]  # byte for byte, in order

    # Bare claims from a file go out as claim.submitted events, so a worker can read them.
    bare = write_jsonl(tmp_path / "claims.jsonl", [claim("C-office")])
    assert replay(capsys, "--events", bare, "--republish", "sandbox.bare", "--redis-url", redis_url).status == 0
    [(_, fields)] = entries(redis_client, "sandbox.bare")
    assert b'"event_type":"claim.submitted"' in fields[b"event"]
    assert b'"event_id":"C-office"' in fields[b"event"]

    refused = replay(capsys, "--stream", SOURCE, "--republish", SOURCE, "--redis-url", redis_url)
    assert refused.status == 2
    assert "is a stream this replay reads" in refused.err


def test_candidate_stream_diffs_two_recorded_result_streams(
    capsys: pytest.CaptureFixture[str], redis_client: redis.Redis, redis_url: str, tmp_path: Path
) -> None:
    record_results(redis_client, RESULTS, Engine(load_default_reference()))
    lowered = changed_mue(tmp_path / "mue.csv", value=1)
    flags = argparse.Namespace(reference=None, pfs=None, mue=lowered, aoc=None, effective=None, policy=None)
    record_results(redis_client, "shadow.edited", Engine(resolve_reference(flags)))
    run = replay(capsys, "--candidate-stream", "shadow.edited", "--baseline-stream", RESULTS, "--redis-url", redis_url, "--format", "json")
    assert run.status == 1
    changed = changed_claims(run.json())
    assert set(changed) == {"C-two-units", "C-split"}
    assert changed["C-split"]["matched_by"] == "event_id"
    assert keys(changed["C-split"]["added"]) == [("mue-units-exceeded", (2, 3), "64629", "deny")]
    assert "recorded results in stream shadow.edited" in run.json()["summary"]["after"]["description"]


def test_missing_streams_and_servers_exit_2(capsys: pytest.CaptureFixture[str], redis_url: str, baseline_file: Path) -> None:
    run = replay(capsys, "--stream", "nothing.here", "--baseline", baseline_file, "--redis-url", redis_url)
    assert run.status == 2
    assert "stream 'nothing.here' does not exist" in run.err
    run = replay(capsys, "--events", baseline_file, "--baseline-stream", "nothing.here", "--redis-url", redis_url)
    assert run.status == 2
    assert "baseline stream 'nothing.here' does not exist" in run.err
