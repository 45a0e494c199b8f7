"""The recorded results a replay compares against, indexed compactly by event id and claim id.

A baseline is a JSONL file (`ClaimEdited` results, or `claim-edit check --format
json` output) or a result stream (field `result`). It is read once to build an
index; full rows are read again only for claims that changed.

What the index holds in memory, per baseline result: the hash of its event id,
the hash of its claim id, a digest of its findings' keys, and where to find the
row again (a file offset, or a stream id as two integers), in flat arrays of
8-byte integers, whatever the size of the results themselves: measured 41 bytes
per result, 49 once the claim-id order is built, about 130 at the peak of
sorting. Ids are compared by their 64-bit hashes; the chance that two different
ids share one is about n / 2**64 per lookup (n = results indexed).
"""

from __future__ import annotations

from array import array
from bisect import bisect_right
from pathlib import Path
from typing import IO, Literal

import msgspec
import redis

from contracts import CLAIM_EDITED, Finding, Outcome, outcome_of
from workers.replay.diff import EMPTY_DIGEST, digest_of
from workers.replay.sources import DEFAULT_PAGE, RESULT_FIELD, stream_entries

MatchedBy = Literal["event_id", "claim_id"]
KEEP_UNREADABLE = 1000  # baseline problems kept with their position; the rest are only counted


class BaselineError(ValueError):
    """A baseline that cannot be used at all (missing, or with no readable result)."""


class _Key(msgspec.Struct, frozen=True):
    edit: str
    lines: tuple[int, ...]
    code: str
    severity: str


class _IndexRow(msgspec.Struct):
    """Just what the index needs; the other fields of a result or a `check` line are skipped unparsed."""

    event_id: str | None = None
    claim_id: str | None = None
    findings: tuple[_Key, ...] | None = None
    event_type: str | None = None
    error: str | None = None


class BaselineRow(msgspec.Struct):
    """A full baseline row, read back for a changed claim."""

    event_id: str | None = None
    claim_id: str | None = None
    outcome: Outcome | None = None
    findings: tuple[Finding, ...] = ()

    def resolved_outcome(self) -> Outcome:
        return self.outcome if self.outcome is not None else outcome_of(self.findings)


_index_decoder = msgspec.json.Decoder(_IndexRow)


def _usable(row: _IndexRow) -> bool:
    return (
        row.event_id is not None
        and row.claim_id is not None
        and row.findings is not None
        and row.error is None
        and (row.event_type is None or row.event_type == CLAIM_EDITED)
    )
_row_decoder = msgspec.json.Decoder(BaselineRow)
decode_row = _row_decoder.decode


class BaselineProblem(msgspec.Struct, frozen=True):
    where: str
    detail: str


class _Sorted:
    """Hashes sorted (stably: among equal hashes the last recorded stays last) and the row of each.

    Chosen over an open-addressing table in flat arrays, which was measured about 70% bigger (70 against
    41 bytes per result) for lookups only a little faster: both are dominated by cache misses.
    """

    def __init__(self, column: array[int]) -> None:
        order = sorted(range(len(column)), key=column.__getitem__)
        self.hashes = array("q", [column[i] for i in order])
        self.rows = array("q", order)

    def find(self, wanted: int) -> int | None:
        i = bisect_right(self.hashes, wanted) - 1
        if i >= 0 and self.hashes[i] == wanted:
            return self.rows[i]
        return None


class Index:
    """Columns in recording order, plus id hashes sorted for binary search. Duplicates: the last recorded row wins.

    The claim id order is built on the first lookup that needs it: replays whose events carry the
    recorded event ids never pay for it.
    """

    def __init__(self) -> None:
        self.event_hashes = array("q")
        self.claim_hashes = array("q")
        self.digests = array("q")
        self.locations = array("q")
        self.sequences = array("Q")  # second half of a stream id (unsigned 64-bit); empty for files
        self._by_event: _Sorted | None = None
        self._by_claim: _Sorted | None = None

    def __len__(self) -> int:
        return len(self.digests)

    def add(self, event_id: str, claim_id: str, digest: int, location: int, sequence: int | None = None) -> None:
        self.event_hashes.append(hash(event_id))
        self.claim_hashes.append(hash(claim_id))
        self.digests.append(digest)
        self.locations.append(location)
        if sequence is not None:
            self.sequences.append(sequence)

    def seal(self) -> None:
        self._by_event = _Sorted(self.event_hashes)
        del self.event_hashes  # the sorted copy is all that lookups need

    def find(self, event_id: str, claim_id: str) -> tuple[int, MatchedBy] | None:
        assert self._by_event is not None, "seal() the index before looking up"
        row = self._by_event.find(hash(event_id))
        if row is not None:
            return row, "event_id"
        if self._by_claim is None:
            self._by_claim = _Sorted(self.claim_hashes)
            del self.claim_hashes
        row = self._by_claim.find(hash(claim_id))
        return None if row is None else (row, "claim_id")


