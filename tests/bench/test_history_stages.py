"""bench.history_stages: both modes drained, each stage timed, the read only with history on."""

from __future__ import annotations

import gc
import json
from typing import Any

import pytest

from bench import history_stages

pytestmark = pytest.mark.redis


def test_each_mode_answers_every_claim_and_times_its_stages(redis_url: str, capsys: pytest.CaptureFixture[str],
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    frozen: list[int] = []
    drain = history_stages._drain

    async def watched(*args: Any) -> dict[str, Any]:
        frozen.append(gc.get_freeze_count())
        return await drain(*args)

    monkeypatch.setattr(history_stages, "_drain", watched)
    history_stages.main(["--claims", "600", "--rounds", "1", "--redis-url", redis_url])
    assert len(frozen) == 2
    assert all(count > 0 for count in frozen)  # the heap was frozen, as in a worker, while each mode drained
    assert gc.get_freeze_count() == 0  # and thawed after
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]  # not the log lines
    assert [row["history"] for row in rows] == [False, True]
    off, on = rows
    for row in rows:
        assert row["claims"] == 600
        assert row["edit_cpu_us"] > 0
        assert row["commit_cpu_us"] > 0
        assert row["commit_redis_us"] > 0
        assert row["total_cpu_us"] >= row["edit_cpu_us"] + row["commit_cpu_us"] + row["read_cpu_us"]
        assert 0 <= row["gc_cpu_us"] <= row["total_cpu_us"]
        assert len(row["findings_digest"]) == 12
    assert (off["read_cpu_us"], off["read_redis_us"]) == (0.0, 0.0)
    assert on["read_cpu_us"] > 0
    assert on["read_redis_us"] > 0
