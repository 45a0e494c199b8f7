"""The baseline: a FastStream worker written the way its documentation teaches.

    python -m bench.naive_faststream --redis-url URL [--reference SNAPSHOT] [--no-edit]

One message per handler call (a consumer group subscriber, no batching), a typed
handler whose body is our msgspec `ClaimSubmitted` (a custom decoder, as
FastStream's "custom serialization" docs show, running the same `decode_event`
as the worker), the same `Engine.edit` call, `publisher.publish` of the encoded
result, and FastStream's default ack policy (ack after the handler returns).
It runs until SIGTERM or SIGINT. Nothing here is tuned: that is the point.

`--no-edit` is the other baseline issue 13 names: a per-message subscriber that does no edit work at
all. FastStream's default decoder turns the entry's fields into a dict (the event stays a JSON string,
never decoded into a claim), the handler publishes a constant trivial result, FastStream acks. It is
what the stack costs per message before any claim is looked at, whatever the claims hold.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
from pathlib import Path
from typing import Any

from faststream.redis import RedisBroker, StreamSub

from contracts import ClaimSubmitted, decode_event, encode
from edits import Engine, load_default_reference, load_snapshot

STREAM = "claims.submitted"
GROUP = "naive"
RESULTS = "naive.edited"
TRIVIAL_RESULT: dict[str, Any] = {"outcome": "pass", "findings": []}  # what the no-edit handler publishes for every message


def build(redis_url: str, engine: Engine | None, *, stream: str = STREAM, group: str = GROUP, consumer: str = "naive-1",
          result_stream: str = RESULTS) -> RedisBroker:
    # FastStream's default logger writes two lines per message; silenced, so the baseline is not slowed by logging.
    quiet = logging.getLogger("bench.naive")
    quiet.setLevel(logging.WARNING)
    broker = RedisBroker(redis_url, logger=quiet)
    publisher = broker.publisher(stream=result_stream)
    if engine is None:

        @broker.subscriber(stream=StreamSub(stream, group=group, consumer=consumer))
        async def receive(body: dict[str, Any]) -> None:
            await publisher.publish(TRIVIAL_RESULT)

        return broker

    async def decoder(message: Any, original: Any) -> ClaimSubmitted:
        # The claims platform writes the event in field `event`; decode it exactly as the worker does.
        return decode_event(message.raw_message["data"][b"event"])

    @broker.subscriber(stream=StreamSub(stream, group=group, consumer=consumer), decoder=decoder)
    async def handle(event: ClaimSubmitted) -> None:
        await publisher.publish(encode(engine.edit(event)))

    return broker


async def serve(redis_url: str, engine: Engine | None, consumer: str) -> None:
    broker = build(redis_url, engine, consumer=consumer)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await broker.start()
    await stop.wait()
    await broker.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.naive_faststream", description=__doc__.splitlines()[0])
    parser.add_argument("--redis-url", required=True)
    parser.add_argument("--reference", type=Path, help="reference snapshot (default: the bundled one)")
    parser.add_argument("--consumer", default="naive-1")
    parser.add_argument("--no-edit", action="store_true", help="decode nothing, edit nothing: publish a trivial result per message")
    args = parser.parse_args(argv)
    engine = None if args.no_edit else Engine(load_snapshot(args.reference) if args.reference else load_default_reference())
    asyncio.run(serve(args.redis_url, engine, args.consumer))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