Match = tuple[int, int, MatchedBy]
"""(digest of the recorded findings' keys, handle for `fetch`, how the event was matched)."""


class Baseline:
    """Recorded results: `match` an event to its result's digest, `fetch` the full row of a changed claim."""

    description: str
    kind: str  # "line" or "entry": how a position in it is named
    index: Index
    problems: list[BaselineProblem]
    problem_count: int
    invalid_inputs: int  # `check` lines that record an invalid input line, not a result

    def __init__(self, description: str, kind: str) -> None:
        self.description = description
        self.kind = kind
        self._reset()

    def _reset(self) -> None:
        self.index = Index()
        self.problems = []
        self.problem_count = 0
        self.invalid_inputs = 0

    def _problem(self, where: int | str, detail: str) -> None:
        self.problem_count += 1
        if len(self.problems) < KEEP_UNREADABLE:
            self.problems.append(BaselineProblem(f"{self.kind} {where}", detail))

    def _take(self, raw: bytes, where: int | str, location: int, sequence: int | None = None) -> None:
        try:
            row = _index_decoder.decode(raw)
        except msgspec.DecodeError as error:  # ValidationError is a DecodeError
            self._problem(where, f"not a result: {error}")
            return
        if _usable(row):
            self.index.add(row.event_id, row.claim_id, digest_of(row.findings), location, sequence)  # type: ignore[arg-type]
        else:
            self._reject(row, where)

    def _reject(self, row: _IndexRow, where: int | str) -> None:
        if row.error is not None:
            self.invalid_inputs += 1
        elif row.event_type is not None and row.event_type != CLAIM_EDITED:
            self._problem(where, f"event_type is {row.event_type!r}, not {CLAIM_EDITED!r}: is this the events file?")
        else:
            self._problem(where, "not a result: needs event_id, claim_id and findings")

    def _finish(self, allow_empty: bool = False) -> None:
        if not len(self.index) and self.problem_count and not allow_empty:
            first = self.problems[0]
            raise BaselineError(f"{self.description}: no readable result ({self.problem_count} unreadable; {first.where}: {first.detail})")
        self.index.seal()

    def match(self, event_id: str, claim_id: str) -> Match | None:
        hit = self.index.find(event_id, claim_id)
        if hit is None:
            return None
        row, matched_by = hit
        return self.index.digests[row], row, matched_by

    def fetch(self, handle: int) -> BaselineRow:
        raise NotImplementedError

    def results(self) -> int:
        """How many usable results the baseline holds (after the replay: a file read in order is counted to its end)."""
        return len(self.index)

    def close(self) -> None:
        """Nothing to release by default."""


