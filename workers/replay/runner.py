"""The replay loop: each event through the candidate engine, compared with its baseline, tallied.

Memory stays flat in the number of events: events are streamed, the baseline is
a compact index (see `baseline.py`), and changed claims are spooled to a
temporary file that the report reads back. Only counters, the per-edit tally
and the first `KEEP_UNREADABLE` unreadable positions are kept in memory.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterable, Iterator
from typing import IO, Literal

import msgspec
import redis

from contracts import ClaimSubmitted, Finding, InvalidEvent, encode, outcome_of
from contracts.codec import is_event
from workers.history.offline import HistoryEditor
from workers.replay.baseline import Baseline, BaselineProblem, decode_row
from workers.replay.diff import ChangedClaim, FailOn, added_and_removed, digest_of
from workers.replay.sources import EVENT_FIELD

KEEP_UNREADABLE = 10_000
PROGRESS_EVERY = 2048  # entries between progress bar refreshes


class Side(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """One side of the comparison: where it comes from and, for an engine, its versions."""

    description: str
    reference_version: str | None = None
    ruleset_version: str | None = None


class Totals(msgspec.Struct, kw_only=True):
    events: int = 0
    changed: int = 0
    unchanged: int = 0
    without_baseline: int = 0
    unreadable: int = 0
    claims_with_added: int = 0
    claims_with_removed: int = 0
    findings_added: int = 0
    findings_removed: int = 0
    warmed: int = 0  # events before the range that only built history (--warm-start / --warm-events)


class EditCount(msgspec.Struct, kw_only=True):
    edit: str
    added: int = 0
    removed: int = 0


class Unreadable(msgspec.Struct, frozen=True, kw_only=True):
    where: str
    reason: str
    detail: str


class Summary(msgspec.Struct, kw_only=True):
    """Everything in a report except the changed claims themselves (those are in the spool)."""

    before: Side
    after: Side
    fail_on: FailOn
    failed: bool = False
    totals: Totals
    edits: list[EditCount]
    unreadable: list[Unreadable]
    baseline_results: int | None = None
    baseline_invalid_inputs: int | None = None
    baseline_unreadable_count: int = 0
    baseline_unreadable: list[BaselineProblem] = []
    republished: int | None = None
    republish_stream: str | None = None


_change_decoder = msgspec.json.Decoder(ChangedClaim)


class Spool:
    """Changed claims on a temporary file, in the order found; iterate to read them back."""

    def __init__(self) -> None:
        self._file: IO[bytes] = tempfile.TemporaryFile()  # noqa: SIM115 - closed by close()
        self.count = 0

    def add(self, change: ChangedClaim) -> None:
        self._file.write(encode(change) + b"\n")
        self.count += 1

    def __iter__(self) -> Iterator[ChangedClaim]:
        self._file.flush()
        self._file.seek(0)
        for line in self._file:
            yield _change_decoder.decode(line)
        self._file.seek(0, 2)

    def close(self) -> None:
        self._file.close()


class Republisher:
    """Pipelined XADD of replayed events to a sandbox stream, field `event`, `chunk` entries per round trip."""

    def __init__(self, client: redis.Redis, stream: str, chunk: int = 500) -> None:
        self.stream = stream
        self.count = 0
        self._chunk = chunk
        self._pipe = client.pipeline(transaction=False)
        self._pending = 0

    def add(self, payload: bytes) -> None:
        self._pipe.xadd(self.stream, {EVENT_FIELD: payload})
        self._pending += 1
        if self._pending >= self._chunk:
            self.flush()

    def flush(self) -> None:
        if self._pending:
            self._pipe.execute()
            self.count += self._pending
            self._pending = 0


class Tally:
    """Counters, per-edit counts and the spool of changes, filled by the loops below."""

    def __init__(self, kind: Literal["line", "entry"], fail_on: FailOn) -> None:
        self.kind = kind
        self.fail_on = fail_on
        self.totals = Totals()
        self.edits: dict[str, EditCount] = {}
        self.unreadable: list[Unreadable] = []
        self.spool = Spool()
        self.failing = 0

    def bad(self, where: int | str, reason: str, detail: str) -> None:
        self.totals.unreadable += 1
        if len(self.unreadable) < KEEP_UNREADABLE:
            self.unreadable.append(Unreadable(where=f"{self.kind} {where}", reason=reason, detail=detail))

    def compare(
        self,
        where: int | str,
        event_id: str,
        claim_id: str,
        matched_by: Literal["event_id", "claim_id", "against"],
        before: tuple[Finding, ...],
        after: tuple[Finding, ...],
    ) -> None:
        added, removed = added_and_removed(before, after)
        if not added and not removed:  # equal digests missed it: a reordering, or a hash collision
            self.totals.unchanged += 1
            return
        totals = self.totals
        totals.changed += 1
        totals.claims_with_added += bool(added)
        totals.claims_with_removed += bool(removed)
        totals.findings_added += len(added)
        totals.findings_removed += len(removed)
        for finding in added:
            self.edits.setdefault(finding.edit, EditCount(edit=finding.edit)).added += 1
        for finding in removed:
            self.edits.setdefault(finding.edit, EditCount(edit=finding.edit)).removed += 1
        change = ChangedClaim(
            where=f"{self.kind} {where}",
            event_id=event_id,
            claim_id=claim_id,
            matched_by=matched_by,
            before_outcome=outcome_of(before),
            after_outcome=outcome_of(after),
            before=before,
            after=after,
            added=added,
            removed=removed,
        )
        self.failing += change.counts_for(self.fail_on)
        self.spool.add(change)

    def summary(self, before: Side, after: Side, baseline: Baseline | None, republisher: Republisher | None) -> Summary:
        summary = Summary(
            before=before,
            after=after,
            fail_on=self.fail_on,
            failed=self.failing > 0,
            totals=self.totals,
            edits=sorted(self.edits.values(), key=lambda count: count.edit),
            unreadable=self.unreadable,
        )
        if baseline is not None:
            summary.baseline_results = baseline.results()
            summary.baseline_invalid_inputs = baseline.invalid_inputs
            summary.baseline_unreadable_count = baseline.problem_count
            summary.baseline_unreadable = baseline.problems
        if republisher is not None:
            summary.republished = republisher.count
            summary.republish_stream = republisher.stream
        return summary


Progress = Callable[[int], None]


def _no_progress(_: int) -> None:
    """Used when stderr is not a terminal."""


def warm_history(
    entries: Iterable[tuple[int | str, bytes | None]],
    decode: Callable[[bytes], ClaimSubmitted],
    tally: Tally,
    editors: Iterable[HistoryEditor],
    progress: Progress = _no_progress,
) -> None:
    """Edit events before the replayed range only for what they change in each editor's history.

    Their results are not compared; unreadable ones are skipped (they are not part of the range).
    """
    learners = [editor.learn for editor in editors]
    count = 0
    for _, raw in entries:
        if raw is None:
            continue
        try:
            claim = decode(raw).claim
        except InvalidEvent:
            continue
        for learn in learners:
            learn(claim)
        count += 1
        if not count % PROGRESS_EVERY:
            progress(count)
    tally.totals.warmed += count


def replay_events(
    entries: Iterable[tuple[int | str, bytes | None]],
    decode: Callable[[bytes], ClaimSubmitted],
    tally: Tally,
    candidate: HistoryEditor,
    baseline: Baseline | None = None,
    against: HistoryEditor | None = None,
    republisher: Republisher | None = None,
    progress: Progress = _no_progress,
) -> None:
    """Run each event through `candidate` and compare with `baseline` (recorded) or `against` (another engine).

    With history, each editor edits the events in order against the history the earlier ones built (its
    own: a different rule set denies different lines), so an event without a baseline is still edited.
    With neither baseline nor against, events are only decoded (and republished when asked).
    """
    totals = tally.totals
    run = candidate.findings
    run_before = against.findings if against is not None else None
    learn = candidate.learn
    match = baseline.match if baseline is not None else None
    count = 0
    for where, raw in entries:
        count += 1
        if not count % PROGRESS_EVERY:
            progress(count)
        if raw is None:
            tally.bad(where, "missing-event-field", "the stream entry has no `event` field")
            continue
        try:
            event = decode(raw)
        except InvalidEvent as error:
            tally.bad(where, error.reason, error.detail)
            continue
        if republisher is not None:
            republisher.add(raw if is_event(raw) else encode(event))
        claim = event.claim
        if run_before is not None:
            after = run(claim)
            before = run_before(claim)
            if digest_of(before) == digest_of(after):
                totals.unchanged += 1
            else:
                tally.compare(where, event.event_id, claim.claim_id, "against", before, after)
            continue
        if match is None or baseline is None:
            continue
        hit = match(event.event_id, claim.claim_id)
        if hit is None:
            learn(claim)  # with history: not compared, but what it changes in history counts for the claims after it
            totals.without_baseline += 1
            continue
        after = run(claim)
        digest, handle, matched_by = hit
        if digest == digest_of(after):
            totals.unchanged += 1
            continue
        tally.compare(where, event.event_id, claim.claim_id, matched_by, baseline.fetch(handle).findings, after)
    totals.events += count
    progress(count)
    if republisher is not None:
        republisher.flush()


def replay_results(
    entries: Iterable[tuple[int | str, bytes | None]],
    tally: Tally,
    baseline: Baseline,
    progress: Progress = _no_progress,
) -> None:
    """Compare recorded candidate results (a shadow worker's result stream) with the baseline; no engine here."""
    totals = tally.totals
    count = 0
    for where, raw in entries:
        count += 1
        if not count % PROGRESS_EVERY:
            progress(count)
        if raw is None:
            tally.bad(where, "missing-result-field", "the stream entry has no `result` field")
            continue
        try:
            row = decode_row(raw)
        except msgspec.DecodeError as error:
            tally.bad(where, "not-a-result", str(error)[:300])
            continue
        if row.event_id is None or row.claim_id is None:
            tally.bad(where, "not-a-result", "needs event_id and claim_id")
            continue
        hit = baseline.match(row.event_id, row.claim_id)
        if hit is None:
            totals.without_baseline += 1
            continue
        digest, handle, matched_by = hit
        if digest == digest_of(row.findings):
            totals.unchanged += 1
            continue
        tally.compare(where, row.event_id, row.claim_id, matched_by, baseline.fetch(handle).findings, row.findings)
    totals.events += count
    progress(count)
