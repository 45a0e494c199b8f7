"""Reading the history a worker kept in Redis, and checking it against the results: every line of every result
that no `deny` finding names is in its patient's history exactly once, and nothing else is."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

import msgspec
import redis

from contracts import ClaimEdited, ClaimSubmitted
from edits.history.model import ClaimLines
from workers.history.patient_keys import HISTORY_INFIX, PatientKeys
from workers.history.redis_store import VERSION_WIDTH

HISTORY_KEY = "a-test-history-key-of-32-bytes!!"
_decode = msgspec.msgpack.Decoder(list[ClaimLines]).decode


def history_keys(client: redis.Redis | redis.RedisCluster) -> list[str]:
    found = client.scan_iter(match=f"*{HISTORY_INFIX}*", count=1000)  # type: ignore[union-attr]
    return sorted(k.decode() if isinstance(k, bytes) else str(k) for k in found)


def stored_version(client: redis.Redis | redis.RedisCluster, key: str) -> str:
    value: bytes | None = client.get(key)  # type: ignore[assignment]
    return "" if value is None else value[:VERSION_WIDTH].decode()


def stored_claims(client: redis.Redis | redis.RedisCluster, key: str) -> dict[str, ClaimLines]:
    """The claims of the patient's value by claim_id; a claim_id stored twice in one value fails the audit."""
    value: bytes | None = client.get(key)  # type: ignore[assignment]
    if value is None:
        return {}
    claims = _decode(value[VERSION_WIDTH:])
    by_id = {claim.claim_id: claim for claim in claims}
    assert len(by_id) == len(claims), f"{key}: a claim_id stored twice"
    return by_id


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
