"""`python -m bench` (`make bench`): every benchmark side by side in one run, a table, and a JSON file.

    python -m bench [--quick] [--out bench/results/latest.json]

Starts its own throwaway Redis, writes a full-size reference snapshot to a temporary
directory, and runs, in this order: (d) offline engine cost curves (with the PTP table and without it,
as the same run's baseline), (e) snapshot load and memory, (i) `reference build` of four full-size
NCCI PTP files, (j) a naive FastStream handler that does no edit work, (b) the naive FastStream baseline
(our decode and edits), (a) one `claim-edit worker` process, (g) the same worker with claim history on
(same claims, same run), (f) two worker processes, (l) two with history on, (k) one worker on the
finding-heavy mix with history on and off, (c) latency under an open-loop load at fractions of (a)'s
rate, and (h) with history on at 25% and 50% of (g)'s rate. Throughput figures are also given as ratios to
both baselines measured in the same run, so machine noise cancels.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import redis

from bench import machine
from bench.claims import MIX_SEEDS, ClaimMaker
from bench.engine_cost import engine_curves
from bench.history_size import history_size
from bench.latency import latency_at_rates
from bench.memory import measure
from bench.ptp_build import ptp_build
from bench.reference_full import PTP_QUICK_ROWS, PTP_ROWS, full_size
from bench.throughput import drain
from edits import load_default_reference
from edits.reference.snapshot import DEFAULT_SNAPSHOT, save_snapshot
from workers.embedded_redis import given_or_embedded

DEFAULT_OUT = Path(__file__).parent / "results" / "latest.json"
FRACTIONS = (0.25, 0.5, 0.75)
PEAKS = {"sustained": 5_000, "month_end": 50_000}
WORKER_UTILISATION = 0.7  # plan workers to run at 70% of their measured maximum
REDIS_UTILISATION = 0.5  # and a Redis shard's one core at 50%, leaving room for reclaim, replicas, spikes

SIZES = {
    #           worker claims, heavy-mix claims, naive claims, latency seconds per rate
    "full": (200_000, 60_000, 5_000, 10.0),
    "quick": (20_000, 10_000, 1_000, 3.0),
}
HISTORY_FRACTIONS = (0.25, 0.5)
# Issue 13's latency target at 25% of the maximum is "no worse than today": p99 at 25% in the last run before the
# issue's work (2026-11-30T07:08, docs/performance.md, one worker, no history then).
P99_AT_25_BEFORE_ISSUE_13_MS = 15.4
# The runs drained by one or two worker processes, as (key in the JSON's "throughput", label in the table).
WORKER_RUNS = (
    ("worker", "claim-edit worker x1 (a)"),
    ("worker_history", "claim-edit worker x1, history on (g)"),
    ("two_workers", "claim-edit worker x2 (f)"),
    ("two_workers_history", "claim-edit worker x2, history on (l)"),
    ("heavy", "claim-edit worker x1, heavy mix (k)"),
    ("heavy_history", "claim-edit worker x1, heavy mix, history on (k)"),
)
NAIVE_RUNS = (("naive_no_edit", "naive FastStream, no edit work (j)"), ("naive", "naive FastStream, our decode + edits (b)"))


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller runs (about 2 minutes); noisier figures")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="JSON file to write (default: %(default)s)")
    parser.add_argument("--claims", type=int, help="claims drained by the worker runs (a), (f), (g), (l)")
    parser.add_argument("--heavy-claims", type=int, help="claims of the finding-heavy mix drained by (k)")
    parser.add_argument("--naive-claims", type=int, help="claims drained by each naive baseline (b), (j)")
    parser.add_argument("--latency-seconds", type=float, help="seconds of load per rate in (c) and (h)")
    parser.add_argument("--batch-size", type=int, default=500, help="worker --batch-size (default: %(default)s)")
    parser.add_argument("--redis-url", help="use this Redis instead of starting one; its database is FLUSHED")
    args = parser.parse_args(argv)
    claims, heavy_claims, naive_claims, seconds = SIZES["quick" if args.quick else "full"]
    args.claims = args.claims or claims
    args.heavy_claims = args.heavy_claims or min(heavy_claims, args.claims)
    args.naive_claims = args.naive_claims or naive_claims
    args.latency_seconds = args.latency_seconds or seconds
    for name in ("claims", "heavy_claims", "naive_claims"):
        if getattr(args, name) < 50:
            parser.error(f"--{name.replace('_', '-')} must be at least 50")
    return args


class Sections:
    """Says which section runs and keeps how long each took (the JSON's `section_seconds`: where the minutes go)."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self._current: tuple[str, float] | None = None

    def start(self, name: str, text: str) -> None:
        self.end()
        print(f"({name}) {text} ...", file=sys.stderr, flush=True)
        self._current = (name, time.perf_counter())

    def end(self) -> None:
        if self._current is not None:
            name, started = self._current
            self.seconds[name] = round(time.perf_counter() - started, 1)
            self._current = None


def run(args: argparse.Namespace) -> dict[str, Any]:
    report: dict[str, Any] = {"started_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), "quick": args.quick}
    say = Sections()
    with tempfile.TemporaryDirectory(prefix="claimedit-bench-") as scratch, given_or_embedded(args.redis_url) as url:
        tmp = Path(scratch)
        client = redis.Redis.from_url(url)
        report["machine"] = machine.describe(url)

        say.start("d", "offline engine cost curves")
        report["engine"] = engine_curves(quick=args.quick)

        say.start("e", "snapshot load and memory")
        full_path = tmp / "full.snapshot"
        refset = full_size(load_default_reference(), ptp_rows=PTP_QUICK_ROWS if args.quick else PTP_ROWS)
        save_snapshot(refset, full_path)
        report["memory"] = {"bundled_snapshot": measure(DEFAULT_SNAPSHOT), "full_snapshot": measure(full_path)}

        say.start("i", "reference build of four NCCI PTP files")
        ptp_dir = tmp / "ptp"
        ptp_dir.mkdir()
        report["ptp_build"] = ptp_build(ptp_dir, quick=args.quick)

        say.start("claims", f"making {args.claims:,} claims of the bench mix and {args.heavy_claims:,} of the heavy mix")
        payloads = ClaimMaker(seed=MIX_SEEDS["bench"]).payloads(args.claims, 5)
        heavy_payloads = ClaimMaker(seed=MIX_SEEDS["heavy"], mix="heavy").payloads(args.heavy_claims, 5)
        report["mixes"] = {"bench": {"seed": MIX_SEEDS["bench"], "claims": args.claims},
                           "heavy": {"seed": MIX_SEEDS["heavy"], "claims": args.heavy_claims}}
        t: dict[str, Any] = {}

        def drained(key: str, kind: str, claims: list[bytes], processes: int = 1, flags: tuple[str, ...] = ()) -> dict[str, Any]:
            run = drain(client, url, claims, kind=kind, processes=processes, reference=full_path, log_dir=tmp,
                        batch_size=args.batch_size, worker_flags=flags)
            t[key] = run
            return run

        say.start("j", f"naive FastStream handler without edit work, {args.naive_claims:,} claims")
        drained("naive_no_edit", "naive_no_edit", payloads[: args.naive_claims])
        say.start("b", f"naive FastStream baseline, {args.naive_claims:,} claims")
        drained("naive", "naive", payloads[: args.naive_claims])
        say.start("a", f"one claim-edit worker, {args.claims:,} claims")
        one = drained("worker", "worker", payloads)
        key_file = tmp / "history.key"
        key_file.write_text(os.urandom(32).hex())  # a throwaway key for this run
        history_flags = ("--history", "--history-key-file", str(key_file))
        say.start("g", f"one claim-edit worker with history on, {args.claims:,} claims")
        with_history = drained("worker_history", "worker", payloads, flags=history_flags)
        report["history"] = {"size": history_size(client)}
        say.start("f", f"two claim-edit workers, {args.claims:,} claims")
        drained("two_workers", "worker", payloads, processes=2)
        say.start("l", f"two claim-edit workers with history on, {args.claims:,} claims")
        drained("two_workers_history", "worker", payloads, processes=2, flags=history_flags)
        say.start("k", f"one claim-edit worker, heavy mix, history on and off, {args.heavy_claims:,} claims")
        drained("heavy_history", "worker", heavy_payloads, flags=history_flags)
        drained("heavy", "worker", heavy_payloads)
        report["throughput"] = {**t, "reference": refset.version}
        report["memory"]["worker_full_reference"] = one["memory_mb"][0]

        say.start("c", f"latency at {', '.join(f'{f:.0%}' for f in FRACTIONS)} of {one['claims_per_s']:,.0f} claims/s")
        report["latency"] = latency_at_rates(
            client, url, max_rate=one["claims_per_s"], fractions=FRACTIONS, seconds=args.latency_seconds,
            reference=full_path, log_dir=tmp,
        )
        say.start("h", f"latency with history on at {', '.join(f'{f:.0%}' for f in HISTORY_FRACTIONS)} of "
                       f"{with_history['claims_per_s']:,.0f} claims/s")
        report["history"]["latency"] = latency_at_rates(
            client, url, max_rate=with_history["claims_per_s"], fractions=HISTORY_FRACTIONS, seconds=args.latency_seconds,
            reference=full_path, log_dir=tmp, worker_flags=history_flags, seed=76,
        )
        say.end()
        client.close()
    report["section_seconds"] = say.seconds
    report["ratios"] = ratios(report)
    report["targets"] = targets(report)
    report["issue_13_targets"] = issue_13_targets(report)
    report["capacity"] = capacity(report)
    report["finished_at"] = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    return report


def _ratio(numerator: float, denominator: float) -> float | None:
    """None when the denominator rounds to zero: a tiny smoke run can finish inside one CPU-clock tick."""
    return numerator / denominator if denominator > 0 else None


def ratios(report: dict[str, Any]) -> dict[str, Any]:
    t = report["throughput"]
    naive = t["naive"]
    return {
        "worker_over_naive": t["worker"]["claims_per_s"] / naive["claims_per_s"],
        "two_workers_over_naive": t["two_workers"]["claims_per_s"] / naive["claims_per_s"],
        "two_workers_over_one": t["two_workers"]["claims_per_s"] / t["worker"]["claims_per_s"],
        "naive_cpu_per_claim_over_worker": _ratio(naive["process_cpu_us_per_claim"], t["worker"]["process_cpu_us_per_claim"]),
        "naive_redis_cpu_per_claim_over_worker": _ratio(naive["redis"]["cpu_us_per_claim"], t["worker"]["redis"]["cpu_us_per_claim"]),
        "history_over_no_history": t["worker_history"]["claims_per_s"] / t["worker"]["claims_per_s"],
        "history_redis_cpu_per_claim_over_no_history": _ratio(t["worker_history"]["redis"]["cpu_us_per_claim"],
                                                              t["worker"]["redis"]["cpu_us_per_claim"]),
        "two_workers_over_one_history": t["two_workers_history"]["claims_per_s"] / t["worker_history"]["claims_per_s"],
        "heavy_history_over_no_history": t["heavy_history"]["claims_per_s"] / t["heavy"]["claims_per_s"],
        "heavy_over_bench_mix": t["heavy"]["claims_per_s"] / t["worker"]["claims_per_s"],
        "heavy_over_bench_mix_history": t["heavy_history"]["claims_per_s"] / t["worker_history"]["claims_per_s"],
        "worker_over_naive_no_edit": t["worker"]["claims_per_s"] / t["naive_no_edit"]["claims_per_s"],
        # Every worker run over each baseline (the naive ones drained the bench mix; the no-edit one does the same work
        # whatever the claims hold).
        "over_naive": {key: t[key]["claims_per_s"] / naive["claims_per_s"] for key, _ in WORKER_RUNS},
        "over_naive_no_edit": {key: t[key]["claims_per_s"] / t["naive_no_edit"]["claims_per_s"] for key, _ in WORKER_RUNS},
    }


def _target(name: str, value: float, limit: float, unit: str, *, at_most: bool = False) -> dict[str, Any]:
    met = value <= limit if at_most else value >= limit
    return {"target": name, "value": value, "limit": limit, "unit": unit, "met": met, "direction": "<=" if at_most else ">="}


def targets(report: dict[str, Any]) -> list[dict[str, Any]]:
    engine = report["engine"]["references"]
    full = engine["full"]["by_lines"]
    half = _latency_run(report["latency"], 0.5)
    history_half = _latency_run(report["history"]["latency"], 0.5)
    worker = report["throughput"]["worker"]
    return [
        _target("worker throughput over the naive baseline (same run)", report["ratios"]["worker_over_naive"], 20, "x"),
        _target("worker throughput per process", worker["claims_per_s"], 20_000, "claims/s"),
        _target("p99 latency at 50% of max", half["latency_ms"]["p99"], 50, "ms", at_most=True),
        _target("offline engine, 5 lines, full-size reference, one core", full["5"]["claims_per_s"], 100_000, "claims/s"),
        _target(
            "linear in lines: cost per line at 50 lines over cost per line at 5 (full-size reference)",
            full["50"]["us_per_line"] / full["5"]["us_per_line"], 1.25, "ratio", at_most=True,
        ),
        _target(
            "reference size alone: 5-line cost with full-size tables (padded) over bundled",
            report["engine"]["size_effect_5_lines"]["padded_over_bundled"], 1.2, "ratio", at_most=True,
        ),
        _target("history on: drain rate over history off (same run, same claims)", report["ratios"]["history_over_no_history"], 0.75, "x"),
        _target("history on: p99 latency at 50% of its max", history_half["latency_ms"]["p99"], 50, "ms", at_most=True),
        _target("worker peak RSS with the full-size reference", worker["memory_mb"][0]["peak_rss_mb"], 300, "MiB", at_most=True),
        _target("full-size snapshot load", report["memory"]["full_snapshot"]["load_s_first"], 1.0, "s", at_most=True),
        _target("reference build of the four PTP files", report["ptp_build"]["build"]["seconds"], 60, "s", at_most=True),
    ]


def _latency_run(latency: dict[str, Any], fraction: float) -> dict[str, Any]:
    return next(run for run in latency["runs"] if run["fraction_of_max"] == fraction)


def issue_13_targets(report: dict[str, Any]) -> list[dict[str, Any]]:
    """Issue 13's targets, all edits and history on, on both mixes (two workers' scaling is reported, not a target)."""
    t, r = report["throughput"], report["ratios"]
    rows = []
    for key, mix in (("worker_history", "bench mix"), ("heavy_history", "heavy mix")):
        run = t[key]
        rows += [
            _target(f"one worker, history on, {mix}, over the naive baseline (b)", r["over_naive"][key], 25, "x"),
            _target(f"one worker, history on, {mix}, over the no-edit naive handler (j)", r["over_naive_no_edit"][key], 25, "x"),
            _target(f"worker CPU per claim, history on, {mix}", run["process_cpu_us_per_claim"], 25, "us", at_most=True),
            _target(f"Redis CPU per claim, history on, {mix}", run["redis"]["cpu_us_per_claim"], 12, "us", at_most=True),
        ]
    history_latency = report["history"]["latency"]
    rows.append(_target("p99 latency at 50% of max, history on", _latency_run(history_latency, 0.5)["latency_ms"]["p99"], 50, "ms",
                        at_most=True))
    for label, latency in (("history on", history_latency), ("history off", report["latency"])):
        rows.append(_target(f"p99 latency at 25% of max, {label}, no worse than before issue 13",
                            _latency_run(latency, 0.25)["latency_ms"]["p99"], P99_AT_25_BEFORE_ISSUE_13_MS, "ms", at_most=True))
    return rows


def capacity(report: dict[str, Any]) -> dict[str, Any]:
    worker = report["throughput"]["worker"]
    per_process = worker["claims_per_s"]
    redis_us = worker["redis"]["cpu_us_per_claim"]
    shard_max = 1e6 / redis_us
    plans = {
        name: {
            "claims_per_s": peak,
            "worker_processes": math.ceil(peak / (per_process * WORKER_UTILISATION)),
            "redis_shards": math.ceil(peak / (shard_max * REDIS_UTILISATION)),
            "redis_cores_busy": peak * redis_us / 1e6,
        }
        for name, peak in PEAKS.items()
    }
    return {
        "claims_per_s_per_worker_process": per_process,
        "redis_cpu_us_per_claim": redis_us,
        "redis_shard_max_claims_per_s": shard_max,
        "worker_utilisation_planned": WORKER_UTILISATION,
        "redis_utilisation_planned": REDIS_UTILISATION,
        "plans": plans,
    }


def _row(cells: list[str], widths: list[int]) -> str:
    return "  ".join(cell.ljust(width) if i == 0 else cell.rjust(width) for i, (cell, width) in enumerate(zip(cells, widths, strict=True)))


def _table(title: str, header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines = [title, _row(header, widths), _row(["-" * w for w in widths], widths)]
    lines += [_row(r, widths) for r in rows]
    return "\n".join(lines)


def render(report: dict[str, Any]) -> str:
    m = report["machine"]
    out = [
        f"machine: {m['cpu_model']}, {m['cores']} cores, {m['python']}, {m.get('redis', '?')}",
        "'other jobs': cores used by processes outside this benchmark during a run; well above 0 means the figures are low.",
        "",
    ]
    t, r = report["throughput"], report["ratios"]
    naive_rate, no_edit_rate = t["naive"]["claims_per_s"], t["naive_no_edit"]["claims_per_s"]
    rows = []
    for key, label in (*NAIVE_RUNS, *WORKER_RUNS):
        run = t[key]
        held = run.get("published") or {}
        rows.append([
            label, f"{run['claims']:,}", f"{run['claims_per_s']:,.0f}", f"{run['claims_per_s'] / naive_rate:.1f}x",
            f"{run['claims_per_s'] / no_edit_rate:.1f}x", f"{run['process_cpu_us_per_claim']:.1f}",
            f"{run['redis']['cpu_us_per_claim']:.1f}",
            f"{held['findings_per_claim']:.2f}" if held else "-", f"{held['denied_share']:.0%}" if held else "-",
            f"{max(mem['peak_rss_mb'] for mem in run['memory_mb']):.0f}", f"{run['cores_busy']['other']:.2f}",
        ])  # fmt: skip
    out.append(_table("end to end, 5-line claims, full-size reference; the naive runs drained the bench mix",
                      ["run", "claims", "claims/s", "vs naive", "vs no-edit", "proc CPU us/claim", "Redis CPU us/claim",
                       "findings/claim", "denied", "peak RSS MiB", "other jobs (cores)"], rows))  # fmt: skip
    conflicts = (t["two_workers_history"].get("published") or {}).get("history_conflicts", 0)
    out.append(
        f"two workers over one: {r['two_workers_over_one']:.2f}x history off, {r['two_workers_over_one_history']:.2f}x history on "
        f"({conflicts:,} claims edited again after a history conflict); history on over off: {r['history_over_no_history']:.2f}x "
        f"bench mix, {r['heavy_history_over_no_history']:.2f}x heavy mix; heavy mix over bench mix: {r['heavy_over_bench_mix']:.2f}x "
        f"history off, {r['heavy_over_bench_mix_history']:.2f}x on"
    )
    size = report["history"]["size"]
    out.append(
        f"history (g): {size['patients']:,} patients, {size['lines']:,} lines kept, {size['bytes_per_line']:.0f} bytes of Redis memory "
        f"per line ({size['value_bytes_per_line']:.0f} of them the stored value)"
    )
    out.append("")
    rows = [
        [history, f"{run['fraction_of_max']:.0%}", f"{run['target_rate']:,.0f}", f"{run['achieved_rate']:,.0f}",
         *(f"{run['latency_ms'][p]:.1f}" for p in ("p50", "p95", "p99", "max")),
         f"{run['event_to_edit_ms']['p99']:.1f}", f"{run['edit_to_result_ms']['p99']:.1f}", f"{run['cores_busy']['other']:.2f}"]
        for history, latency in (("off (c)", report["latency"]), ("on (h)", report["history"]["latency"]))
        for run in latency["runs"]
    ]  # fmt: skip
    out.append(_table("latency, one worker, event time to result (ms), load as a share of that setting's maximum (a) or (g); "
                      "p99 split into event-to-edit and edit-to-result (commit)",
                      ["history", "load", "target/s", "sent/s", "p50", "p95", "p99", "max", "p99 to edit", "p99 commit",
                       "other jobs (cores)"], rows))  # fmt: skip
    out.append("")
    e = report["engine"]
    rows = [
        [name, *(f"{ref['by_lines'][str(n)]['claims_per_s']:,.0f}" for n in e["lines"]), f"{ref['linear_fit']['us_per_line']:.2f}",
         f"{ref['linear_fit']['fixed_us']:.2f}"]
        for name, ref in e["references"].items()
    ]  # fmt: skip
    out.append(_table("offline engine (Engine.run), claims per CPU-second, one core",
                      ["reference", *(f"{n} lines" for n in e["lines"]), "us/line", "fixed us"], rows))
    size = e["size_effect_5_lines"]
    out.append(
        f"PTP edit at 5 lines: full-size reference with PTP over the same without PTP {size['full_over_full_without_ptp']:.2f}x "
        f"(PTP findings on {e['ptp_findings_5_lines']['share']:.1%} of the claims)"
    )
    w = e["per_claim_work_5_lines"]
    out.append(
        f"per 5-line claim, full-size reference: decode {w['decode']['us_per_claim']:.1f} us, edit {w['edit']['us_per_claim']:.1f} us, "
        f"encode {w['encode']['us_per_claim']:.1f} us, together {w['decode_edit_encode']['us_per_claim']:.1f} us"
    )
    out.append("")
    mem = report["memory"]
    bundled, full, worker_mem = mem["bundled_snapshot"], mem["full_snapshot"], mem["worker_full_reference"]
    out.append(
        f"snapshot load: bundled {bundled['load_s_first'] * 1000:.0f} ms, full-size {full['load_s_first'] * 1000:.0f} ms "
        f"({full['snapshot_bytes'] / 2**20:.1f} MiB on disk) "
        f"({full['reference_mb']:.0f} MiB in memory); worker peak RSS with the full-size reference {worker_mem['peak_rss_mb']:.0f} MiB"
    )
    p = report["ptp_build"]
    out.append(
        f"PTP reference build: {p['rows']:,} rows in {len(p['files'])} files ({sum(f['bytes'] for f in p['files']) / 2**20:.0f} MiB) "
        f"built in {p['build']['seconds']:.1f} s, peak RSS {p['build']['peak_rss_mb']:.0f} MiB; snapshot "
        f"{p['snapshot']['snapshot_bytes'] / 2**20:.1f} MiB, loads in {p['snapshot']['load_s_first'] * 1000:.0f} ms "
        f"({p['snapshot']['reference_mb']:.0f} MiB in memory)"
    )
    out.append("")
    rows = [
        [tg["target"], f"{tg['direction']} {tg['limit']:g} {tg['unit']}", f"{tg['value']:,.2f}", "met" if tg["met"] else "NOT MET"]
        for tg in report["targets"]
    ]
    out.append(_table("targets", ["target", "limit", "measured", ""], rows))
    out.append("")
    rows = [
        [tg["target"], f"{tg['direction']} {tg['limit']:g} {tg['unit']}", f"{tg['value']:,.2f}", "met" if tg["met"] else "NOT MET"]
        for tg in report["issue_13_targets"]
    ]
    out.append(_table(f"issue 13 targets (all edits on; p99 at 25% against {P99_AT_25_BEFORE_ISSUE_13_MS} ms, the run of 2026-11-30)",
                      ["target", "limit", "measured", ""], rows))
    out.append("")
    c = report["capacity"]
    rows = [
        [name, f"{plan['claims_per_s']:,}", str(plan["worker_processes"]), str(plan["redis_shards"]), f"{plan['redis_cores_busy']:.2f}"]
        for name, plan in c["plans"].items()
    ]
    out.append(_table(
        f"capacity: {c['claims_per_s_per_worker_process']:,.0f} claims/s per worker at {c['worker_utilisation_planned']:.0%}, "
        f"Redis {c['redis_cpu_us_per_claim']:.1f} us/claim at {c['redis_utilisation_planned']:.0%} of a core",
        ["peak", "claims/s", "workers", "Redis shards", "Redis cores busy"], rows,
    ))  # fmt: skip
    out.append("")
    out.append("seconds per section: " + ", ".join(f"({name}) {seconds:.0f}" for name, seconds in report["section_seconds"].items()))
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.perf_counter()
    report = run(args)
    report["bench_seconds"] = time.perf_counter() - started
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(render(report))
    print(f"\nwrote {args.out} ({report['bench_seconds']:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
