"""No patient data in logs or dead-letter details.

A real worker (subprocess, DEBUG logs) edits claims whose patient_id and NPIs carry marker values, and bad
events whose patient fields are wrong in every way the schema catches. No marker may appear in its log, in
/metrics, in a dead letter's `detail` (which must name the field instead), or in `claim-edit results`' readable
output. The dead letter's `payload` does keep the raw event, by design (docs/security.md).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import msgspec
import pytest
import redis

from contracts import encode
from tests.processes import WorkerProcess
from tests.security.servers import cli
from tests.workers.helpers import CLEAN, MUE_EXCEEDED, dead_letters, event, results, wait_for

pytestmark = pytest.mark.redis

PATIENT = "PT-MARKER-q8v3w"
BILLING_NPI = "1987604321"
RENDERING_NPI = "1765049382"
LINE_NPI = "1593574862"
SHORT_NPI = "159357486"  # 9 digits
LONG_PATIENT = "PT-LONG-MARKER-" + "k" * 185  # 200 characters
LETTER_NPI = "19876O4321"  # a letter O among the digits
NAME = "Zebediah-Marker-Quince"  # a patient name in a field the schema does not know
MARKERS = (PATIENT, BILLING_NPI, RENDERING_NPI, LINE_NPI, SHORT_NPI, LONG_PATIENT[:40], LETTER_NPI, NAME)


def _good(lines: Any = CLEAN) -> dict[str, Any]:
    body: dict[str, Any] = msgspec.to_builtins(event(lines))
    claim = body["claim"]
    claim.update(patient_id=PATIENT, billing_provider_npi=BILLING_NPI, rendering_provider_npi=RENDERING_NPI, patient_name=NAME)
    claim["lines"][0]["rendering_provider_npi"] = LINE_NPI
    return body


def _bad(field_path: tuple[str | int, ...], value: Any) -> dict[str, Any]:
    body = _good()
    target = body
    for step in field_path[:-1]:
        target = target[step]
    target[field_path[-1]] = value
    return body


# (event, words its dead letter's detail must contain: the field, never the value)
BAD: list[tuple[dict[str, Any], str]] = [
    (_bad(("claim", "billing_provider_npi"), SHORT_NPI), "billing_provider_npi"),
    (_bad(("claim", "patient_id"), LONG_PATIENT), "patient_id"),
    (_bad(("claim", "rendering_provider_npi"), LETTER_NPI), "rendering_provider_npi"),
    (_bad(("claim", "lines", 0, "rendering_provider_npi"), SHORT_NPI), "rendering_provider_npi"),
    (_bad(("claim", "billing_provider_npi"), LETTER_NPI), "billing_provider_npi"),
    (_bad(("claim", "patient_id"), {"name": NAME, "mrn": PATIENT}), "patient_id"),
    (_bad(("claim", "billing_provider_npi"), int(BILLING_NPI)), "billing_provider_npi"),
]


def test_no_patient_data_in_logs_metrics_details_or_results_output(redis_client: redis.Redis, redis_url: str, tmp_path: Path) -> None:
    good = [_good(CLEAN), _good(MUE_EXCEEDED)]
    raw_bad = [msgspec.json.encode(body) for body, _ in BAD]
    truncated = msgspec.json.encode(_good())[:-20]  # not JSON any more, markers inside
    worker = WorkerProcess(tmp_path, "phi", "--redis-url", redis_url, log_level="DEBUG")
    try:
        worker.wait_ready()
        pipe = redis_client.pipeline(transaction=False)
        for body in good:
            pipe.xadd("claims.submitted", {"event": msgspec.json.encode(body)})
        for raw in [*raw_bad, truncated]:
            pipe.xadd("claims.submitted", {"event": raw})
        pipe.execute()
        expected_dead = len(raw_bad) + 1
        wait_for(lambda: redis_client.xlen("claims.edited") == len(good) and redis_client.xlen("claims.deadletter") == expected_dead,
                 what="the results and the dead letters")
        _, metrics = worker.get("/metrics")
        assert worker.stop() == 0
        log = worker.log()
    finally:
        worker.kill()

    assert log.count('"dead letter"') == expected_dead  # the dead letters were logged (by reason and stream id)...
    for marker in MARKERS:  # ...and nothing of the patient in them, nor anywhere else
        assert marker not in log, marker
        assert marker not in metrics.decode(), marker

    letters = {letter.payload: letter for letter in dead_letters(redis_client)}
    for (_, field), raw in zip(BAD, raw_bad, strict=True):
        letter = letters[raw.decode()]  # the payload is the raw event, kept whole for repair
        assert letter.reason == "schema"
        assert field in letter.detail, letter.detail
        for marker in MARKERS:
            assert marker not in letter.detail, (marker, letter.detail)
    broken = letters[truncated.decode()]
    assert broken.reason == "not-json"
    assert not any(marker in broken.detail for marker in MARKERS), broken.detail

    assert len(results(redis_client)) == len(good)
    shown = cli("results", "--redis-url", redis_url, "--from-start", "--count", str(len(good) + expected_dead))
    assert shown.returncode == 0, shown.stderr
    assert "DEAD" in shown.stdout
    assert "schema" in shown.stdout
    for marker in MARKERS:
        assert marker not in shown.stdout + shown.stderr, marker


def test_the_result_carries_no_patient_fields(redis_client: redis.Redis) -> None:
    """The result stream is read by more consumers than the input stream: it holds only opaque ids and findings."""
    from contracts import ClaimEdited

    assert {"patient_id", "billing_provider_npi", "rendering_provider_npi"}.isdisjoint(ClaimEdited.__struct_fields__)
    sample = ClaimEdited(event_id="E-1", claim_id="C-1", outcome="pass", findings=(), reference_version="r", ruleset_version="p",
                         occurred_at=dt.datetime.now(dt.UTC))
    assert PATIENT not in encode(sample).decode()
