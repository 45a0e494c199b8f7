"""Every case of the hostile corpus gets its expected reason, names the field, and raises nothing but InvalidEvent."""

from __future__ import annotations

import base64
import hashlib
import tracemalloc

import msgspec
import pytest

from contracts import ClaimEdited, ClaimSubmitted, DeadLetter, InvalidEvent, decode_event, encode
from contracts.codec import MAX_DETAIL_CHARS, decode_dead_letter, decode_result
from edits import Engine, load_default_reference
from tests.hostile.corpus import ENTRIES, LIMIT, MIB, PAYLOADS, Case, EntryCase, payload_case
from workers.batch import BatchPreparer
from workers.deadletters import BATCH_PAYLOAD_BUDGET_BYTES, PAYLOAD_PREFIX_BYTES, dead_letter


@pytest.fixture(scope="module")
def preparer() -> BatchPreparer:
    return BatchPreparer(Engine(load_default_reference()), stream="claims.submitted", consumer="hostile", max_event_bytes=LIMIT)


def test_the_corpus_covers_every_input_reason() -> None:
    reasons = {case.reason for case in PAYLOADS} | {case.reason for case in ENTRIES}
    assert reasons == {None, "missing-event-field", "oversize", "invalid-utf8", "not-json", "schema", "wrong-event-type",
                       "unsupported-schema-version"}
    assert len({case.name for case in PAYLOADS}) == len(PAYLOADS)
    assert len({case.name for case in ENTRIES}) == len(ENTRIES)


def _outcome(payload: bytes) -> ClaimSubmitted | InvalidEvent:
    """The event, or the InvalidEvent; any other exception fails the test where it is raised."""
    try:
        return decode_event(payload)
    except InvalidEvent as invalid:
        return invalid


@pytest.mark.parametrize("case", PAYLOADS, ids=[case.name for case in PAYLOADS])
def test_decode_event_gives_the_expected_reason(case: Case) -> None:
    outcome = _outcome(case.payload())
    if case.reason is None:
        assert isinstance(outcome, ClaimSubmitted), f"a valid event was refused: {outcome}"
        return
    assert isinstance(outcome, InvalidEvent), f"accepted, expected {case.reason}"
    assert outcome.reason == case.reason, outcome.detail
    assert outcome.detail
    assert len(outcome.detail) <= MAX_DETAIL_CHARS
    if case.where is not None:
        # msgspec's detail ends with "- at `$.path`"; a missing field is named as "field `name`".
        assert f"`{case.where}`" in outcome.detail, outcome.detail


def test_oversize_detail_gives_both_sizes() -> None:
    payload = payload_case("valid event padded to the limit + 1 byte").payload()
    with pytest.raises(InvalidEvent) as caught:
        decode_event(payload)
    assert caught.value.detail == f"payload is {LIMIT + 1} bytes, limit is {LIMIT}"


def test_unknown_fields_are_ignored_and_the_last_duplicate_key_wins() -> None:
    assert decode_event(payload_case("unknown top-level field").payload()).event_id == "E-hostile-1"
    assert decode_event(payload_case("duplicate key (the last one wins)").payload()).event_id == "E-hostile-1"


def test_every_payload_in_one_batch_gives_one_record_each(preparer: BatchPreparer) -> None:
    payloads = [case.payload() for case in PAYLOADS]
    ids = [f"1-{i}".encode() for i in range(len(payloads))]
    batch = preparer.prepare(ids, [{b"event": payload} for payload in payloads])
    assert len(batch) == len(PAYLOADS)
    for case, payload, record in zip(PAYLOADS, payloads, batch.records, strict=True):
        if case.reason is None:
            assert type(record) is ClaimEdited, case.name
            assert decode_result(encode(record)) == record
            continue
        assert type(record) is DeadLetter, case.name
        assert record.reason == case.reason, case.name
        assert decode_dead_letter(encode(record)) == record
        assert record.payload_bytes == len(payload)
        assert record.payload_sha256 == hashlib.sha256(payload).hexdigest()
        if len(payload) > LIMIT:
            assert record.payload_truncated
        kept = msgspec.convert(record.payload, bytes) if record.payload_encoding == "base64" else record.payload.encode()
        assert payload.startswith(kept)
        if record.payload_truncated:  # over the limit, or past the batch's budget for whole payloads
            assert len(kept) <= PAYLOAD_PREFIX_BYTES
        else:
            assert kept == payload


