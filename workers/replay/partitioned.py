"""Replaying a partitioned recording (docs/scale-out.md): every partition's input stream, and its result stream as the baseline.

Partitions are read one after the other, each in XRANGE pages with the same bounds: in a Redis Cluster each
partition is one hash slot, so no command spans two. A result sits in the partition of its event (the worker
writes it to the partition it read from, and a claim's partition is a hash of its claim id), so the baseline
of partition i is indexed just before partition i's events are replayed and dropped after: the index holds
one partition's results at a time, not the whole recording's.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import redis

from contracts import InvalidEvent, decode_event
from workers.partitions import PartitionStreams, partition_of
from workers.replay.baseline import KEEP_UNREADABLE, Baseline, BaselineError, BaselineProblem, BaselineRow, Match, StreamBaseline
from workers.replay.sources import DEFAULT_PAGE, EVENT_FIELD, stream_events

SAMPLE = 10  # first entries per partition checked against crc32(patient_id) mod P


def where_in(entry_id: str, stream: str) -> str:
    """A position that names its partition stream: entry ids repeat across partitions."""
    return f"{entry_id} in {stream}"


class PartitionBaseline(Baseline):
    """The result streams of the partitions, one indexed at a time (`load`), with counts summed over those loaded."""

    def __init__(self, client: redis.Redis, partitions: Sequence[PartitionStreams], start: str = "-", page: int = DEFAULT_PAGE) -> None:
        super().__init__(f"{len(partitions)} partition result streams {partitions[0].edited} ..", "entry")
        self._client = client
        self._start = start
        self._page = page
        self._current: StreamBaseline | None = None
        self._loaded = 0
        if not any(client.exists(p.edited) for p in partitions):
            raise BaselineError(f"no partition result stream exists ({partitions[0].edited} ..): is --partitions/--partition-prefix right?")

    def load(self, partition: PartitionStreams) -> None:
        """Drop the previous partition's index and index this one's results (a missing stream: no results)."""
        self._current = None
        found = StreamBaseline(self._client, partition.edited, start=self._start, page=self._page, allow_empty=True)
        self._loaded += len(found.index)
        self.invalid_inputs += found.invalid_inputs
        self.problem_count += found.problem_count
        room = max(0, KEEP_UNREADABLE - len(self.problems))
        self.problems.extend(BaselineProblem(where_in(p.where, partition.edited), p.detail) for p in found.problems[:room])
        self._current = found

    def match(self, event_id: str, claim_id: str) -> Match | None:
        return None if self._current is None else self._current.match(event_id, claim_id)

    def fetch(self, handle: int) -> BaselineRow:
        assert self._current is not None, "fetch follows a match in the same partition"
        return self._current.fetch(handle)

    def results(self) -> int:
        return self._loaded


def misplaced(client: redis.Redis, partitions: Sequence[PartitionStreams], count: int) -> list[str]:
    """The partition streams whose first readable events belong to another partition with `count` partitions.

    A wrong P still finds streams: partition 0's tag is the same for every P from 2 up, so without this a replay
    with the wrong P would quietly cover partition 0 and little else.
    """
    found = []
    for partition in partitions:
        sample: list[tuple[bytes, dict[bytes, bytes]]] = client.xrange(partition.submitted, count=SAMPLE)  # type: ignore[assignment]
        for _, fields in sample:
            try:
                patient_id = decode_event(fields.get(EVENT_FIELD, b"")).claim.patient_id
            except InvalidEvent:
                continue
            if partition_of(patient_id, count) != partition.index:
                found.append(partition.submitted)
                break
    return found


def partition_entries(
    client: redis.Redis,
    partitions: Sequence[PartitionStreams],
    start: str = "-",
    end: str = "+",
    page: int = DEFAULT_PAGE,
    baseline: PartitionBaseline | None = None,
) -> Iterator[tuple[int | str, bytes | None]]:
    """`(where, raw event)` of every partition's input stream in [start, end], partition after partition."""
    for partition in partitions:
        if baseline is not None:
            baseline.load(partition)
        for entry_id, raw in stream_events(client, partition.submitted, start, end, page):
            yield where_in(entry_id, partition.submitted), raw
    if baseline is not None and not baseline.results() and baseline.problem_count:
        first = baseline.problems[0]
        raise BaselineError(f"{baseline.description}: no readable result "
                            f"({baseline.problem_count} unreadable; {first.where}: {first.detail})")
