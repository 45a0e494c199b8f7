"""A real worker process under a flood of hostile entries: each becomes exactly one dead letter, good events still get results,
nothing stays pending, the worker keeps serving, and its peak memory stays bounded (oversize payloads are never decoded)."""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from contracts import DeadLetterReason, encode
from tests.hostile.corpus import ENTRIES, LIMIT, MIB, PAYLOADS, faststream_binary, valid_event
from tests.processes import WorkerProcess
from tests.workers.helpers import CLEAN, MUE_EXCEEDED, dead_letters, event, pending_count, results, wait_for
from workers.deadletters import PAYLOAD_PREFIX_BYTES

STREAM = "claims.submitted"
BATCH_SIZE = 10
BIG = 5 * MIB


def _big_entries() -> list[tuple[dict[bytes, bytes], DeadLetterReason]]:
    """20 entries of 5 MiB, of the kinds that would cost the most if they were decoded: all over the 1 MiB limit."""
    good = encode(event(CLEAN))
    kinds: list[tuple[dict[bytes, bytes], DeadLetterReason]] = [
        ({b"event": good[:-1] + b',"pad":"' + b"x" * BIG + b'"}'}, "oversize"),  # a valid event with a huge unknown field
        ({b"event": b"[" + b"{}," * (BIG // 3) + b"{}]"}, "oversize"),  # millions of objects if parsed
        ({b"event": b"\xff" * BIG}, "oversize"),  # not UTF-8 either
        ({b"__data__": b"[" + b"{}," * (BIG // 3) + b"{}]"}, "oversize"),  # FastStream's parser would json-decode this whole
        ({b"__data__": faststream_binary(b"[" * BIG)}, "oversize"),
    ]
    return [kinds[i % len(kinds)] for i in range(20)]


def _just_under_the_limit() -> list[tuple[dict[bytes, bytes], DeadLetterReason]]:
    """10 entries of 1 MiB - 1 of control characters: refused as not-json, and JSON-escaped they would be 6 MiB each."""
    return [({b"event": bytes([i + 1]) * (LIMIT - 1)}, "not-json") for i in range(10)]


def _vm_kib(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise AssertionError(f"{field} not in /proc/{pid}/status")


@pytest.fixture
def worker(redis_url: str, tmp_path: Path) -> Iterator[WorkerProcess]:
    process = WorkerProcess(tmp_path, "hostile-1", "--batch-size", str(BATCH_SIZE), "--claim-idle-ms", "600000", redis_url=redis_url)
    try:
        yield process.wait_ready()
    finally:
        process.kill()


@pytest.mark.redis
def test_a_hostile_flood_becomes_dead_letters_and_the_worker_keeps_serving(redis_client: redis.Redis, worker: WorkerProcess) -> None:
    pid = worker.process.pid
    warmup = [event(CLEAN) for _ in range(50)]
    for one in warmup:
        redis_client.xadd(STREAM, {"event": encode(one)})
    wait_for(lambda: redis_client.xlen("claims.edited") >= len(warmup), what="the warm-up results")
    baseline_kib = _vm_kib(pid, "VmHWM")  # peak so far: start-up, reference data, a few batches

    hostile: list[tuple[dict[bytes, bytes], DeadLetterReason | None, str]] = [
        ({b"event": case.payload()}, case.reason, case.name) for case in PAYLOADS
    ] + [(case.fields(), case.reason, case.name) for case in ENTRIES] + [
        (fields, reason, f"5 MiB entry {i}") for i, (fields, reason) in enumerate(_big_entries())
    ] + [(fields, reason, f"1 MiB - 1 entry {i}") for i, (fields, reason) in enumerate(_just_under_the_limit())]
    expected: dict[bytes, tuple[DeadLetterReason | None, str, dict[bytes, bytes]]] = {}
    good_ids: set[str] = set()
    for i, (corpus_fields, reason, name) in enumerate(hostile):  # interleaved: a good event after every hostile entry
        # The corpus' valid events share one event_id; give each its own (same length), or all but one would be duplicates.
        fields = {key: value.replace(b"E-hostile-1", f"E-h{i:08d}".encode()) for key, value in corpus_fields.items()}
        stream_id = bytes(redis_client.xadd(STREAM, fields))  # type: ignore[arg-type]
        expected[stream_id] = (reason, name, fields)
        good = event(MUE_EXCEEDED)
        good_ids.add(good.event_id)
        redis_client.xadd(STREAM, {"event": encode(good)})
    flood_bytes = sum(len(v) for fields, _, _ in hostile for v in fields.values())
    dead_expected = sum(1 for reason, _, _ in expected.values() if reason is not None)
    accepted = len(expected) - dead_expected
    total_results = len(warmup) + len(good_ids) + accepted

    wait_for(lambda: redis_client.xlen("claims.deadletter") >= dead_expected and redis_client.xlen("claims.edited") >= total_results,
             timeout_s=90, what="a dead letter or result for every entry")
    peak_kib = _vm_kib(pid, "VmHWM")
    assert worker.process.poll() is None, worker.log_path.read_text()[-3000:]

    letters = dead_letters(redis_client)
    per_entry = Counter(letter.stream_id for letter in letters)
    assert max(per_entry.values()) == 1  # exactly one dead letter per entry
    by_id = {letter.stream_id.encode(): letter for letter in letters}
    wrong = {name: (by_id[sid].reason if sid in by_id else None, reason)
             for sid, (reason, name, _) in expected.items() if (by_id[sid].reason if sid in by_id else None) != reason}
    assert wrong == {}, wrong  # name: (got, expected)
    assert set(by_id) <= set(expected)
    for stream_id, letter in by_id.items():
        _, name, fields = expected[stream_id]
        raw = fields.get(b"event")
        if raw is not None:
            assert letter.payload_bytes == len(raw), name
            assert letter.payload_sha256 == hashlib.sha256(raw).hexdigest(), name
        if letter.payload_bytes > LIMIT:
            assert letter.payload_truncated, name
        if letter.payload_truncated:  # only a prefix is kept: the dead-letter stream does not grow by the flood's size
            assert len(letter.payload) <= PAYLOAD_PREFIX_BYTES * 4 // 3 + 4, name
        else:
            assert len(letter.payload) <= letter.payload_bytes * 4 // 3 + 4, name

    edited = results(redis_client)
    answered = Counter(r.event_id for r in edited)
    assert good_ids <= set(answered)
    assert max(answered.values()) == 1
    accepted_ids = {sid.decode() for sid, (reason, _, _) in expected.items() if reason is None}
    assert accepted_ids <= {r.source_stream_id for r in edited}  # the corpus' odd but valid events were edited
    assert pending_count(redis_client) == 0

    # Still serving after all that.
    after = [event(CLEAN) for _ in range(20)]
    for one in after:
        redis_client.xadd(STREAM, {"event": encode(one)})
    wait_for(lambda: {r.event_id for r in results(redis_client)} >= {e.event_id for e in after}, what="results after the flood")
    assert pending_count(redis_client) == 0
    assert worker.get("/readyz")[0] == 200

    # Memory: a batch of BATCH_SIZE entries is read whole (Redis has no partial reads), and while one batch commits the
    # next is read and prepared, so two batches of raw bytes are alive at once; hiredis' reply buffer and the bytes objects
    # hold each about twice. The largest two consecutive batches of this flood are at most 2 x 5 x 5 MiB (big entries
    # alternate with good events), so 4 x 50 MiB = 200 MiB over the warm peak covers that with room. Decoding instead
    # of refusing would not fit: one 5 MiB `[{},{},...]` parsed by FastStream's envelope parser alone is ~250 MB.
    windows = [sum(len(v) for v in fields.values()) for fields, _, _ in hostile]
    largest_batch = max(sum(windows[i : i + BATCH_SIZE // 2]) for i in range(len(windows)))
    bound_kib = baseline_kib + 4 * 2 * largest_batch // 1024
    assert peak_kib < bound_kib, f"peak {peak_kib} KiB, baseline {baseline_kib} KiB, flood {flood_bytes // MIB} MiB"
    print(f"flood {flood_bytes / MIB:.0f} MiB in {len(hostile)} hostile entries; VmHWM baseline {baseline_kib / 1024:.0f} MiB, "
          f"peak {peak_kib / 1024:.0f} MiB, bound {bound_kib / 1024:.0f} MiB")

    log = worker.log_path.read_text()
    assert "Traceback" not in log, log[-3000:]
    for patient_data in ("P-hostile", "P-test", "1234567893"):
        assert patient_data not in log
    assert valid_event()["claim"]["patient_id"] == "P-hostile"
