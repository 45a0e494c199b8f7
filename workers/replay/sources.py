"""Where replayed events come from: a JSONL file, or a range of a Redis stream read with XRANGE.

Both are generators of `(where, raw)`: `where` is the file line number or the
stream entry id, `raw` the event bytes (None when a stream entry has no `event`
field). Nothing is held beyond one line or one page; a stream is only read
(no consumer group, nothing acked, nothing written).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import redis

from contracts import ClaimSubmitted, InvalidEvent, decode_claim_or_event, decode_event

EVENT_FIELD = b"event"
RESULT_FIELD = b"result"
DEFAULT_PAGE = 1000

_STREAM_ID = re.compile(r"^(\d+)(?:-(\d+))?$")
_MAX_SEQ = 2**64 - 1


class BoundError(ValueError):
    """A --start/--end value that is neither a stream id nor an ISO 8601 time."""


def parse_bound(text: str, *, end: bool) -> str:
    """A stream id for XRANGE from `ID` (ms or ms-seq, inclusive) or an ISO 8601 time.

    Times make a half-open range: `--start T` includes entries added at T, `--end T`
    excludes them, so `--start 2025-11-03 --end 2025-11-04` is exactly that day.
    A time without an offset is UTC.
    """
    text = text.strip()
    if text in ("-", "+"):
        return text
    if _STREAM_ID.match(text):
        return text
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        flag = "--end" if end else "--start"
        raise BoundError(
            f"{flag} {text!r}: expected a stream id (1730000000000 or 1730000000000-5) or an ISO 8601 time "
            "(2025-11-03, 2025-11-03T14:00:00Z, 2025-11-03T09:00:00-05:00)"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    millis = int(moment.timestamp() * 1000)
    if millis < 0 or (end and millis == 0):
        raise BoundError(f"{'--end' if end else '--start'} {text!r} is before the Unix epoch; stream ids start there")
    return str(millis - 1) if end else f"{millis}-0"


def id_tuple(stream_id: str, *, end: bool) -> tuple[int, int]:
    """(ms, seq) of an XRANGE bound, for ordering checks; `-`/`+` and ms-only bounds as XRANGE reads them."""
    if stream_id == "-":
        return (0, 0)
    if stream_id == "+":
        return (2**64, 0)
    match = _STREAM_ID.match(stream_id)
    if match is None:
        raise BoundError(f"not a stream id: {stream_id!r}")
    seq = match.group(2)
    return (int(match.group(1)), int(seq) if seq is not None else (_MAX_SEQ if end else 0))


def check_range(start: str, end: str) -> None:
    if id_tuple(start, end=False) > id_tuple(end, end=True):
        raise BoundError(f"the range is empty: --start ({start}) is after --end ({end})")


def just_before(stream_id: str) -> str:
    """The greatest id smaller than an XRANGE start bound: the inclusive end of the range before it."""
    ms, seq = id_tuple(stream_id, end=False)
    if seq:
        return f"{ms}-{seq - 1}"
    if ms == 0:
        raise BoundError(f"nothing is before {stream_id}")
    return f"{ms - 1}-{_MAX_SEQ}"


def _after(stream_id: bytes) -> str:
    """The smallest id greater than `stream_id`, to start the next XRANGE page (works before Redis 6.2's `(`)."""
    ms, _, seq = stream_id.decode().partition("-")
    number = int(seq or 0)
    return f"{int(ms) + 1}-0" if number == _MAX_SEQ else f"{ms}-{number + 1}"


def stream_entries(
    client: redis.Redis, stream: str, start: str = "-", end: str = "+", page: int = DEFAULT_PAGE
) -> Iterator[tuple[bytes, dict[bytes, bytes]]]:
    """Every entry of `stream` in [start, end], one XRANGE page of `page` entries at a time."""
    cursor = start
    while True:
        batch: list[tuple[bytes, dict[bytes, bytes]]] = client.xrange(stream, min=cursor, max=end, count=page)  # type: ignore[assignment]
        yield from batch
        if len(batch) < page:
            return
        cursor = _after(batch[-1][0])


def stream_events(
    client: redis.Redis, stream: str, start: str = "-", end: str = "+", page: int = DEFAULT_PAGE
) -> Iterator[tuple[str, bytes | None]]:
    for entry_id, fields in stream_entries(client, stream, start, end, page):
        yield entry_id.decode(), fields.get(EVENT_FIELD)


class FileLines:
    """Non-blank lines of a JSONL file with their 1-based line numbers; `done` counts the bytes read so far."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.done = 0
        self.size = path.stat().st_size

    def __iter__(self) -> Iterator[tuple[int, bytes | None]]:
        handle: IO[bytes]
        with self.path.open("rb") as handle:
            for number, raw in enumerate(handle, start=1):
                self.done += len(raw)
                line = raw.strip()
                if line:
                    yield number, line


_EVENT_MARK = b'"event_type"'


def decode_line(raw: bytes) -> ClaimSubmitted:
    """`decode_claim_or_event`, faster on events: a line naming `event_type` is decoded as an event first.

    Only when that fails is the exact (slower) classification redone, so errors and
    bare claims are treated exactly as `claim-edit check` treats them.
    """
    if _EVENT_MARK in raw:
        try:
            return decode_event(raw, max_bytes=len(raw))
        except InvalidEvent:
            pass
    return decode_claim_or_event(raw)
