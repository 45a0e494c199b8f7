"""Liveness and readiness, and the one HTTP port that serves them with the metrics.

`/healthz`: the process is alive (200). `/readyz`: 200 only when Redis answered the last call,
the consumer group exists and the reference data is loaded; 503 otherwise, with the failing checks.
`/metrics`: Prometheus text format from the worker's own registry.

Served by the standard library's threaded WSGI server in a daemon thread (prometheus-client's own
approach, no extra dependency), so a scrape never waits on the event loop.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from prometheus_client import CollectorRegistry, make_wsgi_app
from prometheus_client.exposition import ThreadingWSGIServer

StartResponse = Callable[..., Any]


@dataclass
class Health:
    redis_ok: bool = False
    group_ok: bool = False
    reference_ok: bool = False
    stopping: bool = False

    def checks(self) -> dict[str, bool]:
        return {"redis": self.redis_ok, "group": self.group_ok, "reference": self.reference_ok, "not_stopping": not self.stopping}

    @property
    def ready(self) -> bool:
        return all(self.checks().values())


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        """Scrapes every few seconds would flood the log."""


def _json(start_response: StartResponse, status: str, body: dict[str, Any]) -> Iterable[bytes]:
    data = json.dumps(body).encode()
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(data)))])
    return [data]


def make_app(registry: CollectorRegistry, health: Health) -> Callable[[dict[str, Any], StartResponse], Iterable[bytes]]:
    metrics_app = make_wsgi_app(registry)

    def app(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "/")
        if path == "/healthz":
            return _json(start_response, "200 OK", {"status": "alive"})
        if path == "/readyz":
            checks = health.checks()
            ready = all(checks.values())
            return _json(start_response, "200 OK" if ready else "503 Service Unavailable", {"ready": ready, "checks": checks})
        if path == "/metrics":
            result: Iterable[bytes] = metrics_app(environ, start_response)
            return result
        return _json(start_response, "404 Not Found", {"error": f"no route {path}; try /metrics, /healthz, /readyz"})

    return app


class HttpServer:
    """`port` is the bound port (useful when 0 asked for a free one)."""

    def __init__(self, host: str, port: int, registry: CollectorRegistry, health: Health) -> None:
        self._server: WSGIServer = make_server(host, port, make_app(registry, health), ThreadingWSGIServer, handler_class=_QuietHandler)
        self.port: int = self._server.server_port
        self._thread = threading.Thread(target=self._server.serve_forever, name="claimedit-http", daemon=True)

    def start(self) -> HttpServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
