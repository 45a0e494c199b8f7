"""History stays exactly once under concurrency and faults: three workers (then a fourth), pairs of identical claims
submitted together, a worker SIGKILLed mid-run, Redis killed and restarted from its AOF. Afterwards every pair has
exactly one `duplicate-service` claim and every non-denied line of every result is in history exactly once."""

from __future__ import annotations

import datetime as dt
import random
import uuid
from collections.abc import Callable
from pathlib import Path

import msgspec
import pytest

from contracts import ClaimSubmitted
from tests.faults.helpers import RedisServer, WorkerProcess, answered, audit, wait_all_answered
from tests.history_audit import HISTORY_KEY, audit_history
from tests.workers.helpers import claim, submit, wait_for

pytestmark = [pytest.mark.fault, pytest.mark.redis, pytest.mark.slow]

STREAM = "claims.submitted"
PAIRS = 1200
# Odd and small: the two claims of a pair often fall in different batches, so different workers edit them at once.
WORKER_FLAGS = ("--batch-size", "7", "--claim-idle-ms", "500")
# Claims that pass alone: the first claim of a pair enters history whole, so the second is its duplicate.
SHAPES = ((("64628", (), 1), ("64629", (), 1)), (("64635", (), 1), ("64636", (), 1)), (("64628", (), 1), ("64629", ("76",), 1)))


def pair(rng: random.Random, patient: str, i: int) -> list[ClaimSubmitted]:
    """Two claims of one patient with the same lines; each pair has its own provider and date of service, so pairs
    of one patient share its history (and its version) without being duplicates of each other."""
    base = claim(*rng.choice(SHAPES))
    day = dt.date(2025, 1, 1) + dt.timedelta(days=i % 300)
    base = msgspec.structs.replace(base, patient_id=patient, billing_provider_npi=f"{1_000_000_000 + i // 300}",
                                   lines=tuple(msgspec.structs.replace(line, date_of_service=day) for line in base.lines))
    now = dt.datetime.now(dt.UTC)
    return [ClaimSubmitted(event_id=f"E-{uuid.uuid4().hex}", occurred_at=now,
                           claim=msgspec.structs.replace(base, claim_id=f"C-{uuid.uuid4().hex[:12]}")) for _ in range(2)]


def test_pairs_of_identical_claims_two_workers_sigkill_and_redis_restart_keep_history_exactly_once(
    own_redis: Callable[..., RedisServer], tmp_path: Path, workers: list[WorkerProcess]
) -> None:
    server = own_redis("--appendonly", "yes", "--appendfsync", "always")
    client = server.client()
    key_file = tmp_path / "history.key"
    key_file.write_text(HISTORY_KEY)
    flags = (*WORKER_FLAGS, "--history", "--history-key-file", str(key_file))

    def start(name: str) -> WorkerProcess:
        worker = WorkerProcess(server.url, tmp_path, name, *flags)
        workers.append(worker)
        return worker

    first, second, third = start("w1"), start("w2"), start("w3")
    for worker in (first, second, third):
        worker.wait_ready()
    rng = random.Random(7)
    patients = [f"P-{i}" for i in range(PAIRS // 40)]  # 40 pairs per patient on average: workers often meet on one patient
    pairs = [pair(rng, rng.choice(patients), i) for i in range(PAIRS)]
    events = [e for p in pairs for e in p]
    sent = submit(client, STREAM, events)

    wait_for(lambda: answered(client) >= len(events) // 10, what="the workers to be busy")
    first.sigkill()  # its batch in hand stays pending; w2, then w3, reclaim it
    wait_for(lambda: answered(client) >= len(events) // 4, what="a quarter of the answers")
    answered_before = answered(client)
    server.kill()
    assert answered_before < len(events), "everything was answered before Redis was killed"
    client.close()
    server.start()  # same port and directory: the AOF is replayed
    client = server.client()
    start("w4").wait_ready()
    wait_all_answered(client, len(sent), timeout_s=90)

    found = audit(client, sent)
    by_event = {r.event_id: r for r in found.results.values()}
    assert len(by_event) == len(events), f"dead letters: {[d.reason for d in found.dead_letters.values()][:5]}"
    for a, b in pairs:
        duplicates = [any(f.edit == "duplicate-service" for f in by_event[e.event_id].findings) for e in (a, b)]
        assert sorted(duplicates) == [False, True], f"pair {a.claim.claim_id}/{b.claim.claim_id}: duplicate flags {duplicates}"
    checked = audit_history(client, events, by_event.values(), dict.fromkeys(by_event, STREAM))
    assert checked > PAIRS
    conflicts = sum(w.metric("claimedit_history_conflicts_total") for w in workers if w.process.poll() is None)
    assert conflicts > 0, "the workers never edited one patient at once: the version check was not exercised"
    client.close()
