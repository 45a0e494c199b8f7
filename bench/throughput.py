"""(a), (b), (f), (g), (j), (k), (l): drain a pre-filled stream with N processes of one kind and measure the warm rate.

Each run starts from an empty database: fill the input stream, create the group, start the
process(es), count results until every event has one, stop them. The rate is taken between
10% and 90% of the results, so process start-up (imports, reference load) and the tail are
excluded. Worker CPU per claim and Redis CPU per claim come from the same window and run.
For the worker, what it published (outcomes, findings per claim, history conflicts) comes from its
/metrics, scraped before it is stopped.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import redis

from bench.machine import busy_cpu_seconds, own_cpu_seconds
from bench.outcomes import published
from bench.processes import Process, naive_command, worker_command
from bench.redis_stats import RedisUsage
from bench.streams import DEAD_LETTERS, GROUP, INPUT, RESULTS, create_group, fill, warm_rate, warm_window, watch
from workers.streams import as_text

KINDS: dict[str, tuple[str, str]] = {
    # kind: (consumer group, result stream)
    "worker": (GROUP, RESULTS),
    "naive": ("naive", "naive.edited"),
    "naive_no_edit": ("naive", "naive.edited"),  # the naive handler that decodes and edits nothing
}


def _command(kind: str, url: str, consumer: str, reference: Path, batch_size: int, extra: tuple[str, ...] = ()) -> list[str]:
    if kind == "worker":
        return worker_command(url, consumer, reference, batch_size, extra)
    if kind in ("naive", "naive_no_edit"):
        return naive_command(url, consumer, reference, no_edit=kind == "naive_no_edit")
    raise ValueError(f"unknown process kind {kind!r} (known: {', '.join(KINDS)})")


def _wait_until_reading(client: redis.Redis, group: str, consumers: list[str], alive: Callable[[], bool]) -> None:
    """Wait until every process has joined the group (its first read) before stopping them all.

    In a short run the first worker can drain everything while the second is still starting; a SIGTERM
    before a worker installs its signal handler ends it with the default action (status -15), which
    says nothing about the run. A consumer shows in XINFO CONSUMERS from its first XREADGROUP.
    """
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and alive():
        joined = {as_text(c["name"]) for c in client.xinfo_consumers(INPUT, group)}
        if joined >= set(consumers):
            return
        time.sleep(0.05)


def drain(
    client: redis.Redis,
    url: str,
    payloads: list[bytes],
    *,
    kind: str,
    reference: Path,
    log_dir: Path,
    processes: int = 1,
    batch_size: int = 500,
    worker_flags: tuple[str, ...] = (),
) -> dict[str, Any]:
    """`worker_flags` are added to each worker's command line (e.g. `--history ...`)."""
    group, result_stream = KINDS[kind]
    target = len(payloads)
    client.flushdb()
    fill(client, payloads)
    create_group(client, INPUT, group)
    client.config_resetstat()
    before = RedisUsage(client)
    procs = [
        Process(f"{kind}-{i + 1}", _command(kind, url, f"bench-{kind}-{i + 1}", reference, batch_size, worker_flags), log_dir)
        for i in range(processes)
    ]
    cpu_samples: list[tuple[float, int, float]] = []
    machine_samples: list[tuple[float, float, float]] = []  # machine busy, this driver, Redis: CPU seconds

    def count() -> int:
        seen = int(client.xlen(result_stream)) + int(client.xlen(DEAD_LETTERS))
        cpu_samples.append((time.perf_counter(), seen, sum(p.cpu_seconds() for p in procs if p.alive())))
        machine_samples.append((busy_cpu_seconds(), own_cpu_seconds(), RedisUsage.cpu_seconds(client)))
        return seen

    alive: Callable[[], bool] = lambda: all(p.alive() for p in procs)  # noqa: E731
    try:
        started = time.perf_counter()
        watch(count, target, alive=alive)
        elapsed = time.perf_counter() - started
        after = RedisUsage(client)
        memory = [p.memory_mb() for p in procs]
        held = published([port for p in procs for port in p.listening_ports()], target) if kind == "worker" else None
        _wait_until_reading(client, group, [f"bench-{kind}-{i + 1}" for i in range(processes)], alive)
    except Exception as error:
        tails = "\n".join(f"--- {p.name} ---\n{p.tail()}" for p in procs)
        raise RuntimeError(f"{kind} x{processes}: {error}\n{tails}") from error
    finally:
        codes = [p.stop() for p in procs]
    counts = [(t, seen) for t, seen, _ in cpu_samples]
    rate = warm_rate(counts, target)
    first, last = warm_window(counts, target)
    window_claims = cpu_samples[last][1] - cpu_samples[first][1]
    window_cpu_s = cpu_samples[last][2] - cpu_samples[first][2]
    window_s = cpu_samples[last][0] - cpu_samples[first][0]
    machine_busy = machine_samples[last][0] - machine_samples[first][0]
    driver = machine_samples[last][1] - machine_samples[first][1]
    redis_cpu = machine_samples[last][2] - machine_samples[first][2]
    results = int(client.xlen(result_stream))
    dead = int(client.xlen(DEAD_LETTERS))
    pending = int(client.xpending(INPUT, group)["pending"])
    return {
        "kind": kind,
        "processes": processes,
        "claims": target,
        "claims_per_s": rate,
        "claims_per_s_per_process": rate / processes,
        "wall_s_including_startup": elapsed,
        "process_cpu_us_per_claim": window_cpu_s * 1e6 / window_claims,
        "redis": after.per_claim(before, target),
        # Cores busy in the warm window: ours (processes under test, Redis, this driver) and everything else on
        # the machine. `other_cores` well above zero means another job shared the CPU and the figures are low.
        "cores_busy": {
            "processes_under_test": window_cpu_s / window_s,
            "redis": redis_cpu / window_s,
            "bench_driver": driver / window_s,
            "other": max(0.0, (machine_busy - window_cpu_s - redis_cpu - driver) / window_s),
        },
        "memory_mb": memory,
        "results": results,
        "published": held,
        "dead_letters": dead,
        "pending_after": pending,
        "exit_codes": codes,
        "batch_size": batch_size if kind == "worker" else 1,
        "worker_flags": list(worker_flags),
    }
