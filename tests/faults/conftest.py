"""Fixtures for the fault-injection tests: worker processes that are always reaped, and redis-servers the test owns."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.faults.helpers import RedisServer
from tests.processes import WorkerProcess, reaped


@pytest.fixture
def workers() -> Iterator[list[WorkerProcess]]:
    """Append every WorkerProcess started; whatever is still running at the end is killed."""
    with reaped() as started:
        yield started


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[Callable[..., RedisServer]]:
    """Start a redis-server with the given config arguments on a free port, in its own data directory."""
    servers: list[RedisServer] = []

    def start(*config: str) -> RedisServer:
        server = RedisServer(tmp_path / f"redis-{len(servers)}", *config).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()
