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

from edits.history.model import EMPTY_HISTORY, ClaimLines, HistoryChange, PatientHistory, apply_change

VERSION_FIELD = b""
HISTORY_TTL_FACTOR = 2  # the TTL is this many times --history-days: claims may arrive up to a year after their date of service
NO_VERSION = ""
_encode = msgspec.msgpack.Encoder().encode
_decode = msgspec.msgpack.Decoder(ClaimLines).decode

Write = tuple[str, bytes | None]  # (claim_id, its new stored value, or None: the field is deleted)


_WINDOWS: dict[int, dt.timedelta] = {}


def _window(days: int) -> dt.timedelta:
    """`timedelta(days=days)`, built once per value (the retention window is one per worker)."""
    window = _WINDOWS.get(days)
    if window is None:
        window = _WINDOWS[days] = dt.timedelta(days=days)
    return window


def _span(claims: Iterable[ClaimLines]) -> tuple[dt.date, dt.date] | None:
    """The oldest and newest date of service of these claims' lines; None when there are none."""
    days = [line.date_of_service for claim in claims for line in claim.lines]
    return (min(days), max(days)) if days else None


class StoredHistory:
    """One patient's history as read, and as this batch has changed it so far (in memory, in stream order)."""

    __slots__ = ("_span", "_view", "claims", "key", "lines_read", "version")

    def __init__(self, key: str, version: str, claims: dict[str, ClaimLines]) -> None:
        self.key = key
        self.version = version
        self.claims = claims
        self.lines_read = sum(len(claim.lines) for claim in claims.values()) if claims else 0
        self._span: tuple[dt.date, dt.date] | None = None  # (oldest, newest) date of service kept, once first needed
        self._view: PatientHistory | None = None  # what the edits see, indexed once until the next change

    def view(self) -> PatientHistory:
        if self._view is None:
            # Most patients have no history: the shared empty view (it caches nothing) instead of a new one each.
            self._view = PatientHistory(self.claims.values()) if self.claims else EMPTY_HISTORY
        return self._view

    def apply(self, change: HistoryChange, *, days: int, token: str) -> list[Write]:
        """Apply one committed-to-be change in memory; the hash fields it rewrites. A non-empty change moves the version to `token`."""
        claims = self.claims
        remove = change.remove
        added = change.add
        if not claims and not remove and added is not None:
            # A patient's first claim (most claims): what the general path below does, without its dict and checks.
            claims[added.claim_id] = added
            self._span = None
            self.version = token
            self._view = None
            return [(added.claim_id, _encode(added))]
        writes: dict[str, bytes | None] = {claim_id: None for claim_id in remove if claim_id in claims} if remove else {}
        apply_change(claims, change)  # the one apply rule (edits/history/model.py); the hash mirrors it field by field
        if added is not None:
            writes[added.claim_id] = _encode(claims[added.claim_id])
            if len(claims) > 1:
                dropped = self._prune(added, days)
                if dropped:
                    writes.update(dropped)
            else:  # only the claim just added (a patient's first claim, mostly): nothing to drop
                self._span = None
        if writes:
            self.version = token
            self._view = None
        return list(writes.items())

    def _prune(self, added: ClaimLines, days: int) -> dict[str, bytes | None]:
        """Drop claims wholly older than `days` before the patient's newest date of service.

        Cheap in the usual case: the dates kept are known after one pass per patient and batch, and nothing
        is scanned again unless the oldest date kept falls behind the horizon.
        """
        if len(self.claims) == 1:  # only the claim just added (a patient's first claim, mostly): nothing to drop
            self._span = None
            return {}
        added_days = [line.date_of_service for line in added.lines]
        span = self._span
        if span is None:  # the first change of this patient in this batch: one pass over the dates kept (added's among them)
            kept = [line.date_of_service for claim in self.claims.values() for line in claim.lines]
            if not kept or not added_days:
                self._span = (min(kept), max(kept)) if kept else None
                return {}
            oldest, newest = min(kept), max(kept)
        else:
            if not added_days:
                return {}
            oldest, newest = min(span[0], *added_days), max(span[1], *added_days)
        horizon = newest - _window(days)
        if oldest >= horizon:
            self._span = (oldest, newest)
            return {}
        old = [claim_id for claim_id, claim in self.claims.items() if max(line.date_of_service for line in claim.lines) < horizon]
        for claim_id in old:
            del self.claims[claim_id]
        self._span = _span(self.claims.values())
        return dict.fromkeys(old)


def decode_hash(key: str, fields: dict[bytes, bytes]) -> StoredHistory:
    version = fields.pop(VERSION_FIELD, b"").decode()
    return StoredHistory(key, version, {claim_id.decode(): _decode(value) for claim_id, value in fields.items()})


# One script call for the whole batch instead of a pipeline of HGETALLs: measured, a pipeline of ~350 HGETALLs
# cost the worker more CPU in redis-py (packing and parsing each command) than editing the claims. KEYS[1] is
# the input stream, only so a Cluster client sends the call to the slot every patient key shares (its hash
# tag). ARGV[1]: the patient keys, all of one length, concatenated (one argument: redis-py packs each argument
# in Python); ARGV[2]: that length. Reply: only for the patients that have a history (most have none, and then
# cost neither side anything per patient): the key's position (0-based), the number of items that follow,
# then field, value, ...
READ_LUA = """
local all = ARGV[1]
local size = tonumber(ARGV[2])
local out = {}
local n = 0
local index = 0
for at = 1, #all, size do
  local fields = redis.call('HGETALL', string.sub(all, at, at + size - 1))
  if #fields > 0 then
    out[n + 1] = index
    out[n + 2] = #fields
    n = n + 2
    for j = 1, #fields do
      out[n + j] = fields[j]
    end
    n = n + #fields
  end
  index = index + 1
end
return out
"""


class HistoryReader:
    """Reads the histories of a batch's patients of one input stream: one script call, one round trip."""

    def __init__(self, client: aioredis.Redis, stream: str) -> None:
        self._script = client.register_script(READ_LUA)
        self._keys = [stream]

    async def read(self, keys: Iterable[str]) -> dict[str, StoredHistory]:
        """Each key's history; the keys must all have one length (as `PatientKeys` makes them)."""
        wanted: Sequence[str] = list(keys)
        if not wanted:
            return {}
        size = len(wanted[0])
        joined = "".join(wanted)
        if len(joined) != size * len(wanted):
            raise ValueError(f"history keys must all have {size} characters (PatientKeys makes them so)")
        reply: list[Any] = await self._script(keys=self._keys, args=[joined, size])
        found = {key: StoredHistory(key, NO_VERSION, {}) for key in wanted}
        at, end = 0, len(reply)
        while at < end:
            key, count = wanted[reply[at]], reply[at + 1]
            fields = reply[at + 2 : at + 2 + count]
            at += 2 + count
            found[key] = decode_hash(key, dict(zip(fields[::2], fields[1::2], strict=True)))
        return found


def ttl_ms(days: int) -> int:
    return days * 86_400_000
