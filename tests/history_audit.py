"""Reading the history a worker kept in Redis, and checking it against the results: every line of every result
that no `deny` finding names is in its patient's history exactly once, and nothing else is."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

import msgspec
import redis

from contracts import ClaimEdited, ClaimSubmitted
from edits.history.model import ClaimLines
from workers.history.patient_keys import PatientKeys
from workers.history.redis_store import VERSION_FIELD

HISTORY_KEY = "a-test-history-key-of-32-bytes!!"
_decode = msgspec.msgpack.Decoder(ClaimLines).decode


def history_keys(client: redis.Redis | redis.RedisCluster) -> list[str]:
    found = client.scan_iter(match="*:h:*", count=1000)  # type: ignore[union-attr]
    return sorted(k.decode() if isinstance(k, bytes) else str(k) for k in found)


def stored_claims(client: redis.Redis | redis.RedisCluster, key: str) -> dict[str, ClaimLines]:
    fields: dict[bytes, bytes] = client.hgetall(key)  # type: ignore[assignment]
    return {claim_id.decode(): _decode(value) for claim_id, value in fields.items() if claim_id != VERSION_FIELD}


def audit_history(client: redis.Redis | redis.RedisCluster, events: Iterable[ClaimSubmitted], results: Iterable[ClaimEdited],
                  stream_of: dict[str, str]) -> int:
    """Assert the stored history is exactly the non-denied lines of the results; the number of lines checked.

    `stream_of` maps event_id to the input stream its event was sent to (the history key's prefix). Claim ids
    must be unique per event in the test (a redelivery then shows as a line kept twice under one claim_id).
    """
    by_event = {event.event_id: event for event in events}
    expected: dict[str, Counter[tuple[str, int, str, int | float]]] = {}
    keys = {stream: PatientKeys(HISTORY_KEY.encode(), stream) for stream in set(stream_of.values())}
    for result in results:
        claim = by_event[result.event_id].claim
        denied = {n for finding in result.findings if finding.severity == "deny" for n in finding.lines}
        key = keys[stream_of[result.event_id]].key(claim.patient_id)
        lines = expected.setdefault(key, Counter())
        for line in claim.lines:
            if line.line_number not in denied:
                lines[(claim.claim_id, line.line_number, line.code, line.units)] += 1
    stored: dict[str, Counter[tuple[str, int, str, int | float]]] = {}
    for key in history_keys(client):
        lines = stored.setdefault(key, Counter())
        for claim_id, kept in stored_claims(client, key).items():
            assert kept.claim_id == claim_id, f"{key}: field {claim_id} holds claim {kept.claim_id}"
            for line in kept.lines:
                lines[(claim_id, line.line_number, line.code, line.units)] += 1
    stored = {key: lines for key, lines in stored.items() if lines}
    expected = {key: lines for key, lines in expected.items() if lines}
    assert set(stored) == set(expected), f"patients with history: {len(stored)} stored, {len(expected)} expected"
    for key, lines in expected.items():
        twice = {line: n for line, n in stored[key].items() if n > 1}
        assert not twice, f"{key}: lines kept more than once: {twice}"
        assert stored[key] == lines, f"{key}: missing {lines - stored[key]}, extra {stored[key] - lines}"
    return sum(sum(lines.values()) for lines in expected.values())
