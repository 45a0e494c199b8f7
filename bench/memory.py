"""(e) Snapshot load time and the memory a reference set takes, each measured in a fresh process.

    python -m bench.memory SNAPSHOT     # prints one JSON object

A fresh interpreter per snapshot, so nothing loaded earlier in the benchmark is counted.
The first load reads the file from the page cache (the benchmark has just written it);
`load_s_best` is the best of a few loads. The worker's own RSS, with the full-size
reference and under load, is measured in the throughput run (`memory_mb` there).
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

LOADS = 5


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


def probe(path: Path) -> dict[str, Any]:
    from edits import Engine, load_snapshot

    rss_start = _rss_mb()
    started = time.perf_counter()
    refset = load_snapshot(path)
    first = time.perf_counter() - started
    rss_loaded = _rss_mb()
    engine = Engine(refset)
    rss_engine = _rss_mb()
    best = first
    for _ in range(LOADS - 1):
        started = time.perf_counter()
        load_snapshot(path)
        best = min(best, time.perf_counter() - started)
    return {
        "snapshot_bytes": path.stat().st_size,
        "load_s_first": first,
        "load_s_best": best,
        "rss_mb_after_imports": rss_start,
        "rss_mb_after_load": rss_loaded,
        "reference_mb": rss_loaded - rss_start,
        "rss_mb_with_engine": rss_engine,
        "edits": list(engine.edit_names),
    }


def measure(path: Path) -> dict[str, Any]:
    """Run `probe` in a fresh interpreter and return what it printed."""
    root = str(Path(__file__).resolve().parents[1])
    done = subprocess.run([sys.executable, "-m", "bench.memory", str(path)], capture_output=True, text=True, cwd=root, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"memory probe of {path} failed: {done.stderr.strip()[-500:]}")
    result: dict[str, Any] = json.loads(done.stdout)
    return result


if __name__ == "__main__":
    import edits  # noqa: F401 - imported before the first RSS reading, so the imports are not counted as reference

    print(json.dumps(probe(Path(sys.argv[1]))))
