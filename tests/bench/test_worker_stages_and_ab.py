"""Smoke runs of `python -m bench.worker_stages` and `python -m bench.ab_drain`: every stage or run is reported. Nothing is timed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench import ab_drain, throughput, worker_stages
from bench.processes import Process

ROOT = Path(__file__).resolve().parents[2]


def test_worker_stages_reports_every_stage() -> None:
    best = worker_stages.stages(claims=1_000, rounds=1, ptp_rows=2_000)
    assert list(best) == ["decode", "edit", "encode", "prepare", "record"]
    assert all(us > 0 for us in best.values())
    # a prepared batch decodes, edits and encodes every claim, so it costs at least its decode
    assert best["prepare"] > best["decode"]


def test_ab_drain_runs_each_checkout_with_and_without_history(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "ab.json"
    ab_drain.main(["--tree", f"a={ROOT}", "--tree", f"b={ROOT}", "--rounds", "1", "--claims", "300", "--ptp-rows", "2000",
                   "--mix", "heavy", "--out", str(out)])
    runs = json.loads(out.read_text())
    assert sorted(runs) == ["a/history", "a/no-history", "b/history", "b/no-history"]
    for label, done in runs.items():
        assert len(done) == 1
        run = done[0]
        assert run["results"] == 300, label
        assert run["pending_after"] == 0, label
        assert ("--history" in run["worker_flags"]) == label.endswith("/history")
        assert run["published"]["findings_per_claim"] > 1  # the heavy mix (the bench mix has about 0.3-0.5)
    assert "medians" in capsys.readouterr().out
    assert throughput.Process is Process  # put back for whatever drains next in this process  # type: ignore[attr-defined]
