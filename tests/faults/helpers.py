"""Fault-injection helpers: a redis-server the test owns (kill it, restart it on the same port and data directory),
worker processes (`claim-edit worker` subprocesses to SIGKILL, SIGSTOP, SIGTERM), and the closing audit every
scenario ends with: each input entry answered by exactly one result or one dead letter, no event_id with two
results, nothing pending.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import redis

from contracts import ClaimEdited, DeadLetter
from tests import processes
from tests.processes import RedisServerProcess
from tests.workers.helpers import dead_letters, results, wait_for

GROUP = "claim-edit"


@dataclass(frozen=True)
class Streams:
    submitted: str = "claims.submitted"
    edited: str = "claims.edited"
    deadletter: str = "claims.deadletter"

    def flags(self) -> list[str]:
        return ["--stream", self.submitted, "--result-stream", self.edited, "--deadletter-stream", self.deadletter]


DEFAULT_STREAMS = Streams()


class RedisServer(RedisServerProcess):
    """A redis-server the test owns (kill it, start it again on the same port and directory); started means answering
    PING, so a restart returns only once the AOF has been replayed."""

    def __init__(self, directory: Path, *config: str) -> None:
        super().__init__(directory, *config, ping=True)


class WorkerProcess(processes.WorkerProcess):
    """A worker on `streams` at log level INFO, with 5 s to finish the batch in hand after SIGTERM."""

    def __init__(self, redis_url: str, tmp_path: Path, consumer: str, *extra: str, streams: Streams = DEFAULT_STREAMS) -> None:
        super().__init__(tmp_path, consumer, "--shutdown-grace-s", "5", *streams.flags(), *extra, redis_url=redis_url)


def answered(client: redis.Redis, streams: Streams = DEFAULT_STREAMS) -> int:
    return int(client.xlen(streams.edited)) + int(client.xlen(streams.deadletter))


def pending(client: redis.Redis, streams: Streams = DEFAULT_STREAMS) -> int:
    try:
        return int(client.xpending(streams.submitted, GROUP)["pending"])
    except redis.ResponseError:  # no group yet
        return 0


def pending_for(client: redis.Redis, consumer: str, streams: Streams = DEFAULT_STREAMS) -> int:
    rows = client.xpending_range(streams.submitted, GROUP, min="-", max="+", count=100_000, consumername=consumer)
    return len(rows)


def wait_all_answered(client: redis.Redis, expected: int, streams: Streams = DEFAULT_STREAMS, timeout_s: float = 40) -> None:
    wait_for(lambda: answered(client, streams) >= expected and pending(client, streams) == 0, timeout_s=timeout_s,
             what=f"{expected} answers and nothing pending (have {answered(client, streams)}, pending {pending(client, streams)})")


@dataclass
class Audit:
    results: dict[str, ClaimEdited]  # by input entry id (source_stream_id)
    dead_letters: dict[str, DeadLetter]  # by input entry id (stream_id)

    def results_for(self, event_id: str) -> list[ClaimEdited]:
        return [r for r in self.results.values() if r.event_id == event_id]

    def dead_letters_for(self, event_id: str) -> list[DeadLetter]:
        return [d for d in self.dead_letters.values() if d.event_id == event_id]


def audit(client: redis.Redis, entry_ids: list[bytes], streams: Streams = DEFAULT_STREAMS, *, one_result_per_event: bool = True) -> Audit:
    """Assert the invariants every scenario must keep, and return the answers by input entry id.

    `one_result_per_event=False` only for a worker run with the idempotency window off (--dedup-window-s 0).
    """
    found_results = results(client, streams.edited)
    found_letters = dead_letters(client, streams.deadletter)
    per_entry = Counter([r.source_stream_id for r in found_results] + [d.stream_id for d in found_letters])
    sent = {i.decode() for i in entry_ids}
    assert len(sent) == len(entry_ids)
    missing = sent - set(per_entry)
    assert not missing, f"{len(missing)} entries have no answer, e.g. {sorted(missing)[:3]}"
    extra = set(per_entry) - sent
    assert not extra, f"answers for entries never sent: {list(extra)[:3]}"
    twice = [entry for entry, count in per_entry.items() if count > 1]
    assert not twice, f"{len(twice)} entries answered more than once, e.g. {twice[:3]}"
    if one_result_per_event:
        per_event = Counter(r.event_id for r in found_results)
        repeated = [event_id for event_id, count in per_event.items() if count > 1]
        assert not repeated, f"{len(repeated)} event_ids have two results, e.g. {repeated[:3]}"
    assert pending(client, streams) == 0
    return Audit(results={r.source_stream_id or "": r for r in found_results}, dead_letters={d.stream_id: d for d in found_letters})
