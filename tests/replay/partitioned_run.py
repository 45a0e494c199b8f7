"""A partitioned run (3 partitions) recorded by a real worker, on one Redis or a Redis Cluster, for the replay tests."""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass
from typing import Any

import msgspec
import redis

from contracts import ClaimSubmitted
from edits import Engine, load_default_reference
from tests.replay.helpers import CLAIMS, claim, event
from tests.workers.helpers import WorkerThread, wait_for
from workers.partitions import all_partitions, partition_of
from workers.producer import send_partitioned
from workers.settings import Settings

P = 3


def _in_partition(base: str, index: int) -> str:
    """A claim id `<base>-<n>` whose patient (`P-<claim id>`, tests/replay/helpers.py) lands in partition `index`."""
    return next(f"{base}-{n}" for n in itertools.count() if partition_of(f"P-{base}-{n}", P) == index)


# C-three-units (over the bundled MUE of 64629, under an MUE of 3) again, in partition 2.
EXTRA = _in_partition("C-three-units", 2)


def recorded_events() -> tuple[list[ClaimSubmitted], list[ClaimSubmitted]]:
    """Every CLAIMS claim twice (event ids E1-, then E2-), plus EXTRA in the first round: events in all three partitions."""
    first, second = ([event(claim_id, event_id=f"E{n}-{claim_id}") for claim_id in CLAIMS] for n in (1, 2))
    extra = msgspec.structs.replace(first[0], event_id=f"E1-{EXTRA}", claim=claim(EXTRA, CLAIMS["C-three-units"]))
    return [*first, extra], second


def server_time(client: redis.Redis) -> dt.datetime:
    seconds, micros = client.time()
    return dt.datetime.fromtimestamp(seconds + micros / 1e6, dt.UTC)


@dataclass(frozen=True)
class Recording:
    events: int
    first: int
    between: dt.datetime  # a server time after the first round was written and before the second


def record(client: redis.Redis, url: str, **settings: Any) -> Recording:
    """Send two rounds of events to their partitions; a worker (bundled snapshot, `--partitions 3`) answers all of them."""
    first, second = recorded_events()
    assert {partition_of(e.claim.patient_id, P) for e in first} == set(range(P))
    values: dict[str, Any] = {"redis_url": url, "partitions": P, "http_port": 0, "http_host": "127.0.0.1", "block_ms": 50,
                              "batch_size": 4, "consumer": "recorder", "stats_interval_s": 0.2, **settings}
    send_partitioned(client, first, P)
    sent_at = server_time(client)  # after every id of the first round
    # `between` must be in a later millisecond than the first round's ids, and the second round's in a later one again.
    wait_for(lambda: server_time(client) > sent_at + dt.timedelta(milliseconds=2), what="the server clock to move on")
    between = server_time(client)
    wait_for(lambda: server_time(client) > between + dt.timedelta(milliseconds=2), what="the server clock to move on")
    send_partitioned(client, second, P)
    total = len(first) + len(second)
    with WorkerThread(Settings(**values), Engine(load_default_reference())):
        wait_for(lambda: sum(int(client.xlen(p.edited)) for p in all_partitions(P)) >= total, what="every partition's results")
    assert sum(int(client.xlen(p.submitted)) for p in all_partitions(P)) == total
    return Recording(events=total, first=len(first), between=between)
