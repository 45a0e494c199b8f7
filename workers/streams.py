"""Typed wrappers of the few synchronous stream reads the commands make (redis-py's own types are loose unions)."""

from __future__ import annotations

from typing import Any, cast

import redis

Entry = tuple[bytes, dict[bytes, bytes]]


def as_text(value: Any) -> str:
    """A reply value as text: redis-py returns bytes or str depending on the client's decode_responses."""
    return value.decode() if isinstance(value, bytes) else str(value)


def entries(client: redis.Redis, stream: str) -> list[Entry]:
    """Every entry of `stream`, oldest first."""
    return cast("list[Entry]", client.xrange(stream))


def read_new(client: redis.Redis, cursors: dict[str, str], count: int, block_ms: int) -> list[tuple[str, list[Entry]]]:
    """XREAD after each stream's cursor; (stream name, entries) pairs, empty after `block_ms` with nothing new."""
    reply = cast("list[tuple[bytes, list[Entry]]] | None", client.xread(cast("Any", cursors), count=count, block=block_ms))
    return [(stream.decode(), found) for stream, found in reply or []]


def last_id(client: redis.Redis, stream: str) -> str:
    newest = cast("list[Entry]", client.xrevrange(stream, count=1))
    return newest[0][0].decode() if newest else "0-0"


def add(client: redis.Redis, stream: str, fields: dict[str, bytes]) -> str:
    stream_id = cast("bytes", client.xadd(stream, cast("Any", fields)))
    return stream_id.decode()
