"""The commit scripts trim the result and dead-letter streams once per batch (XTRIM MAXLEN ~), with and without history."""

from __future__ import annotations

import asyncio

import pytest
import redis
import redis.asyncio as aioredis

from edits import Engine
from tests.history_audit import HISTORY_KEY
from tests.workers.helpers import CLEAN, event, submit, tiny_reference
from workers.batch import BatchPreparer
from workers.commit import Committer
from workers.health import Health
from workers.history.edit_batch import HistoryPreparer
from workers.metrics import WorkerMetrics

pytestmark = pytest.mark.redis

STREAM = "claims.submitted"
GROUP = "claim-edit"
MAXLEN = 10
BATCH = 300
NODE_ENTRIES = 100  # Redis's stream-node-max-entries default: MAXLEN ~ trims whole nodes of this many entries


@pytest.mark.parametrize("history", [False, True], ids=["plain", "history"])
def test_results_and_dead_letters_stay_near_maxlen(redis_client: redis.Redis, redis_url: str, history: bool) -> None:
    redis_client.xgroup_create(STREAM, GROUP, id="0", mkstream=True)
    submit(redis_client, STREAM, [event(CLEAN) for _ in range(BATCH)])
    for _ in range(BATCH):
        redis_client.xadd(STREAM, {"event": b"{not json"})  # each one a dead letter
    reply = redis_client.xreadgroup(GROUP, "me", {STREAM: ">"}, count=2 * BATCH)
    entries = list(reply[0][1])  # type: ignore[index]
    ids, fields = [i for i, _ in entries], [f for _, f in entries]

    async def run() -> None:
        client = aioredis.Redis.from_url(redis_url)
        try:
            engine = Engine(tiny_reference())
            metrics = WorkerMetrics(engine.edit_names, engine.reference_version)
            committer = Committer(client, stream=STREAM, group=GROUP, result_stream="claims.edited", deadletter_stream="claims.deadletter",
                                  maxlen=MAXLEN, metrics=metrics, health=Health(), history_ttl_ms=86_400_000)
            if history:
                preparer = HistoryPreparer(engine, stream=STREAM, consumer="me", max_event_bytes=1 << 20, client=client,
                                           secret=HISTORY_KEY.encode(), days=365, metrics=metrics)
                batch = await preparer.prepare_batch(ids, fields)
            else:
                batch = BatchPreparer(engine, stream=STREAM, consumer="me", max_event_bytes=1 << 20).prepare(ids, fields)
            summary = await committer.commit(batch)
            assert summary is not None
            assert summary.acked == 2 * BATCH
        finally:
            await client.aclose()

    asyncio.run(run())
    for stream in ("claims.edited", "claims.deadletter"):
        length = int(redis_client.xlen(stream))
        assert MAXLEN <= length < MAXLEN + NODE_ENTRIES, f"{stream}: {length} entries after {BATCH} XADDs with MAXLEN ~{MAXLEN}"
    assert redis_client.xpending(STREAM, GROUP)["pending"] == 0
