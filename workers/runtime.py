"""The worker: a FastStream batch subscriber on the input stream, the commit pipeline, the reclaim loop,
lag sampling and the HTTP port, started and stopped in the right order.

Hot path: FastStream reads `batch_size` entries per XREADGROUP in the consumer group; a pass-through
parser hands the raw entries to `_on_batch` (FastStream's default batch parser decodes every body three
times); the batch is edited and its commit script started, and the handler returns so the next read
and edit overlap the commit. FastStream's own acking is off (`AckPolicy.MANUAL`): the commit acks.

Partitioned mode (`partitions` > 0, docs/scale-out.md): one such pipeline per partition (subscriber,
preparer, committer, reclaimer on that partition's three streams), all on one broker and one client,
so every worker reads every partition it is given and any worker can take over another's entries.

Shutdown (SIGTERM/SIGINT, or `stop` set): stop reading, finish the batch in hand, commit it and any
entries this consumer still holds, then exit, all within `shutdown_grace_s`. Whatever cannot be
committed in time stays pending and another worker reclaims it: nothing is lost.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import gc
import logging
import signal
from collections.abc import Mapping
from typing import Any

import redis.asyncio as aioredis
import structlog
from faststream import AckPolicy
from faststream.message import StreamMessage
from faststream.redis import RedisBroker, StreamSub
from prometheus_client import Gauge
from redis.exceptions import RedisError, ResponseError

from edits import Engine
from workers import connection
from workers.batch import BatchPreparer
from workers.commit import RETRYABLE, Committer, backoff_delays
from workers.health import Health, HttpServer
from workers.history.edit_batch import HistoryPreparer
from workers.history.redis_store import HISTORY_TTL_FACTOR, ttl_ms
from workers.metrics import WorkerMetrics
from workers.partitions import PartitionStreams
from workers.reclaim import Reclaimer
from workers.settings import Settings
from workers.streams import as_text

log = structlog.get_logger("claimedit.worker")


async def _pass_through_parser(message: Any) -> StreamMessage[Any]:
    return StreamMessage(raw_message=message, body=b"", headers={}, path={}, reply_to="", content_type=None,
                         message_id="", correlation_id="")


async def _raw_decoder(message: StreamMessage[Any]) -> Any:
    return message.raw_message


class _ReadErrorCounter(logging.Filter):
    """FastStream retries a failed XREADGROUP itself and only logs it: count those logs as read errors."""

    def __init__(self, metrics: WorkerMetrics, health: Health) -> None:
        super().__init__()
        self.metrics = metrics
        self.health = health

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno >= logging.ERROR and str(record.msg).startswith("Message fetch error"):
            self.metrics.redis_errors.labels("read").inc()
            self.health.redis_ok = False
        return True


@dataclasses.dataclass(slots=True)
class Pipeline:
    """What reads, edits and commits one input stream: the single stream, or one partition."""

    streams: PartitionStreams
    preparer: BatchPreparer
    committer: Committer
    reclaimer: Reclaimer
    subscriber: Any = None


class PartitionGauges:
    """Lag and pending entries per partition (label `partition`), in partitioned mode only.

    The unlabelled `claimedit_consumer_lag` / `claimedit_pending_entries` stay the sum over this worker's
    streams, so the alerts and the dashboard read the same series in both modes.
    """

    def __init__(self, metrics: WorkerMetrics, labels: list[str]) -> None:
        self.lag = Gauge("claimedit_partition_consumer_lag", "Consumer group lag of one partition's input stream", ["partition"],
                         registry=metrics.registry)
        self.pending = Gauge("claimedit_partition_pending_entries", "Entries of one partition delivered to the group, not yet acked",
                             ["partition"], registry=metrics.registry)
        for label in labels:
            self.lag.labels(label)
            self.pending.labels(label)


class Worker:
    """Build with settings and an engine; `await run(stop)` until `stop` is set. `http_port` is the bound port."""

    def __init__(self, settings: Settings, engine: Engine) -> None:
        if not settings.streams_are_distinct():
            raise ValueError("the input, result and dead-letter streams must be three different streams")
        self.settings = settings
        self.engine = engine
        self.health = Health(reference_ok=True)
        self.metrics = WorkerMetrics(engine.edit_names, engine.reference_version, engine.ruleset_version)
        self.exit_code = 0
        self.http_port: int | None = None
        self.started = asyncio.Event()
        self._client: aioredis.Redis | None = None
        self._history_secret = settings.history_secret() if settings.history else None
        self.partition_gauges = (PartitionGauges(self.metrics, [p.label for p in settings.pipelines()]) if settings.partitions
                                 else None)

    # -- wiring -------------------------------------------------------------------------------------------

    def _pipeline(self, client: aioredis.Redis, streams: PartitionStreams) -> Pipeline:
        s = self.settings
        preparer: BatchPreparer
        if self._history_secret is not None:
            preparer = HistoryPreparer(self.engine, stream=streams.submitted, consumer=s.consumer, max_event_bytes=s.max_event_bytes,
                                       client=client, secret=self._history_secret, days=s.history_days, metrics=self.metrics)
        else:
            preparer = BatchPreparer(self.engine, stream=streams.submitted, consumer=s.consumer, max_event_bytes=s.max_event_bytes)
        committer = Committer(client, stream=streams.submitted, group=s.group, result_stream=streams.edited,
                              deadletter_stream=streams.deadletter, maxlen=s.result_maxlen, metrics=self.metrics, health=self.health,
                              dedup_window_s=s.dedup_window_s, history_ttl_ms=ttl_ms(HISTORY_TTL_FACTOR * s.history_days))
        reclaimer = Reclaimer(client, stream=streams.submitted, group=s.group, consumer=s.consumer, claim_idle_ms=s.claim_idle_ms,
                              max_deliveries=s.max_deliveries, batch_size=s.batch_size, preparer=preparer, committer=committer,
                              metrics=self.metrics, block_ms=s.block_ms)
        return Pipeline(streams, preparer, committer, reclaimer)

    def _build(self, client: aioredis.Redis) -> tuple[RedisBroker, list[Pipeline]]:
        s = self.settings
        pipelines = [self._pipeline(client, streams) for streams in s.pipelines()]
        faststream_log = logging.getLogger("claimedit.faststream")
        faststream_log.setLevel(logging.WARNING)  # its info lines are per-task chatter; its errors still show
        faststream_log.filters[:] = [_ReadErrorCounter(self.metrics, self.health)]
        broker = connection.broker(
            s,
            apply_types=False,  # the handler takes the raw batch: no dependency injection or validation per call
            graceful_timeout=s.shutdown_grace_s,
            logger=faststream_log,
            log_level=logging.DEBUG,  # FastStream's per-message lines; errors are still logged as errors
        )
        for pipeline in pipelines:
            pipeline.subscriber = self._subscribe(broker, pipeline)
        return broker, pipelines

    def _subscribe(self, broker: RedisBroker, pipeline: Pipeline) -> Any:
        s = self.settings
        subscriber = broker.subscriber(
            stream=StreamSub(pipeline.streams.submitted, group=s.group, consumer=s.consumer, batch=True, max_records=s.batch_size,
                             polling_interval=s.block_ms, last_id=">"),
            parser=_pass_through_parser,
            decoder=_raw_decoder,
            ack_policy=AckPolicy.MANUAL,
            no_reply=True,
        )
        preparer, committer = pipeline.preparer, pipeline.committer

        async def on_batch(raw: Mapping[str, Any]) -> None:
            await committer.submit(await preparer.prepare_batch(raw["message_ids"], raw["data"]))

        subscriber(on_batch)
        return subscriber

    # -- start-up -----------------------------------------------------------------------------------------

    async def _create_group(self, client: aioredis.Redis, stream: str) -> None:
        try:
            await client.xgroup_create(stream, self.settings.group, id="0", mkstream=True)
            log.info("consumer group created at the start of the stream", stream=stream, group=self.settings.group)
        except ResponseError as error:
            if "BUSYGROUP" not in str(error):
                raise

    async def _ensure_group(self, client: aioredis.Redis, stop: asyncio.Event) -> bool:
        """Create the group at the start of each input stream where it is missing; wait for Redis while it is unreachable."""
        next_delay = backoff_delays(first=0.2)
        while not stop.is_set():
            try:
                for streams in self.settings.pipelines():
                    await self._create_group(client, streams.submitted)
            except RETRYABLE as error:
                self.health.redis_ok = False
                delay = next_delay()
                log.warning("redis unreachable; waiting", retry_in_s=delay, error=connection.explain(self.settings, error))
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=delay)
                continue
            self.health.redis_ok = self.health.group_ok = True
            return True
        return False

    async def _start_broker(self, broker: RedisBroker, stop: asyncio.Event) -> bool:
        next_delay = backoff_delays(first=0.2)
        while not stop.is_set():
            try:
                connection.fast_stream_reads(await broker.connect())  # the client FastStream reads with; start() reuses it
                await broker.start()
            except (OSError, RedisError, TimeoutError) as error:
                delay = next_delay()
                log.warning("could not start reading; retrying", retry_in_s=delay, error=connection.explain(self.settings, error))
                with contextlib.suppress(Exception):
                    await broker.stop()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=delay)
                continue
            return True
        return False

    # -- background loops ---------------------------------------------------------------------------------

    async def _group_row(self, client: aioredis.Redis, stream: str) -> dict[str, Any] | None:
        """This group's XINFO GROUPS row for `stream`; None when the stream or the group is gone."""
        try:
            groups = await client.xinfo_groups(stream)
        except ResponseError:
            return None  # the stream itself is gone
        return next((g for g in groups if as_text(g.get("name")) == self.settings.group), None)

    def _set_gauges(self, rows: dict[str, dict[str, Any] | None]) -> None:
        """Per-partition gauges, and the unlabelled ones as the sum over this worker's streams (when every row is known)."""
        gauges = self.partition_gauges
        for label, row in rows.items():
            if gauges is not None and row is not None:
                if row.get("lag") is not None:
                    gauges.lag.labels(label).set(int(row["lag"]))
                gauges.pending.labels(label).set(int(row.get("pending") or 0))
        present = [row for row in rows.values() if row is not None]
        if len(present) != len(rows):
            return
        if all(row.get("lag") is not None for row in present):
            self.metrics.lag.set(sum(int(row["lag"]) for row in present))
        self.metrics.pending.set(sum(int(row.get("pending") or 0) for row in present))

    async def _sample_stats(self, client: aioredis.Redis, pipelines: list[Pipeline], stop: asyncio.Event) -> None:
        """Lag and pending entries for the dashboards, and readiness; exit if a group vanished under us."""
        s = self.settings
        while not stop.is_set():
            rows: dict[str, dict[str, Any] | None] = {}
            try:
                for pipeline in pipelines:
                    rows[pipeline.streams.label] = await self._group_row(client, pipeline.streams.submitted)
            except RedisError as error:
                self.metrics.redis_errors.labels("stats").inc()
                self.health.redis_ok = False
                log.warning("redis unreachable while sampling lag", error=str(error)[:200])
            else:
                self.health.redis_ok = True
                self.health.group_ok = all(row is not None for row in rows.values())
                self._set_gauges(rows)
            if any(not pipeline.subscriber.running for pipeline in pipelines) and not stop.is_set():
                log.error("the subscriber stopped (consumer group deleted?); exiting so the supervisor restarts the worker")
                self.exit_code = 1
                stop.set()
                return
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=s.stats_interval_s)

    # -- the whole life -----------------------------------------------------------------------------------

    async def run(self, stop: asyncio.Event) -> int:
        s = self.settings
        try:
            http = HttpServer(s.http_host, s.http_port, self.metrics.registry, self.health).start()
        except OSError as error:
            log.error("cannot serve /metrics and health: the HTTP port is unavailable", host=s.http_host, port=s.http_port,
                      error=str(error))
            return 2
        self.http_port = http.port
        client = connection.async_client(s, socket_connect_timeout=5, socket_keepalive=True)
        broker, pipelines = self._build(client)
        tasks: list[asyncio.Task[None]] = []
        # The reference data and the modules live as long as the process: freezing them out of the collector's
        # generations keeps full collections from walking them on the hot path (~10% more claims per CPU-second).
        gc.collect()
        gc.freeze()
        where = {"partitions": [p.streams.label for p in pipelines]} if s.partitions else {"stream": s.stream}
        log.info("worker starting", **where, group=s.group, history=s.history, consumer=s.consumer, batch_size=s.batch_size,
                 http_port=http.port, reference_version=self.engine.reference_version, edits=list(self.engine.edit_names))
        try:
            if await self._ensure_group(client, stop):
                for pipeline in pipelines:
                    with contextlib.suppress(RedisError):
                        await pipeline.reclaimer.finish_own_pending()  # a previous process with this consumer name may have left some
                if await self._start_broker(broker, stop):
                    tasks = [asyncio.create_task(p.reclaimer.run(stop), name=f"reclaim-{p.streams.label}") for p in pipelines]
                    tasks.append(asyncio.create_task(self._sample_stats(client, pipelines, stop), name="stats"))
                    self.started.set()
                    log.info("worker reading", **where)
                    await stop.wait()
            await self._shutdown(broker, pipelines, tasks)
        finally:
            await client.aclose()
            http.stop()
        log.info("worker stopped", exit_code=self.exit_code)
        return self.exit_code

    @staticmethod
    async def _stop_reading(subscriber: Any) -> None:
        """Stop the subscriber and let its read task finish cancelling before the broker closes the connection.

        FastStream's broker.stop() cancels the read and closes the connection at once; the read then sees the
        closed socket first and logs a spurious "Message fetch error" on every clean shutdown.
        """
        reading = [task for task in getattr(subscriber, "tasks", ()) if not task.done()]
        await subscriber.stop()  # stops reading; waits for the handler in progress
        await asyncio.gather(*reading, return_exceptions=True)

    async def _shutdown(self, broker: RedisBroker, pipelines: list[Pipeline], tasks: list[asyncio.Task[None]]) -> None:
        self.health.stopping = True
        log.info("stopping: finishing the batch in hand", grace_s=self.settings.shutdown_grace_s)
        try:
            async with asyncio.timeout(self.settings.shutdown_grace_s):
                await asyncio.gather(*(self._stop_reading(p.subscriber) for p in pipelines))
                await broker.stop()
                await asyncio.gather(*tasks, return_exceptions=True)
                for pipeline in pipelines:
                    await pipeline.committer.drain()
                for pipeline in pipelines:
                    with contextlib.suppress(RedisError):
                        await pipeline.reclaimer.finish_own_pending()  # entries read but cut off by the stop, if any
                for pipeline in pipelines:
                    await pipeline.committer.drain()
                for pipeline in pipelines:
                    with contextlib.suppress(RedisError):
                        await pipeline.reclaimer.leave_group()
        except TimeoutError:
            for pipeline in pipelines:
                pipeline.committer.abandon.set()
            log.error("shutdown grace period over; uncommitted entries stay pending and will be reclaimed")
            for task in tasks:
                task.cancel()


async def run_until_signalled(settings: Settings, engine: Engine) -> int:
    """Run a worker until SIGTERM or SIGINT; the exit status to return."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    return await Worker(settings, engine).run(stop)
