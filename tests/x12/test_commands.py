"""`claim-edit x12`, and `check` / `submit` given an 837P file; `submit` to the suite's real Redis, then a worker drains it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import redis

from bench.x12_files import ClaimSpec, Line, simple
from contracts import decode_event
from edits import Engine
from tests.workers.helpers import WorkerThread, dead_letters, results, tiny_reference, wait_for
from tests.workers.test_happy_path import settings
from workers.cli import main
from workers.streams import entries

DATA = Path(__file__).resolve().parents[1] / "data" / "x12"
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def mixed(tmp_path: Path) -> Path:
    """Two claims that map (an add-on alone, a clean pair) and one that does not (a six-character code)."""
    path = tmp_path / "mixed.837"
    path.write_text(simple([
        ClaimSpec("ADDON-ALONE", [Line("64629", date=("D8", "20251103"))]),
        ClaimSpec("BROKEN", [Line("646281")]),
        ClaimSpec("CLEAN-PAIR", [Line("64628", date=("D8", "20251103")), Line("64629", date=("D8", "20251103"))]),
    ]))
    return path


def line_of(path: Path, prefix: str) -> int:
    """Generated files hold one segment per line: a segment's number is its line number."""
    return next(n for n, line in enumerate(path.read_text().splitlines(), start=1) if line.startswith(prefix))


def run(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "workers.cli", *args], cwd=ROOT, capture_output=True, input=stdin,
                          timeout=100, check=False)


def test_x12_prints_one_event_per_claim_and_refusals_on_stderr_with_exit_1(mixed: Path, tmp_path: Path) -> None:
    ack = tmp_path / "out.999"
    done = run("x12", str(mixed), str(DATA / "example1.837"), "--ack", str(ack))
    assert done.returncode == 1
    events = [decode_event(line) for line in done.stdout.splitlines()]
    assert [e.claim.claim_id for e in events] == ["ADDON-ALONE", "CLEAN-PAIR", "26463774"]
    stderr = done.stderr.decode()
    assert "refused" in stderr
    assert "claim BROKEN" in stderr
    bad, st = line_of(mixed, "SV1*HC:646281"), line_of(mixed, "ST*")
    assert f"segment {bad} (transaction 0001, position {bad - st + 1})" in stderr  # the SV1 with the bad code
    assert stderr.count("refused:") == 1
    text = ack.read_text()
    assert text.count("ISA*") == 2  # one interchange acknowledged per input file
    assert "005010X222A2" in text  # example1's version echoed


def test_x12_exits_0_when_everything_maps() -> None:
    done = run("x12", str(DATA / "drug-in-office.837"))
    assert done.returncode == 0, done.stderr.decode()
    assert len(done.stdout.splitlines()) == 1
    assert done.stderr == b""


def test_x12_limits_can_be_lowered_on_the_command_line(mixed: Path) -> None:
    done = run("x12", str(mixed), "--max-claims", "2")
    assert done.returncode == 1
    assert done.stdout == b""
    assert "more than 2 claims (the limit)" in done.stderr.decode()


def test_check_reads_an_837p_file_by_its_content_and_edits_its_claims(mixed: Path) -> None:
    done = run("check", "--format", "json", str(mixed))
    assert done.returncode == 1  # one claim refused
    rows = [json.loads(line) for line in done.stdout.splitlines()]
    refused = [r for r in rows if "error" in r]
    edited = {r["claim_id"]: r for r in rows if "outcome" in r}
    assert [(r["claim_id"], r["segment"]) for r in refused] == [("BROKEN", line_of(mixed, "SV1*HC:646281"))]
    assert set(edited) == {"ADDON-ALONE", "CLEAN-PAIR"}
    assert [f["edit"] for f in edited["ADDON-ALONE"]["findings"]] == ["addon-without-primary"]
    assert edited["CLEAN-PAIR"]["findings"] == []
    assert edited["ADDON-ALONE"]["event_id"] == "000000001-1-0001-ADDON-ALONE"


def test_check_writes_the_999_of_an_837p_file(mixed: Path, tmp_path: Path) -> None:
    ack = tmp_path / "check.999"
    done = run("check", str(mixed), "--ack", str(ack))
    assert done.returncode == 1
    ik5 = [s.split("*")[1] for s in ack.read_text().replace("\n", "").split("~") if s.startswith("IK5")]
    assert ik5 == ["A"]  # a six-character code is within the guide's element length: the 999 accepts the set


def test_check_reads_an_837p_file_from_stdin(mixed: Path) -> None:
    done = run("check", "-", stdin=mixed.read_bytes())
    assert done.returncode == 1
    out = done.stdout.decode()
    assert "ADDON-ALONE  DENY" in out
    assert f"REFUSED <stdin>: segment {line_of(mixed, 'SV1*HC:646281')}" in out


def test_check_still_reads_jsonl() -> None:
    done = run("check", str(ROOT / "workers" / "samples" / "claims.jsonl"))
    assert done.returncode == 0, done.stderr.decode()


@pytest.mark.redis
def test_submit_sends_the_claims_that_map_and_a_worker_answers_each_with_the_files_claim_number(
    mixed: Path, redis_client: redis.Redis, redis_url: str
) -> None:
    ack = mixed.with_suffix(".999")
    assert main(["submit", str(mixed), "--redis-url", redis_url, "--ack", str(ack)]) == 1  # BROKEN refused, the others sent
    assert "AK1*HC*1*005010X222A1" in ack.read_text()
    sent = [decode_event(fields[b"event"]) for _, fields in entries(redis_client, "claims.submitted")]
    assert [e.claim.claim_id for e in sent] == ["ADDON-ALONE", "CLEAN-PAIR"]
    assert all(e.x12 is not None and e.x12.interchange_control_number == "000000001" for e in sent)
    with WorkerThread(settings(redis_url), Engine(tiny_reference())):
        wait_for(lambda: redis_client.xlen("claims.edited") >= 2, what="two results")
    got = {r.claim_id: r for r in results(redis_client)}
    assert set(got) == {"ADDON-ALONE", "CLEAN-PAIR"}
    assert got["ADDON-ALONE"].event_id == "000000001-1-0001-ADDON-ALONE"
    assert got["ADDON-ALONE"].outcome == "deny"
    assert got["CLEAN-PAIR"].outcome == "pass"


@pytest.mark.redis
def test_submitting_the_same_file_again_is_dropped_by_the_workers_idempotency_window(
    redis_client: redis.Redis, redis_url: str, tmp_path: Path
) -> None:
    path = tmp_path / "one.837"
    path.write_text(simple([ClaimSpec("ONCE", [Line("64628", date=("D8", "20251103"))])]))
    with WorkerThread(settings(redis_url), Engine(tiny_reference())):
        assert main(["submit", str(path), "--redis-url", redis_url]) == 0
        wait_for(lambda: redis_client.xlen("claims.edited") >= 1, what="the first result")
        assert main(["submit", str(path), "--redis-url", redis_url]) == 0
        wait_for(lambda: redis_client.xlen("claims.deadletter") + redis_client.xlen("claims.edited") >= 2,
                 what="the resubmission to be answered or dead-lettered")
    assert [r.claim_id for r in results(redis_client)] == ["ONCE"]
    assert [(d.reason, d.event_id) for d in dead_letters(redis_client)] == [("duplicate-event", "000000001-1-0001-ONCE")]