@pytest.mark.parametrize("case", ENTRIES, ids=[case.name for case in ENTRIES])
def test_each_entry_gets_one_record_with_the_expected_reason(case: EntryCase, preparer: BatchPreparer) -> None:
    batch = preparer.prepare([b"1-1"], [case.fields()])
    (record,) = batch.records
    if case.reason is None:
        assert type(record) is ClaimEdited
    else:
        assert type(record) is DeadLetter
        assert record.reason == case.reason, record.detail
        assert len(record.payload) <= max(PAYLOAD_PREFIX_BYTES * 4 // 3 + 4, LIMIT)


def test_an_oversize_faststream_envelope_is_not_parsed(preparer: BatchPreparer) -> None:
    """FastStream JSON-decodes a non-binary envelope whole: 5 MiB of `{}` would build ~250 MB of dicts before the size check."""
    (case,) = [case for case in ENTRIES if case.name == "FastStream envelope, 5 MiB of JSON objects"]
    fields = case.fields()
    tracemalloc.start()
    try:
        batch = preparer.prepare([b"1-1"], [fields])
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    (record,) = batch.records
    assert type(record) is DeadLetter
    assert record.reason == "oversize"
    assert record.payload_truncated
    assert record.payload_bytes == len(fields[b"__data__"])
    assert peak < 2 * MIB, f"preparing one oversize entry allocated {peak / MIB:.1f} MiB"


@pytest.mark.parametrize("fill", [b"\x01", b'"', b"\\"], ids=["control characters", "quotes", "backslashes"])
def test_a_dead_letter_is_at_most_about_4_3_of_its_payload(fill: bytes) -> None:
    """JSON escapes a control character to six bytes: such text is kept as base64 instead."""
    payload = fill * (LIMIT - 1)
    letter = dead_letter(stream="s", stream_id="1-0", reason="not-json", detail="d", payload=payload, delivery_count=1, consumer="c",
                         max_payload_bytes=LIMIT)
    assert not letter.payload_truncated
    assert letter.payload_encoding == "base64"
    assert base64.b64decode(letter.payload) == payload
    assert len(encode(letter)) < len(payload) * 4 // 3 + 1024


def test_a_batch_of_big_bad_payloads_keeps_whole_ones_only_up_to_a_budget(preparer: BatchPreparer) -> None:
    """Dead letters keep payloads under the limit whole, until the batch has kept BATCH_PAYLOAD_BUDGET_BYTES: then prefixes.

    Without the budget, 100 such entries made a 600 MB commit that timed out and was retried forever (measured).
    """
    payloads = [bytes([i % 30 + 1]) * (LIMIT - 1) for i in range(40)]  # valid UTF-8, not JSON
    batch = preparer.prepare([f"1-{i}".encode() for i in range(40)], [{b"event": p} for p in payloads])
    letters = [record for record in batch.records if type(record) is DeadLetter]
    assert len(letters) == 40
    assert {letter.reason for letter in letters} == {"not-json"}
    whole = [letter for letter in letters if not letter.payload_truncated]
    assert 2 <= len(whole) < 40
    assert sum(len(letter.payload) for letter in whole) <= max(BATCH_PAYLOAD_BUDGET_BYTES, 2 * LIMIT)
    assert sum(len(encode(record)) for record in batch.records) < max(BATCH_PAYLOAD_BUDGET_BYTES, 2 * LIMIT) + 40 * 8 * 1024
    for letter, payload in zip(letters, payloads, strict=True):
        assert letter.payload_bytes == len(payload)
        assert letter.payload_sha256 == hashlib.sha256(payload).hexdigest()
        kept = base64.b64decode(letter.payload) if letter.payload_encoding == "base64" else letter.payload.encode()
        assert kept == payload if not letter.payload_truncated else payload.startswith(kept) and len(kept) <= PAYLOAD_PREFIX_BYTES
