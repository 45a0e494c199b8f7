"""A smoke run of `python -m bench`: a few hundred claims, every section present, figures sane. Nothing is timed."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from workers.embedded_redis import EmbeddedRedis

ROOT = Path(__file__).resolve().parents[2]
SECTIONS = {"machine", "engine", "memory", "ptp_build", "throughput", "latency", "ratios", "targets", "capacity", "history", "mixes",
            "issue_13_targets", "section_seconds"}
TARGET_NAMES = 11
ISSUE_13_TARGETS = 11
WORKER_RUNS = ("worker", "worker_history", "two_workers", "two_workers_history", "heavy", "heavy_history")


# The bench loads both cores itself: beside the rest of the suite (make test runs it in parallel) it can take twice its
# ~45 s alone, so its own limit and pytest's (the module fixture is set up in the first test) are wider than the suite's.
BENCH_TIMEOUT_S = 200
pytestmark = pytest.mark.timeout(BENCH_TIMEOUT_S + 30)


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    out = tmp_path_factory.mktemp("bench") / "smoke.json"
    # Its own Redis, and its own process group killed whole on a timeout: a worker the bench started must never go on
    # reading the streams of the tests after it.
    with EmbeddedRedis() as server:
        bench = subprocess.Popen(
            [sys.executable, "-m", "bench", "--quick", "--claims", "300", "--heavy-claims", "200", "--naive-claims", "100",
             "--latency-seconds", "0.5", "--redis-url", server.url, "--out", str(out)],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
        )  # fmt: skip
        try:
            stdout, stderr = bench.communicate(timeout=BENCH_TIMEOUT_S)
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(bench.pid, signal.SIGKILL)
            bench.wait()
    assert bench.returncode == 0, f"bench failed:\n{stderr[-3000:]}"
    assert "targets" in stdout, stdout[-2000:]
    assert "claims/s" in stdout, stdout[-2000:]
    assert "issue 13 targets" in stdout, stdout[-2000:]
    data: dict[str, Any] = json.loads(out.read_text())
    return data


@pytest.mark.redis
@pytest.mark.slow
def test_every_section_is_there(report: dict[str, Any]) -> None:
    assert set(report) >= SECTIONS
    assert report["machine"]["cores"] >= 1
    assert report["machine"]["redis"].split()[0] in {"redis", "valkey"}
    assert list(report["section_seconds"]) == ["d", "e", "i", "claims", "j", "b", "a", "g", "f", "l", "k", "c", "h"]
    assert all(seconds >= 0 for seconds in report["section_seconds"].values())


@pytest.mark.redis
@pytest.mark.slow
def test_every_claim_got_exactly_one_result_in_each_run(report: dict[str, Any]) -> None:
    for name, run in report["throughput"].items():
        if not isinstance(run, dict):
            continue
        assert run["results"] + run["dead_letters"] == run["claims"], name
        assert run["dead_letters"] == 0, name
        assert run["pending_after"] == 0, name
        assert run["exit_codes"] == [0] * run["processes"], name
    t = report["throughput"]
    assert t["two_workers"]["processes"] == t["two_workers_history"]["processes"] == 2
    for name in ("worker_history", "two_workers_history", "heavy_history"):
        assert "--history" in t[name]["worker_flags"], name
    for name in ("worker", "two_workers", "heavy"):
        assert "--history" not in t[name]["worker_flags"], name
    assert t["heavy"]["claims"] == t["heavy_history"]["claims"] == report["mixes"]["heavy"]["claims"] == 200
    assert t["naive_no_edit"]["claims"] == t["naive"]["claims"] == 100


@pytest.mark.redis
@pytest.mark.slow
def test_what_the_workers_published_is_counted_from_their_metrics(report: dict[str, Any]) -> None:
    t = report["throughput"]
    for name in WORKER_RUNS:
        held = t[name]["published"]
        assert held["claims"] == t[name]["results"], name  # every result counted once, by whichever worker published it
        assert sum(held["outcome_shares"].values()) == pytest.approx(1.0), name
        assert held["denied_share"] == held["outcome_shares"].get("deny", 0.0), name
        assert held["findings_per_claim"] == pytest.approx(sum(held["findings_per_claim_by_edit"].values())), name
    for name in ("naive", "naive_no_edit"):
        assert t[name]["published"] is None, name
    # one worker with history: no other worker to conflict with
    assert t["worker_history"]["published"]["history_conflicts"] == t["heavy_history"]["published"]["history_conflicts"] == 0
    # the heavy mix is heavy: more findings and more denials than the bench mix, with history on and off
    for heavy, bench in (("heavy", "worker"), ("heavy_history", "worker_history")):
        assert t[heavy]["published"]["findings_per_claim"] > 2 * t[bench]["published"]["findings_per_claim"]
        assert t[heavy]["published"]["denied_share"] > 0.5 > t[bench]["published"]["denied_share"]


@pytest.mark.redis
@pytest.mark.slow
def test_history_run_kept_history_and_measured_its_size(report: dict[str, Any]) -> None:
    size = report["history"]["size"]
    assert 0 < size["patients"] < report["throughput"]["worker_history"]["claims"]  # some patients have several claims
    assert size["lines"] > size["claims"] > 0
    assert size["bytes_per_line"] > size["value_bytes_per_line"] > 0
    assert report["ratios"]["history_over_no_history"] > 0
    runs = report["history"]["latency"]["runs"]
    assert [run["fraction_of_max"] for run in runs] == [0.25, 0.5]
    for run in runs:
        assert run["results"] == run["sent"] > 0


@pytest.mark.redis
@pytest.mark.slow
def test_figures_are_positive_and_consistent(report: dict[str, Any]) -> None:
    t = report["throughput"]
    for name in ("naive", "naive_no_edit", *WORKER_RUNS):
        assert t[name]["claims_per_s"] > 0, name
        # CPU is read from /proc in 10 ms clock ticks: a few hundred claims can fit inside one tick, so only >= 0.
        assert t[name]["process_cpu_us_per_claim"] >= 0, name
        assert t[name]["redis"]["cpu_us_per_claim"] >= 0, name
        assert all(mem["peak_rss_mb"] > 10 for mem in t[name]["memory_mb"]), name
        assert t[name]["cores_busy"]["processes_under_test"] >= 0, name
        assert t[name]["cores_busy"]["other"] >= 0, name
    r = report["ratios"]
    assert r["worker_over_naive"] == pytest.approx(t["worker"]["claims_per_s"] / t["naive"]["claims_per_s"])
    assert r["worker_over_naive_no_edit"] == pytest.approx(t["worker"]["claims_per_s"] / t["naive_no_edit"]["claims_per_s"])
    assert set(r["over_naive"]) == set(r["over_naive_no_edit"]) == set(WORKER_RUNS)
    assert r["over_naive_no_edit"]["heavy_history"] == pytest.approx(
        t["heavy_history"]["claims_per_s"] / t["naive_no_edit"]["claims_per_s"])
    two, one = t["two_workers_history"], t["worker_history"]
    assert r["two_workers_over_one_history"] == pytest.approx(two["claims_per_s"] / one["claims_per_s"])
    for ref in report["engine"]["references"].values():
        assert [int(n) for n in ref["by_lines"]] == [1, 5, 20, 50]
        assert all(point["claims_per_s"] > 0 for point in ref["by_lines"].values())
    assert report["engine"]["references"]["full"]["tables"]["mue_codes"] >= 14_000
    assert report["engine"]["references"]["full"]["tables"]["aoc_pairings"] >= 2_500
    for snapshot in ("bundled_snapshot", "full_snapshot"):
        assert report["memory"][snapshot]["load_s_first"] > 0
        assert report["memory"][snapshot]["snapshot_bytes"] > 0


@pytest.mark.redis
@pytest.mark.slow
def test_latency_runs_cover_every_rate(report: dict[str, Any]) -> None:
    runs = report["latency"]["runs"]
    assert [run["fraction_of_max"] for run in runs] == [0.25, 0.5, 0.75]
    for run in runs:
        assert run["results"] == run["sent"] > 0
        for part in ("latency_ms", "event_to_edit_ms", "edit_to_result_ms"):
            p = run[part]
            assert p["p50"] <= p["p95"] <= p["p99"] <= p["max"], part
        assert run["latency_ms"]["p50"] >= 0
        assert run["event_to_edit_ms"]["p50"] > 0  # the edit happens after the event's due time


@pytest.mark.redis
@pytest.mark.slow
def test_targets_and_capacity_are_derived_from_the_figures(report: dict[str, Any]) -> None:
    assert len(report["targets"]) == TARGET_NAMES
    assert len(report["issue_13_targets"]) == ISSUE_13_TARGETS
    for target in report["targets"] + report["issue_13_targets"]:
        # CPU per claim can round to zero in a run this small (10 ms clock ticks), as above; the rest cannot
        assert target["value"] >= 0 if "CPU per claim" in target["target"] else target["value"] > 0, target["target"]
        assert target["met"] == (target["value"] <= target["limit"] if target["direction"] == "<=" else target["value"] >= target["limit"])
    by_name = {target["target"]: target for target in report["issue_13_targets"]}
    heavy = report["throughput"]["heavy_history"]
    assert by_name["worker CPU per claim, history on, heavy mix"]["value"] == heavy["process_cpu_us_per_claim"]
    assert by_name["one worker, history on, bench mix, over the no-edit naive handler (j)"]["value"] == (
        report["ratios"]["over_naive_no_edit"]["worker_history"])
    plans = report["capacity"]["plans"]
    assert plans["month_end"]["worker_processes"] >= plans["sustained"]["worker_processes"] >= 1
    assert plans["month_end"]["redis_shards"] >= 1
