"""The faster XREADGROUP reply parser gives exactly what redis-py's own gives, on a real Redis, in RESP2 and RESP3."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import redis
import redis.asyncio as aioredis

from workers import connection

STREAM, GROUP = "claims.submitted", "claim-edit"


async def _reads(url: str, protocol: int | None, fast: bool) -> list[Any]:
    """New entries (`>`), then this consumer's pending ones (`0`, where a deleted entry has no fields), then nothing."""
    client = aioredis.Redis.from_url(url, **({} if protocol is None else {"protocol": protocol}))
    if fast:
        connection.fast_stream_reads(client)
    try:
        first = await client.xreadgroup(GROUP, "c1", {STREAM: ">"}, count=10)
        pending = await client.xreadgroup(GROUP, "c1", {STREAM: "0"}, count=10)
        empty = await client.xreadgroup(GROUP, "c1", {STREAM: ">"}, count=10, block=1)
        return [first, pending, empty]
    finally:
        await client.aclose()


def _fill(client: redis.Redis) -> None:
    """Four entries with fixed ids (three with one field, one with several); the second is deleted after delivery to c0."""
    client.delete(STREAM)
    for n in range(3):
        client.xadd(STREAM, {"event": b'{"n":%d}' % n}, id=f"1-{n}")
    client.xadd(STREAM, {"a": "1", "b": "2", "c": "3"}, id="1-3")
    client.xgroup_create(STREAM, GROUP, id="0")


@pytest.mark.parametrize("protocol", [None, 2, 3])
def test_fast_parser_gives_what_redis_py_gives(redis_url: str, redis_client: redis.Redis, protocol: int | None) -> None:
    replies = {}
    for fast in (False, True):
        _fill(redis_client)
        replies[fast] = asyncio.run(_reads(redis_url, protocol, fast))
    assert replies[True] == replies[False]
    first, pending, empty = replies[True]
    if protocol == 3:  # redis-py gives RESP3's dict shape; the parser is not installed there
        assert isinstance(first, dict)
        return
    assert [(entry_id, fields) for entry_id, fields in first[0][1]] == [
        (b"1-0", {b"event": b'{"n":0}'}), (b"1-1", {b"event": b'{"n":1}'}), (b"1-2", {b"event": b'{"n":2}'}),
        (b"1-3", {b"a": b"1", b"b": b"2", b"c": b"3"}),
    ]
    assert first[0][0] == STREAM.encode()
    assert len(pending[0][1]) == 4
    assert empty == []


@pytest.mark.parametrize("protocol", [None, 2, 3])
def test_a_deleted_pending_entry_reads_as_redis_py_reads_it(redis_url: str, redis_client: redis.Redis, protocol: int | None) -> None:
    replies = {}
    for fast in (False, True):
        _fill(redis_client)
        redis_client.xreadgroup(GROUP, "c1", {STREAM: ">"}, count=10)
        redis_client.xdel(STREAM, "1-1")
        replies[fast] = asyncio.run(_reads(redis_url, protocol, fast))
    assert replies[True] == replies[False]
    pending = replies[True][1]
    entries = pending[STREAM.encode()][0] if protocol == 3 else pending[0][1]
    assert (b"1-1", {}) in entries  # delivered, then deleted: no fields


def test_fast_parser_is_installed_once_on_a_default_client() -> None:
    """A default client (as FastStream builds it) gets it; RESP3's dict-shaped one does not."""
    resp3 = aioredis.Redis(protocol=3)
    connection.fast_stream_reads(resp3)
    assert resp3.response_callbacks[connection.XREADGROUP].__name__ == "parse_xread_resp3"
    client = aioredis.Redis()
    connection.fast_stream_reads(client)
    installed = client.response_callbacks[connection.XREADGROUP]
    connection.fast_stream_reads(client)
    assert client.response_callbacks[connection.XREADGROUP] is installed
    assert installed.__name__ == "parse"
