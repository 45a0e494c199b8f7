"""`python -m bench` (`make bench`): every benchmark side by side in one run, a table, and a JSON file.

    python -m bench [--quick] [--out bench/results/latest.json]

Starts its own throwaway Redis, writes a full-size reference snapshot to a temporary
directory, and runs, in this order: (d) offline engine cost curves (with the PTP table and without it,
as the same run's baseline), (e) snapshot load and memory, (i) `reference build` of four full-size
NCCI PTP files, (b) the naive FastStream baseline, (a) one `claim-edit worker` process, (g) the same
worker with claim history on (same claims, same run), (f) two worker processes, (c) latency under an
open-loop load at fractions of (a)'s rate, and (h) with history on at 50% of (g)'s rate. Throughput figures
are also given as ratios to the baseline measured in the same run, so machine noise cancels.
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
from bench.claims import ClaimMaker
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
    #           worker claims, naive claims, latency seconds per rate
    "full": (200_000, 5_000, 10.0),
    "quick": (20_000, 1_000, 3.0),
}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller runs (about a minute); noisier figures")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="JSON file to write (default: %(default)s)")
    parser.add_argument("--claims", type=int, help="claims drained by the worker runs (a), (f)")
    parser.add_argument("--naive-claims", type=int, help="claims drained by the naive baseline (b)")
    parser.add_argument("--latency-seconds", type=float, help="seconds of load per rate in (c)")
    parser.add_argument("--batch-size", type=int, default=500, help="worker --batch-size (default: %(default)s)")
    parser.add_argument("--redis-url", help="use this Redis instead of starting one; its database is FLUSHED")
    args = parser.parse_args(argv)
    claims, naive_claims, seconds = SIZES["quick" if args.quick else "full"]
    args.claims = args.claims or claims
    args.naive_claims = args.naive_claims or naive_claims
    args.latency_seconds = args.latency_seconds or seconds
    for name in ("claims", "naive_claims"):
        if getattr(args, name) < 50:
            parser.error(f"--{name.replace('_', '-')} must be at least 50")
    return args


def _say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def run(args: argparse.Namespace) -> dict[str, Any]:
    report: dict[str, Any] = {"started_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), "quick": args.quick}
    with tempfile.TemporaryDirectory(prefix="claimedit-bench-") as scratch, given_or_embedded(args.redis_url) as url:
        tmp = Path(scratch)
        client = redis.Redis.from_url(url)
        report["machine"] = machine.describe(url)

        _say("(d) offline engine cost curves ...")
        report["engine"] = engine_curves(quick=args.quick)

        _say("(e) snapshot load and memory ...")
        full_path = tmp / "full.snapshot"
        refset = full_size(load_default_reference(), ptp_rows=PTP_QUICK_ROWS if args.quick else PTP_ROWS)
        save_snapshot(refset, full_path)
        report["memory"] = {"bundled_snapshot": measure(DEFAULT_SNAPSHOT), "full_snapshot": measure(full_path)}

        _say("(i) reference build of four NCCI PTP files ...")
        ptp_dir = tmp / "ptp"
        ptp_dir.mkdir()
        report["ptp_build"] = ptp_build(ptp_dir, quick=args.quick)

        payloads = ClaimMaker(seed=1).payloads(args.claims, 5)
        _say(f"(b) naive FastStream baseline, {args.naive_claims} claims ...")
        naive = drain(client, url, payloads[: args.naive_claims], kind="naive", reference=full_path, log_dir=tmp)
        _say(f"(a) one claim-edit worker, {args.claims} claims ...")
        one = drain(client, url, payloads, kind="worker", reference=full_path, log_dir=tmp, batch_size=args.batch_size)
        key_file = tmp / "history.key"
        key_file.write_text(os.urandom(32).hex())  # a throwaway key for this run
        history_flags = ("--history", "--history-key-file", str(key_file))
        _say(f"(g) one claim-edit worker with history on, {args.claims} claims ...")
        with_history = drain(client, url, payloads, kind="worker", reference=full_path, log_dir=tmp, batch_size=args.batch_size,
                             worker_flags=history_flags)
        report["history"] = {"size": history_size(client)}
        _say(f"(f) two claim-edit workers, {args.claims} claims ...")
        two = drain(client, url, payloads, kind="worker", processes=2, reference=full_path, log_dir=tmp, batch_size=args.batch_size)
        report["throughput"] = {"naive": naive, "worker": one, "two_workers": two, "worker_history": with_history,
                                "reference": refset.version}
        report["memory"]["worker_full_reference"] = one["memory_mb"][0]

        _say(f"(c) latency at {', '.join(f'{f:.0%}' for f in FRACTIONS)} of {one['claims_per_s']:,.0f} claims/s ...")
        report["latency"] = latency_at_rates(
            client, url, max_rate=one["claims_per_s"], fractions=FRACTIONS, seconds=args.latency_seconds,
            reference=full_path, log_dir=tmp,
        )
        _say(f"(h) latency with history on at 50% of {with_history['claims_per_s']:,.0f} claims/s ...")
        report["history"]["latency"] = latency_at_rates(
            client, url, max_rate=with_history["claims_per_s"], fractions=(0.5,), seconds=args.latency_seconds,
            reference=full_path, log_dir=tmp, worker_flags=history_flags, seed=76,
        )
        client.close()
    report["ratios"] = ratios(report)
    report["targets"] = targets(report)
    report["capacity"] = capacity(report)
    report["finished_at"] = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    return report


def _ratio(numerator: float, denominator: float) -> float | None:
    """None when the denominator rounds to zero: a tiny smoke run can finish inside one CPU-clock tick."""
    return numerator / denominator if denominator > 0 else None


def ratios(report: dict[str, Any]) -> dict[str, float | None]:
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
    }


def _target(name: str, value: float, limit: float, unit: str, *, at_most: bool = False) -> dict[str, Any]:
    met = value <= limit if at_most else value >= limit
    return {"target": name, "value": value, "limit": limit, "unit": unit, "met": met, "direction": "<=" if at_most else ">="}


def targets(report: dict[str, Any]) -> list[dict[str, Any]]:
    engine = report["engine"]["references"]
    full = engine["full"]["by_lines"]
    half = next(run for run in report["latency"]["runs"] if run["fraction_of_max"] == 0.5)
    history_half = report["history"]["latency"]["runs"][0]
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
    naive_rate = t["naive"]["claims_per_s"]
    rows = []
    runs = (("naive FastStream (b)", t["naive"]), ("claim-edit worker x1 (a)", t["worker"]),
            ("claim-edit worker x1, history on (g)", t["worker_history"]), ("claim-edit worker x2 (f)", t["two_workers"]))
    for label, run in runs:
        rows.append([
            label, f"{run['claims']:,}", f"{run['claims_per_s']:,.0f}", f"{run['claims_per_s'] / naive_rate:.1f}x",
            f"{run['process_cpu_us_per_claim']:.1f}", f"{run['redis']['cpu_us_per_claim']:.1f}",
            f"{max(mem['peak_rss_mb'] for mem in run['memory_mb']):.0f}", f"{run['cores_busy']['other']:.2f}",
        ])  # fmt: skip
    out.append(_table("end to end, 5-line claims, full-size reference",
                      ["run", "claims", "claims/s", "vs naive", "proc CPU us/claim", "Redis CPU us/claim", "peak RSS MiB",
                       "other jobs (cores)"], rows))  # fmt: skip
    out.append(f"two workers over one: {r['two_workers_over_one']:.2f}x; history on over off: {r['history_over_no_history']:.2f}x")
    h = report["history"]
    size, hl = h["size"], h["latency"]["runs"][0]
    out.append(
        f"history (g): {size['patients']:,} patients, {size['lines']:,} lines kept, {size['bytes_per_line']:.0f} bytes of Redis memory "
        f"per line ({size['value_bytes_per_line']:.0f} of them the stored value); "
        f"p50/p99 latency at 50% of (g) {hl['latency_ms']['p50']:.1f}/{hl['latency_ms']['p99']:.1f} ms"
    )
    out.append("")
    rows = [
        [f"{run['fraction_of_max']:.0%}", f"{run['target_rate']:,.0f}", f"{run['achieved_rate']:,.0f}",
         *(f"{run['latency_ms'][p]:.1f}" for p in ("p50", "p95", "p99", "max")),
         f"{run['event_to_edit_ms']['p99']:.1f}", f"{run['edit_to_result_ms']['p99']:.1f}", f"{run['cores_busy']['other']:.2f}"]
        for run in report["latency"]["runs"]
    ]  # fmt: skip
    out.append(_table("latency, event time to result (ms); p99 split into event-to-edit and edit-to-result (commit)",
                      ["load", "target/s", "sent/s", "p50", "p95", "p99", "max", "p99 to edit", "p99 commit", "other jobs (cores)"], rows))
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
