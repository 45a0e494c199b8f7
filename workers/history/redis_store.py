"""A patient's history in Redis: one hash per patient, read for a whole batch in one round trip.

Layout of the hash (key from `PatientKeys`): field `<claim_id>` -> MessagePack `ClaimLines` (the
claim's lines in force; no patient id, no name, nothing but codes, dates, units, modifiers and the
provider NPI), and field `""` (empty: a claim_id has at least one character) -> the patient's version,
an opaque token written by the commit that last changed the hash. The worker reads the version with
the history and the commit script applies a change only while the version is still the one read
(docs/history.md, "In the worker").

Retention, two bounds (docs/history.md, "Sizing"):
- on write, a claim whose newest line is more than `days` before the newest date of service this
  patient has is dropped (the edits never look further back);
- every write sets the hash's TTL to `ttl_days` (default twice `days`: a claim may arrive up to a year
  after its date of service), so a patient who is never seen again costs nothing after that.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

import msgspec
import redis.asyncio as aioredis

from edits.history.model import ClaimLines, HistoryChange, PatientHistory

VERSION_FIELD = b""
HISTORY_TTL_FACTOR = 2  # the TTL is this many times --history-days: claims may arrive up to a year after their date of service
NO_VERSION = ""
_encode = msgspec.msgpack.Encoder().encode
_decode = msgspec.msgpack.Decoder(ClaimLines).decode

Write = tuple[str, bytes | None]  # (claim_id, its new stored value, or None: the field is deleted)


def _newest(claim: ClaimLines) -> dt.date:
    return max(line.date_of_service for line in claim.lines)


class StoredHistory:
    """One patient's history as read, and as this batch has changed it so far (in memory, in stream order)."""

    __slots__ = ("_newest", "claims", "key", "lines_read", "version")

    def __init__(self, key: str, version: str, claims: dict[str, ClaimLines]) -> None:
        self.key = key
        self.version = version
        self.claims = claims
        self.lines_read = sum(len(claim.lines) for claim in claims.values())
        self._newest: dt.date | None = None

    def view(self) -> PatientHistory:
        return PatientHistory(self.claims.values())

    def apply(self, change: HistoryChange, *, days: int, token: str) -> list[Write]:
        """Apply one committed-to-be change in memory; the hash fields it rewrites. A non-empty change moves the version to `token`."""
        writes: dict[str, bytes | None] = {}
        claims = self.claims
        for claim_id in change.remove:
            if claims.pop(claim_id, None) is not None:
                writes[claim_id] = None
        added = change.add
        if added is not None:
            kept = claims.get(added.claim_id)
            merged = added if kept is None else ClaimLines(claim_id=added.claim_id, lines=kept.lines + added.lines)
            claims[added.claim_id] = merged
            writes[added.claim_id] = _encode(merged)
            writes.update(self._prune(_newest(added), days))
        if writes:
            self.version = token
        return list(writes.items())

    def _prune(self, newest: dt.date, days: int) -> dict[str, bytes | None]:
        """Drop claims wholly older than `days` before the newest date of service; only when that horizon moved."""
        if self._newest is not None and newest <= self._newest:
            return {}
        if self._newest is None:
            newest = max([newest, *(_newest(claim) for claim in self.claims.values())])
        self._newest = newest
        horizon = newest - dt.timedelta(days=days)
        old = [claim_id for claim_id, claim in self.claims.items() if _newest(claim) < horizon]
        for claim_id in old:
            del self.claims[claim_id]
        return dict.fromkeys(old)


def decode_hash(key: str, fields: dict[bytes, bytes]) -> StoredHistory:
    version = fields.pop(VERSION_FIELD, b"").decode()
    return StoredHistory(key, version, {claim_id.decode(): _decode(value) for claim_id, value in fields.items()})


async def read_histories(client: aioredis.Redis, keys: Iterable[str]) -> dict[str, StoredHistory]:
    """HGETALL of every key in one pipeline: one round trip (all keys share the stream's slot in a cluster)."""
    wanted: Sequence[str] = list(keys)
    if not wanted:
        return {}
    pipe: Any = client.pipeline(transaction=False)
    for key in wanted:
        pipe.hgetall(key)
    replies = await pipe.execute()
    return {key: decode_hash(key, reply) for key, reply in zip(wanted, replies, strict=True)}


def ttl_ms(days: int) -> int:
    return days * 86_400_000
