"""`claim-edit submit`, `results` and `demo` against a real Redis."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import redis

from contracts import decode_event
from workers.cli import main
from workers.commands.demo import SAMPLES
from workers.streams import entries

ROOT = Path(__file__).resolve().parents[2]


def test_submit_wraps_bare_claims_in_events_with_fresh_ids(redis_client: redis.Redis, redis_url: str) -> None:
    assert main(["submit", str(SAMPLES), "--redis-url", redis_url, "--repeat", "2"]) == 0
    lines = [line for line in SAMPLES.read_bytes().splitlines() if line.strip()]
    sent = entries(redis_client, "claims.submitted")
    assert len(sent) == 2 * len(lines)
    events = [decode_event(fields[b"event"]) for _, fields in sent]
    assert len({e.event_id for e in events}) == len(events)  # fresh per send, even for the same claim
    assert [e.claim.claim_id for e in events[: len(lines)]] == [json.loads(line)["claim_id"] for line in lines]


def test_submit_refuses_a_file_with_a_bad_line_and_sends_nothing(
    redis_client: redis.Redis, redis_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    claims = tmp_path / "claims.jsonl"
    good = SAMPLES.read_text().splitlines()[0]
    claims.write_text(good + "\n" + '{"claim_id": "C-2", "lines": []}\n')
    assert main(["submit", str(claims), "--redis-url", redis_url]) == 2
    err = capsys.readouterr().err
    assert f"{claims}:2" in err
    assert "schema" in err
    assert redis_client.exists("claims.submitted") == 0


def test_results_prints_what_is_in_the_streams(redis_client: redis.Redis, redis_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    redis_client.xadd("claims.edited", {"result": b'{"event_id": "E-1", "claim_id": "C-1", "outcome": "pass", "findings": [], '
                                                  b'"reference_version": "r", "ruleset_version": "s"}'})
    redis_client.xadd("claims.deadletter", {"dead_letter": json.dumps({
        "stream": "claims.submitted", "stream_id": "1-0", "reason": "not-json", "detail": "bad", "delivery_count": 1,
        "payload": "x", "payload_encoding": "utf-8", "payload_bytes": 1, "payload_sha256": "0" * 64}).encode()})
    assert main(["results", "--redis-url", redis_url, "--from-start", "--count", "2"]) == 0
    out = capsys.readouterr().out
    assert "PASS" in out
    assert "claim C-1" in out
    assert "reason not-json" in out


def _demo(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "workers.cli", "demo"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
                          check=False)


def test_demo_on_a_shared_server_uses_its_own_streams_and_cleans_up(redis_client: redis.Redis, redis_url: str) -> None:
    env = {**os.environ, "REDIS_URL": redis_url}
    done = _demo(env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "DENY   claim S-004" in done.stdout
    assert "addon-without-primary" in done.stdout
    assert "reason not-json" in done.stdout
    assert "claims by outcome" in done.stdout
    assert "duplicate-service: 64635 x1 on 2025-11-05 by the same provider was already billed (claim S-103 line 1)" in done.stdout
    assert "1 on claim S-101 (line 2)" in done.stdout  # split units: the MUE counted the earlier claim's unit
    assert redis_client.keys("*") == []  # nothing left behind on someone else's server, history included


def test_demo_starts_its_own_server_when_there_is_no_redis_url() -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "CLAIMEDIT_REDIS_URL")}
    done = _demo(env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "started a throwaway" in done.stdout
    assert "mue-units-exceeded" in done.stdout
    assert "pass 11, review 2, deny 12" in done.stdout  # 17 JSONL claims (8, 2, 7), the 837P file (1, 0, 3), the history pairs (2, 0, 2)


def test_demo_shows_the_sample_837p_results_under_the_files_claim_numbers(redis_url: str) -> None:
    from workers.commands.demo import SAMPLE_837P

    done = _demo({**os.environ, "REDIS_URL": redis_url})
    assert done.returncode == 0, done.stdout + done.stderr
    text = SAMPLE_837P.read_text()
    numbers = [segment.split("*")[1] for segment in text.replace("\n", "").split("~") if segment.startswith("CLM*")]
    assert len(numbers) == 4
    section = done.stdout[done.stdout.index("837P claims.837") : done.stdout.index("dead letters")]
    for number in numbers:
        assert f"CLM01 {number}  (ISA13 000000837, GS06 1, ST02 0001)" in section
        assert f"claim {number}  event 000000837-1-0001-{number}" in section


def test_the_readme_xadd_example_is_a_valid_event() -> None:
    readme = (ROOT / "README.md").read_text()
    start = readme.index("XADD claims.submitted '*' event '") + len("XADD claims.submitted '*' event '")
    example = readme[start : readme.index("'", start)]
    assert decode_event(example.encode()).claim.lines[0].code == "64629"
