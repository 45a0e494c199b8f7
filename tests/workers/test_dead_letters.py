"""Bad input never stops the worker and is never dropped: each kind becomes a dead letter with its reason."""

from __future__ import annotations

import asyncio
import base64
import hashlib

import msgspec
import pytest
import redis
from faststream.redis import RedisBroker

from contracts import ClaimEdited, ClaimSubmitted, DeadLetter, encode
from edits import Engine
from tests.workers.helpers import CLEAN, WorkerThread, dead_letters, event, pending_count, results, tiny_reference, wait_for
from tests.workers.test_happy_path import settings
from workers.deadletters import PAYLOAD_PREFIX_BYTES, dead_letter
from workers.streams import add
from workers.streams import entries as stream_entries

MAX_EVENT_BYTES = 8192


def _event_json(**changes: object) -> bytes:
    body = msgspec.to_builtins(event(CLEAN))
    body.update(changes)
    return msgspec.json.encode(body)


class ExplodingEngine(Engine):
    """An engine whose edits fail on one claim id, as a buggy edit module would."""

    def edit(self, event: ClaimSubmitted, *, source_stream_id: str | None = None, now: object = None) -> ClaimEdited:
        if event.claim.claim_id == "C-BOOM":
            raise RuntimeError("edit module bug")
        return super().edit(event, source_stream_id=source_stream_id)


BAD_INPUTS: dict[str, dict[bytes, bytes]] = {
    "missing-event-field": {b"claim": b'{"claim_id": "C-1"}'},
    "not-json": {b"event": b"{this is not json"},
    "invalid-utf8": {b"event": b'{"event_id": "\xff\xfe"}'},
    "schema": {b"event": _event_json(claim={"claim_id": "C-1"})},
    "wrong-event-type": {b"event": _event_json(event_type="claim.edited")},
    "unsupported-schema-version": {b"event": _event_json(schema_version=99)},
    "oversize": {b"event": b'{"pad": "' + b"x" * (MAX_EVENT_BYTES * 2) + b'"}'},
}


def test_each_kind_of_bad_input_is_dead_lettered_with_its_reason(redis_client: redis.Redis, redis_url: str) -> None:
    boom = msgspec.to_builtins(event(CLEAN))
    boom["claim"]["claim_id"] = "C-BOOM"
    entries = {**BAD_INPUTS, "engine-error": {b"event": msgspec.json.encode(boom)}}
    good = event(CLEAN)
    with WorkerThread(settings(redis_url, max_event_bytes=MAX_EVENT_BYTES), ExplodingEngine(tiny_reference())) as worker:
        ids = {reason: add(redis_client, "claims.submitted", {k.decode(): v for k, v in fields.items()})
               for reason, fields in entries.items()}
        redis_client.xadd("claims.submitted", {"event": encode(good)})  # the worker is still working after all that
        wait_for(lambda: redis_client.xlen("claims.edited") >= 1 and redis_client.xlen("claims.deadletter") >= len(entries),
                 what="every dead letter and the good result")
    assert worker.exit_code == 0
    letters = {letter.stream_id: letter for letter in dead_letters(redis_client)}
    assert {reason: letters[stream_id].reason for reason, stream_id in ids.items()} == {reason: reason for reason in entries}
    assert [r.event_id for r in results(redis_client)] == [good.event_id]
    assert pending_count(redis_client) == 0

    for reason, stream_id in ids.items():
        letter = letters[stream_id]
        assert letter.stream == "claims.submitted"
        assert letter.delivery_count == 1
        assert letter.detail
        assert letter.consumer == "test-1"
        raw = entries[reason].get(b"event")
        if raw is not None:
            assert letter.payload_bytes == len(raw)
            assert letter.payload_sha256 == hashlib.sha256(raw).hexdigest()

    assert "claim_id" in letters[ids["missing-event-field"]].payload  # the entry's fields are kept
    assert "fields: claim" in letters[ids["missing-event-field"]].detail
    assert letters[ids["invalid-utf8"]].payload_encoding == "base64"
    assert base64.b64decode(letters[ids["invalid-utf8"]].payload) == BAD_INPUTS["invalid-utf8"][b"event"]
    assert "claim" in letters[ids["schema"]].detail
    oversize = letters[ids["oversize"]]
    assert oversize.payload_truncated
    assert len(oversize.payload) == PAYLOAD_PREFIX_BYTES
    assert oversize.payload_bytes == len(BAD_INPUTS["oversize"][b"event"])
    engine_error = letters[ids["engine-error"]]
    assert "RuntimeError" in engine_error.detail
    assert engine_error.event_id == boom["event_id"]


def test_events_from_a_faststream_publisher_are_accepted(redis_client: redis.Redis, redis_url: str) -> None:
    sent = event(CLEAN)

    async def publish() -> None:
        async with RedisBroker(redis_url) as broker:
            await broker.publish(encode(sent), stream="claims.submitted")

    with WorkerThread(settings(redis_url), Engine(tiny_reference())):
        asyncio.run(publish())
        wait_for(lambda: redis_client.xlen("claims.edited") >= 1, what="the result")
    fields = stream_entries(redis_client, "claims.submitted")[0][1]
    assert b"__data__" in fields  # really FastStream's envelope, not our field
    assert [r.event_id for r in results(redis_client)] == [sent.event_id]


@pytest.mark.parametrize(
    ("payload", "truncated", "encoding"),
    [
        (b'{"ok": "text"}', False, "utf-8"),
        (b"\x80\x81 not utf-8", False, "base64"),
        ("é".encode() * 5000, True, "utf-8"),  # the prefix cut inside a character is trimmed, not base64-encoded
    ],
)
def test_dead_letter_payload_encoding(payload: bytes, truncated: bool, encoding: str) -> None:
    letter: DeadLetter = dead_letter(stream="s", stream_id="1-0", reason="schema", detail="d", payload=payload, delivery_count=1,
                                     consumer="c", max_payload_bytes=1000)
    assert letter.payload_truncated is truncated
    assert letter.payload_encoding == encoding
    assert letter.payload_bytes == len(payload)
    kept = base64.b64decode(letter.payload) if encoding == "base64" else letter.payload.encode()
    assert payload.startswith(kept)
    assert len(kept) <= PAYLOAD_PREFIX_BYTES
