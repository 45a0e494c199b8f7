"""A run recorded by a real `claim-edit worker` on a real Redis (claims sent with `claim-edit submit`), then replayed."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from tests.replay.helpers import CLAIMS, changed_claims, changed_mue, claim, event, keys, replay, write_jsonl
from tests.workers.helpers import wait_for
from workers.embedded_redis import EmbeddedRedis, free_port

pytestmark = pytest.mark.redis

ROOT = Path(__file__).resolve().parents[2]
SOURCE, RESULTS = "claims.submitted", "claims.edited"


def cli(*args: str | Path) -> list[str]:
    return [sys.executable, "-m", "workers.cli", *map(str, args)]


def _ready(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


@pytest.fixture(scope="module")
def recorded_url() -> Iterator[str]:
    """A server of this module's own: the recording is made once (a worker loading the full-size snapshot takes
    seconds) and every test only reads it, so no other test's flush may empty it."""
    with EmbeddedRedis() as server:
        yield server.url


@pytest.fixture(scope="module")
def worker(recorded_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[subprocess.Popen[bytes]]:
    """`claim-edit worker` with the bundled snapshot, as a subprocess; stopped with SIGTERM."""
    port = free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith("CLAIMEDIT_") and key != "REDIS_URL"}
    log_path = tmp_path_factory.mktemp("worker") / "worker.log"
    log = log_path.open("wb")
    process = subprocess.Popen(
        cli("worker", "--redis-url", recorded_url, "--consumer", "recorder", "--http-port", str(port), "--http-host", "127.0.0.1",
            "--block-ms", "50"),
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    try:
        wait_for(lambda: _ready(port) or process.poll() is not None, what="the worker to be ready")
        assert process.poll() is None, log_path.read_text()
        yield process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        log.close()


def submit(redis_url: str, path: Path) -> None:
    done = subprocess.run(cli("submit", path, "--redis-url", redis_url), cwd=ROOT, capture_output=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr.decode()


def server_time(client: redis.Redis) -> dt.datetime:
    seconds, micros = client.time()
    return dt.datetime.fromtimestamp(seconds + micros / 1e6, dt.UTC)


@pytest.fixture(scope="module")
def recording(recorded_url: str, worker: subprocess.Popen[bytes], tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """Two batches submitted and edited by the worker; `between` is a server time after the first and before the second.
    Replays only read the two streams, so the tests of this module share one recording."""
    tmp_path = tmp_path_factory.mktemp("recording")
    first = [event(claim_id, event_id=f"E1-{claim_id}") for claim_id in CLAIMS]
    second = [event(claim_id, event_id=f"E2-{claim_id}") for claim_id in CLAIMS]
    with redis.Redis.from_url(recorded_url) as redis_client:
        submit(recorded_url, write_jsonl(tmp_path / "first.jsonl", first))
        wait_for(lambda: redis_client.xlen(RESULTS) >= len(first), what="results of the first batch")
        between = server_time(redis_client)
        wait_for(lambda: server_time(redis_client) > between + dt.timedelta(milliseconds=2), what="the server clock to move on")
        submit(recorded_url, write_jsonl(tmp_path / "second.jsonl", second))
        wait_for(lambda: redis_client.xlen(RESULTS) >= len(first) + len(second), what="results of the second batch")
        assert redis_client.xlen(SOURCE) == redis_client.xlen(RESULTS) == 2 * len(CLAIMS)
    return {"between": between, "events": write_jsonl(tmp_path / "all.jsonl", first + second), "url": recorded_url}


@pytest.fixture
def redis_url(recording: dict[str, object]) -> str:
    """The recorded server (overrides the suite's emptied database for this module's tests)."""
    url = recording["url"]
    assert isinstance(url, str)
    return url


def test_unchanged_reference_reports_no_change(capsys: pytest.CaptureFixture[str], redis_url: str, recording: dict[str, object]) -> None:
    run = replay(capsys, "--stream", SOURCE, "--baseline-stream", RESULTS, "--redis-url", redis_url, "--format", "json")
    assert run.status == 0, run.err
    totals = run.json()["summary"]["totals"]
    assert totals == totals | {"events": 2 * len(CLAIMS), "unchanged": 2 * len(CLAIMS), "changed": 0, "without_baseline": 0,
                               "unreadable": 0}


@pytest.mark.parametrize(
    ("mue", "expected_added", "expected_removed"),
    [
        (1, {"C-two-units": (2,), "C-split": (2, 3)}, {}),
        (3, {}, {"C-three-units": (2,)}),
    ],
)
def test_one_mue_value_changed_reports_exactly_the_affected_claims(
    capsys: pytest.CaptureFixture[str],
    redis_url: str,
    recording: dict[str, object],
    tmp_path: Path,
    mue: int,
    expected_added: dict[str, tuple[int, ...]],
    expected_removed: dict[str, tuple[int, ...]],
) -> None:
    mue_file = changed_mue(tmp_path / "mue.csv", value=mue)
    run = replay(capsys, "--stream", SOURCE, "--baseline-stream", RESULTS, "--mue", mue_file, "--redis-url", redis_url, "--format", "json")
    assert run.status == 1, run.err
    report = run.json()
    affected = set(expected_added) | set(expected_removed)
    # Each affected claim was submitted twice (two event ids): both are reported, nothing else is.
    assert sorted(change["event_id"] for change in report["changed"]) == sorted(f"E{n}-{c}" for c in affected for n in (1, 2))
    for change in report["changed"]:
        claim_id = change["claim_id"]
        assert change["matched_by"] == "event_id"
        expected = [("mue-units-exceeded", expected_added[claim_id], "64629", "deny")] if claim_id in expected_added else []
        assert keys(change["added"]) == expected
        expected = [("mue-units-exceeded", expected_removed[claim_id], "64629", "deny")] if claim_id in expected_removed else []
        assert keys(change["removed"]) == expected
    totals = report["summary"]["totals"]
    assert (totals["changed"], totals["unchanged"]) == (2 * len(affected), 2 * (len(CLAIMS) - len(affected)))


def test_time_bounded_range_of_the_recorded_stream(
    capsys: pytest.CaptureFixture[str], redis_url: str, recording: dict[str, object], tmp_path: Path
) -> None:
    between = recording["between"]
    assert isinstance(between, dt.datetime)
    mue_file = changed_mue(tmp_path / "mue.csv", value=3)
    common = ("--stream", SOURCE, "--baseline-stream", RESULTS, "--mue", mue_file, "--redis-url", redis_url, "--format", "json")
    later = replay(capsys, *common, "--start", between.isoformat())
    earlier = replay(capsys, *common, "--end", between.isoformat())
    assert [c["event_id"] for c in later.json()["changed"]] == ["E2-C-three-units"]
    assert [c["event_id"] for c in earlier.json()["changed"]] == ["E1-C-three-units"]
    assert later.json()["summary"]["totals"]["events"] == earlier.json()["summary"]["totals"]["events"] == len(CLAIMS)


def test_events_file_against_the_recorded_result_stream(
    capsys: pytest.CaptureFixture[str], redis_url: str, recording: dict[str, object], tmp_path: Path
) -> None:
    events_path = recording["events"]
    assert isinstance(events_path, Path)
    run = replay(capsys, "--events", events_path, "--baseline-stream", RESULTS, "--mue", changed_mue(tmp_path / "mue.csv", value=3),
                 "--redis-url", redis_url, "--format", "json")
    assert run.status == 1
    assert set(changed_claims(run.json())) == {"C-three-units"}
    assert run.json()["summary"]["totals"]["changed"] == 2


def test_bare_claims_match_the_recorded_results_by_claim_id(
    capsys: pytest.CaptureFixture[str], redis_url: str, recording: dict[str, object], tmp_path: Path
) -> None:
    bare = write_jsonl(tmp_path / "claims.jsonl", [claim(claim_id) for claim_id in CLAIMS])
    run = replay(capsys, "--events", bare, "--baseline-stream", RESULTS, "--mue", changed_mue(tmp_path / "mue.csv", value=3),
                 "--redis-url", redis_url, "--format", "json")
    assert run.status == 1
    [change] = run.json()["changed"]
    assert (change["claim_id"], change["matched_by"]) == ("C-three-units", "claim_id")
    assert keys(change["removed"]) == [("mue-units-exceeded", (2,), "64629", "deny")]
