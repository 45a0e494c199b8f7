"""A patient's history in Redis: one string value per patient, read for a whole batch in one round trip.

The value (key from `PatientKeys`) is the patient's version, VERSION_WIDTH ASCII characters (an opaque token
written by the commit that last changed it), followed by the MessagePack array of the patient's `ClaimLines`
(the claims' lines in force; no patient id, no name, nothing but codes, dates, units, modifiers and the
provider NPI). One value instead of a hash of one field per claim: one GET-like read and one decode per
patient, one SET per change, and the version is its first bytes, so the commit script checks it with a
GETRANGE (docs/history.md, "In the worker"). A patient whose claims all left history keeps a value holding
only its version: the version must never go back to "none", or an edit that read "none" could commit again.

Retention, two bounds (docs/history.md, "Sizing"):
- on write, a claim whose newest line is more than `days` before the newest date of service this
  patient has is dropped (the edits never look further back);
- every write sets the value's TTL to `ttl_days` (default twice `days`: a claim may arrive up to a year
  after its date of service), so a patient who is never seen again costs nothing after that.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

import msgspec
import redis.asyncio as aioredis

from edits.history.model import EMPTY_HISTORY, ClaimLines, HistoryChange, PatientHistory, apply_change
from workers.commit_lua import CHUNK

VERSION_WIDTH = 20
"""Characters of a version token (workers/history/edit_batch.py makes them): the value's first bytes."""
HISTORY_TTL_FACTOR = 2  # the TTL is this many times --history-days: claims may arrive up to a year after their date of service
NO_VERSION = ""  # a patient without a value (GETRANGE of a missing key answers "" too)
_encode_into = msgspec.msgpack.Encoder().encode_into
_decode_claims = msgspec.msgpack.Decoder(list[ClaimLines]).decode


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

    def apply(self, change: HistoryChange, *, days: int, token: str) -> bool:
        """Apply one committed-to-be change in memory; whether it changed anything (then the version is `token`
        and the whole value is written: `write_into`)."""
        claims = self.claims
        remove = change.remove
        added = change.add
        if not claims and not remove and added is not None:
            # A patient's first claim (most claims): what the general path below does, without its checks.
            claims[added.claim_id] = added
            self._span = None
            self.version = token
            self._view = None
            return True
        changed = any(claim_id in claims for claim_id in remove) if remove else False
        apply_change(claims, change)  # the one apply rule (edits/history/model.py)
        if added is not None:
            changed = True
            if len(claims) > 1:
                self._prune(added, days)
            else:  # only the claim just added (a patient's first claim, mostly): nothing to drop
                self._span = None
        if changed:
            self.version = token
            self._view = None
        return changed

    def write_into(self, blob: bytearray) -> int:
        """Append the stored value (version, then the claims' MessagePack) to `blob`, encoded in place; its length."""
        start = len(blob)
        blob += self.version.encode()
        _encode_into(list(self.claims.values()), blob, len(blob))
        return len(blob) - start

    def _prune(self, added: ClaimLines, days: int) -> None:
        """Drop claims wholly older than `days` before the patient's newest date of service.

        Cheap in the usual case: the dates kept are known after one pass per patient and batch, and nothing
        is scanned again unless the oldest date kept falls behind the horizon.
        """
        added_days = [line.date_of_service for line in added.lines]
        span = self._span
        if span is None:  # the first change of this patient in this batch: one pass over the dates kept (added's among them)
            kept = [line.date_of_service for claim in self.claims.values() for line in claim.lines]
            if not kept or not added_days:
                self._span = (min(kept), max(kept)) if kept else None
                return
            oldest, newest = min(kept), max(kept)
        else:
            if not added_days:
                return
            oldest, newest = min(span[0], *added_days), max(span[1], *added_days)
        horizon = newest - _window(days)
        if oldest >= horizon:
            self._span = (oldest, newest)
            return
        old = [claim_id for claim_id, claim in self.claims.items() if max(line.date_of_service for line in claim.lines) < horizon]
        for claim_id in old:
            del self.claims[claim_id]
        self._span = _span(self.claims.values())


def decode_value(key: str, value: bytes) -> StoredHistory:
    """A stored value: the version (its first VERSION_WIDTH bytes), then the claims."""
    claims = _decode_claims(memoryview(value)[VERSION_WIDTH:])
    return StoredHistory(key, value[:VERSION_WIDTH].decode(), {claim.claim_id: claim for claim in claims})


# One script call for the whole batch instead of a command per patient from redis-py: its asyncio client packs
# every argument in Python, and a pipeline of ~350 reads cost the worker more CPU than editing the claims.
# KEYS[1] is the input stream, only so a Cluster client sends the call to the slot every patient key shares (its
# hash tag). ARGV[1]: the patient keys, all of one length, concatenated (one argument); ARGV[2]: that length.
# One MGET per CHUNK keys (workers/commit_lua.py: unpack's C-stack bound). Reply: only for the patients that have a value (most have
# none, and then cost neither side anything per patient): the key's position (0-based), then its value.
READ_LUA = f"""
local all = ARGV[1]
local size = tonumber(ARGV[2])
local keys = {{}}
for at = 1, #all, size do
  keys[#keys + 1] = string.sub(all, at, at + size - 1)
end
local out = {{}}
local n = 0
for first = 1, #keys, {CHUNK} do
  local values = redis.call('MGET', unpack(keys, first, math.min(first + {CHUNK - 1}, #keys)))
  for j = 1, #values do
    if values[j] then
      out[n + 1] = first + j - 2
      out[n + 2] = values[j]
      n = n + 2
    end
  end
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
        for at in range(0, len(reply), 2):
            key = wanted[reply[at]]
            found[key] = decode_value(key, reply[at + 1])
        return found


def ttl_ms(days: int) -> int:
    return days * 86_400_000