class FileBaseline(Baseline):
    """A JSONL baseline file. Fetch handles are file offsets; a second handle reads rows back.

    Read in step with the events while each event's recorded result is simply the next row (the output of
    `claim-edit check` on the same file, or results recorded in event order): nothing is indexed and memory
    stays constant. At the first event whose result is not next, the whole file is indexed and every
    later event is looked up (by event id, then claim id). One difference in step: a result recorded
    twice in a row is matched to each event in turn, where the index keeps the last.
    """

    def __init__(self, path: Path) -> None:
        super().__init__(str(path), "line")
        try:
            self._reader: IO[bytes] = path.open("rb")
            self._rows: IO[bytes] = path.open("rb")
        except OSError as error:
            self.close()
            raise BaselineError(f"cannot read baseline {path}: {error.strerror}") from None
        self.in_step = True
        self._offset = self._number = self._matched = 0

    def _next_row(self) -> tuple[_IndexRow, int] | None:
        """The next usable row and its offset, problems recorded on the way; None at the end."""
        decode, reader = _index_decoder.decode, self._reader
        while True:
            raw = reader.readline()
            if not raw:
                return None
            offset = self._offset
            self._offset += len(raw)
            self._number += 1
            try:
                row = decode(raw)
            except msgspec.DecodeError as error:  # ValidationError is a DecodeError
                if not raw.isspace():
                    self._problem(self._number, f"not a result: {error}")
                continue
            if _usable(row):
                return row, offset
            self._reject(row, self._number)

    def match(self, event_id: str, claim_id: str) -> Match | None:
        if self.in_step:
            found = self._next_row()
            if found is not None and found[0].event_id == event_id:
                self._matched += 1
                findings = found[0].findings
                return (digest_of(findings) if findings else EMPTY_DIGEST), found[1], "event_id"
            self._index_everything()
        hit = self.index.find(event_id, claim_id)
        if hit is None:
            return None
        row, matched_by = hit
        return self.index.digests[row], self.index.locations[row], matched_by

    def _index_everything(self) -> None:
        self.in_step = False
        self._reset()  # the rows read in step are read again
        self._reader.seek(0)
        self._load()
        self._finish()

    def _load(self) -> None:
        """`_take` inlined for the common row: a baseline file may be indexed at every replay, so this loop is hot.

        Lines go to the decoder unstripped (JSON allows the surrounding whitespace); a blank line fails
        to decode and is then skipped, so it costs nothing on the common path.
        """
        decode, index = _index_decoder.decode, self.index
        add_event, add_claim = index.event_hashes.append, index.claim_hashes.append
        add_digest, add_location = index.digests.append, index.locations.append
        offset = 0
        for number, raw in enumerate(self._reader, start=1):
            try:
                row = decode(raw)
            except msgspec.DecodeError as error:  # ValidationError is a DecodeError
                if not raw.isspace():
                    self._problem(number, f"not a result: {error}")
            else:
                event_id, claim_id, findings = row.event_id, row.claim_id, row.findings
                if (
                    event_id is not None and claim_id is not None and findings is not None and row.error is None
                    and (row.event_type is None or row.event_type == CLAIM_EDITED)
                ):
                    add_event(hash(event_id))
                    add_claim(hash(claim_id))
                    add_digest(digest_of(findings) if findings else EMPTY_DIGEST)
                    add_location(offset)
                else:
                    self._reject(row, number)
            offset += len(raw)

    def results(self) -> int:
        if not self.in_step:
            return len(self.index)
        while self._next_row() is not None:  # count (and check) the rows no event reached
            self._matched += 1
        return self._matched

    def fetch(self, handle: int) -> BaselineRow:
        self._rows.seek(handle)
        return _row_decoder.decode(self._rows.readline())

    def close(self) -> None:
        for name in ("_reader", "_rows"):
            handle: IO[bytes] | None = getattr(self, name, None)
            if handle is not None:
                handle.close()


class StreamBaseline(Baseline):
    """A result stream (field `result`), read in XRANGE pages from `start` into the index; fetched back by id.

    `allow_empty` (one partition of several): a missing stream, or one with no readable result, is an empty baseline.
    """

    def __init__(self, client: redis.Redis, stream: str, start: str = "-", page: int = DEFAULT_PAGE, allow_empty: bool = False) -> None:
        super().__init__(f"stream {stream}", "entry")
        self._client = client
        self._stream = stream
        if not allow_empty and not client.exists(stream):
            raise BaselineError(f"baseline stream {stream!r} does not exist")
        for entry_id, fields in stream_entries(client, stream, start, "+", page):
            ms, _, seq = entry_id.partition(b"-")
            raw = fields.get(RESULT_FIELD)
            if raw is None:
                self._problem(entry_id.decode(), "no `result` field")
                continue
            self._take(raw, entry_id.decode(), int(ms), int(seq))
        self._finish(allow_empty)

    def fetch(self, handle: int) -> BaselineRow:
        entry_id = f"{self.index.locations[handle]}-{self.index.sequences[handle]}"
        entries: list[tuple[bytes, dict[bytes, bytes]]] = self._client.xrange(  # type: ignore[assignment]
            self._stream, min=entry_id, max=entry_id, count=1
        )
        if not entries:
            raise BaselineError(f"baseline stream {self._stream!r} lost entry {entry_id} during the replay (trimmed?)")
        return _row_decoder.decode(entries[0][1][RESULT_FIELD])
