"""The worker: a FastStream batch subscriber on the input stream, the commit pipeline, the reclaim loop,
lag sampling and the HTTP port, started and stopped in the right order.

Hot path: FastStream reads `batch_size` entries per XREADGROUP in the consumer group; a pass-through
parser hands the raw entries to `_on_batch` (FastStream's default batch parser decodes every body three
times); the batch is edited and its commit script started, and the handler returns so the next read
and edit overlap the commit. FastStream's own acking is off (`AckPolicy.MANUAL`): the commit acks.

Shutdown (SIGTERM/SIGINT, or `stop` set): stop reading, finish the batch in hand, commit it and any
entries this consumer still holds, then exit, all within `shutdown_grace_s`. Whatever cannot be
committed in time stays pending and another worker reclaims it: nothing is lost.
"""

from __future__ import annotations

import asyncio
import contextlib
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
from redis.exceptions import RedisError, ResponseError

from edits import Engine
from workers import connection
from workers.batch import BatchPreparer
from workers.commit import RETRYABLE, Committer, backoff_delays
from workers.health import Health, HttpServer
from workers.metrics import WorkerMetrics
from workers.reclaim import Reclaimer
from workers.settings import Settings

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

    # -- wiring -------------------------------------------------------------------------------------------

    def _build(self, client: aioredis.Redis) -> tuple[RedisBroker, Any, Committer, Reclaimer]:
        s = self.settings
        preparer = BatchPreparer(self.engine, stream=s.stream, consumer=s.consumer, max_event_bytes=s.max_event_bytes)
        committer = Committer(client, stream=s.stream, group=s.group, result_stream=s.result_stream,
                              deadletter_stream=s.deadletter_stream, maxlen=s.result_maxlen, metrics=self.metrics, health=self.health)
        reclaimer = Reclaimer(client, stream=s.stream, group=s.group, consumer=s.consumer, claim_idle_ms=s.claim_idle_ms,
                              max_deliveries=s.max_deliveries, batch_size=s.batch_size, preparer=preparer, committer=committer,
                              metrics=self.metrics)
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
        subscriber = broker.subscriber(
            stream=StreamSub(s.stream, group=s.group, consumer=s.consumer, batch=True, max_records=s.batch_size,
                             polling_interval=s.block_ms, last_id=">"),
            parser=_pass_through_parser,
            decoder=_raw_decoder,
            ack_policy=AckPolicy.MANUAL,
            no_reply=True,
        )

        async def on_batch(raw: Mapping[str, Any]) -> None:
            await committer.submit(preparer.prepare(raw["message_ids"], raw["data"]))

        subscriber(on_batch)
        return broker, subscriber, committer, reclaimer

    # -- start-up -----------------------------------------------------------------------------------------

    async def _ensure_group(self, client: aioredis.Redis, stop: asyncio.Event) -> bool:
        """Create the group at the start of the stream if it is missing; wait for Redis while it is unreachable."""
        next_delay = backoff_delays(first=0.2)
        while not stop.is_set():
            try:
                await client.xgroup_create(self.settings.stream, self.settings.group, id="0", mkstream=True)
                log.info("consumer group created at the start of the stream", stream=self.settings.stream, group=self.settings.group)
            except ResponseError as error:
                if "BUSYGROUP" not in str(error):
                    raise
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

    async def _sample_stats(self, client: aioredis.Redis, subscriber: Any, stop: asyncio.Event) -> None:
        """Lag and pending entries for the dashboards, and readiness; exit if the group vanished under us."""
        s = self.settings
        while not stop.is_set():
            try:
                groups = await client.xinfo_groups(s.stream)
            except ResponseError:
                groups = []  # the stream itself is gone
            except RedisError as error:
                self.metrics.redis_errors.labels("stats").inc()
                self.health.redis_ok = False
                log.warning("redis unreachable while sampling lag", error=str(error)[:200])
                groups = None
            if groups is not None:
                self.health.redis_ok = True
                mine = next((g for g in groups if _text(g.get("name")) == s.group), None)
                self.health.group_ok = mine is not None
                if mine is not None:
                    if mine.get("lag") is not None:
                        self.metrics.lag.set(int(mine["lag"]))
                    self.metrics.pending.set(int(mine.get("pending") or 0))
            if not subscriber.running and not stop.is_set():
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
        broker, subscriber, committer, reclaimer = self._build(client)
        tasks: list[asyncio.Task[None]] = []
        # The reference data and the modules live as long as the process: freezing them out of the collector's
        # generations keeps full collections from walking them on the hot path (~10% more claims per CPU-second).
        gc.collect()
        gc.freeze()
        log.info("worker starting", stream=s.stream, group=s.group, consumer=s.consumer, batch_size=s.batch_size,
                 http_port=http.port, reference_version=self.engine.reference_version, edits=list(self.engine.edit_names))
        try:
            if await self._ensure_group(client, stop):
                with contextlib.suppress(RedisError):
                    await reclaimer.finish_own_pending()  # a previous process with this consumer name may have left some
                if await self._start_broker(broker, stop):
                    tasks = [
                        asyncio.create_task(reclaimer.run(stop), name="reclaim"),
                        asyncio.create_task(self._sample_stats(client, subscriber, stop), name="stats"),
                    ]
                    self.started.set()
                    log.info("worker reading", stream=s.stream)
                    await stop.wait()
            await self._shutdown(broker, subscriber, committer, reclaimer, tasks)
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

    async def _shutdown(
        self, broker: RedisBroker, subscriber: Any, committer: Committer, reclaimer: Reclaimer, tasks: list[asyncio.Task[None]],
    ) -> None:
        self.health.stopping = True
        log.info("stopping: finishing the batch in hand", grace_s=self.settings.shutdown_grace_s)
        try:
            async with asyncio.timeout(self.settings.shutdown_grace_s):
                await self._stop_reading(subscriber)
                await broker.stop()
                await asyncio.gather(*tasks, return_exceptions=True)
                await committer.drain()
                with contextlib.suppress(RedisError):
                    await reclaimer.finish_own_pending()  # entries read but cut off by the stop, if any
                await committer.drain()
                with contextlib.suppress(RedisError):
                    await reclaimer.leave_group()
        except TimeoutError:
            committer.abandon.set()
            log.error("shutdown grace period over; uncommitted entries stay pending and will be reclaimed")
            for task in tasks:
                task.cancel()


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


async def run_until_signalled(settings: Settings, engine: Engine) -> int:
    """Run a worker until SIGTERM or SIGINT; the exit status to return."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    return await Worker(settings, engine).run(stop)
