"""Patient keys (cached HMAC) and the history read script's sparse reply, on a real server; the upgrade from
the hash layout (old hashes are never read)."""

from __future__ import annotations

import asyncio
import hashlib
import hmac

import msgspec
import pytest
import redis
import redis.asyncio as aioredis

from edits.history.model import ClaimLines
from tests.workers.test_history_store import patient_event
from workers.history.patient_keys import PatientKeys
from workers.history.redis_store import VERSION_WIDTH, HistoryReader, StoredHistory

STREAM = "claims.submitted"
SECRET = b"k" * 32


def _plain_hmac_key(patient: str, secret: bytes = SECRET) -> str:
    return STREAM + ":h2:" + hmac.new(secret, patient.encode(), hashlib.sha256).hexdigest()[:32]


# PatientKeys builds HMAC's keyed states itself: secrets shorter than, equal to and longer than SHA-256's
# 64-byte block (hashed first), and non-ASCII patient ids, must give hmac.new's keys.
@pytest.mark.parametrize("secret", [SECRET, b"s" * 64, bytes(range(200)), b"x" * 65])
def test_keys_are_the_hmac_with_or_without_the_cache_and_the_cache_stays_bounded(secret: bytes) -> None:
    keys = PatientKeys(secret, STREAM, cache_size=3)
    patients = [f"P-{i}" for i in range(10)] * 3 + ["Zoë-\u4e2d", ""]  # more patients than the cache holds, each asked three times
    assert [keys.key(p) for p in patients] == [_plain_hmac_key(p, secret) for p in patients]
    assert {len(keys.key(p)) for p in patients} == {keys.key_length}
    assert len(keys._cache) <= 3


@pytest.mark.redis
def test_a_read_of_many_patients_finds_each_ones_own_history(redis_client: redis.Redis, redis_url: str) -> None:
    keys = PatientKeys(SECRET, STREAM)
    patients = [f"P-{i}" for i in range(7)]
    with_history = {1: "C-1", 4: "C-4", 6: "C-6"}  # the others have none
    for index, claim_id in with_history.items():
        claim = patient_event(patients[index]).claim
        lines = ClaimLines(claim_id=claim_id, lines=())
        version = f"v{index}".ljust(VERSION_WIDTH, "-")
        redis_client.set(keys.key(patients[index]), version.encode() + msgspec.msgpack.encode([lines]))
        assert claim.patient_id == patients[index]
    for index in range(len(patients)):  # the hash layout's keys (infix :h:) are another name: never read
        old_key = keys.key(patients[index]).replace(":h2:", ":h:")
        redis_client.hset(old_key, mapping={b"": b"old", b"C-old": msgspec.msgpack.encode(ClaimLines(claim_id="C-old", lines=()))})

    async def read() -> dict[str, StoredHistory]:
        client = aioredis.Redis.from_url(redis_url)
        try:
            return await HistoryReader(client, STREAM).read(keys.key(p) for p in patients)
        finally:
            await client.aclose()

    found = asyncio.run(read())
    assert list(found) == [keys.key(p) for p in patients]
    for index, patient in enumerate(patients):
        history = found[keys.key(patient)]
        assert history.key == keys.key(patient)
        if index in with_history:
            assert (history.version, list(history.claims)) == (f"v{index}".ljust(VERSION_WIDTH, "-"), [with_history[index]])
        else:
            assert (history.version, history.claims, history.lines_read) == ("", {}, 0)


def test_keys_of_different_lengths_are_refused() -> None:
    async def read() -> None:
        client = aioredis.Redis()  # never connects: the keys are refused before any call
        try:
            await HistoryReader(client, STREAM).read(["claims.submitted:h2:ab", "claims.submitted:h2:abc"])
        finally:
            await client.aclose()

    with pytest.raises(ValueError, match="must all have 22 characters"):
        asyncio.run(read())
