"""`claim-edit submit CLAIMS.jsonl`: publish claims (or claim.submitted events) to the input stream."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import redis
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from contracts import ClaimSubmitted
from workers import connection
from workers.partitions import add_partition_arguments
from workers.producer import ClaimsFileError, encode_all, read_events, send, send_partitioned
from workers.settings import SettingsError, add_redis_security_arguments, settings_from
from workers.x12 import read_if_x12, write_ack


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "submit",
        help="publish claims from a JSONL file to the input stream",
        description="Publish each line of a JSONL file to the input stream, field `event`. A line is a claim.submitted event "
        "(sent as is) or a bare claim (wrapped in an event with a fresh event_id). Every line is validated first: "
        "a bad line sends nothing. An 837P file (recognised by its ISA segment) is mapped as `claim-edit x12` does: "
        "the claims that map are sent, each refused claim is reported, and the exit status is then 1.",
    )
    parser.add_argument("claims", type=Path, help="JSONL file of claims or claim.submitted events, or an 837P file ('-' reads stdin)")
    parser.add_argument("--redis-url", dest="redis_url", help="Redis URL (env CLAIMEDIT_REDIS_URL or REDIS_URL)")
    add_redis_security_arguments(parser)
    parser.add_argument("--stream", help="input stream [default claims.submitted, env CLAIMEDIT_STREAM]")
    add_partition_arguments(parser)
    parser.add_argument("--ack", metavar="ACKFILE", type=Path, help="with an 837P file: write its 999 acknowledgment here")
    parser.add_argument("--repeat", type=int, default=1, help="send the file this many times (fresh event ids each time)")
    parser.set_defaults(func=run)


def _x12_events(args: argparse.Namespace, console: Console) -> tuple[list[ClaimSubmitted], int] | None:
    """The events of an 837P file and how many claims it refused; None when CLAIMS is not X12 (JSONL)."""
    x12 = read_if_x12(str(args.claims)) if str(args.claims) == "-" or args.claims.is_file() else None
    if x12 is None:
        return None
    for refusal in x12.refusals:
        console.print(f"[red]refused:[/] {refusal}", markup=True, highlight=False)
    if args.ack is not None:
        try:
            write_ack(args.ack, x12)
        except OSError as error:
            raise ClaimsFileError(f"cannot write the 999: {error}") from None
    # Event ids are the file's own (ISA13-GS06-ST02-CLM01): --repeat would only send duplicates the worker drops.
    return x12.events, len(x12.refusals)


def run(args: argparse.Namespace) -> int:
    console = Console(stderr=True, soft_wrap=True)  # never break a long path:line in two (it is what tools and tests read)
    refused = 0
    try:
        settings = settings_from(args)
        batches: list[ClaimSubmitted] = []
        x12 = _x12_events(args, console)
        if x12 is not None:
            batches, refused = x12
        for _ in range(max(1, args.repeat) if x12 is None else 0):
            lines = sys.stdin.buffer if str(args.claims) == "-" else None
            if lines is None and not args.claims.is_file():
                raise ClaimsFileError(f"{args.claims}: no such file")
            batches.extend(read_events(args.claims, lines))
    except (ClaimsFileError, SettingsError) as error:
        console.print(f"[red]claim-edit submit:[/] {error}")
        return 2
    target = f"{settings.partitions} partitions {settings.partition_prefix}:{{p*}}:submitted" if settings.partitions else settings.stream
    try:
        client = connection.sync_client(settings)
    except SettingsError as error:
        console.print(f"[red]claim-edit submit:[/] {error}")
        return 2
    try:
        with Progress(TextColumn("submitting"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=console,
                      transient=not console.is_terminal) as progress:
            task = progress.add_task("submit", total=len(batches))
            if settings.partitions:
                sent = send_partitioned(client, batches, settings.partitions, prefix=settings.partition_prefix,
                                        progress=lambda n: progress.advance(task, n))
                ids = [stream_id for _, stream_id in sent]
            else:
                ids = send(client, settings.stream, encode_all(batches), progress=lambda n: progress.advance(task, n))
    except redis.RedisError as error:
        console.print(f"[red]claim-edit submit:[/] cannot write to {target}: {error}")
        return 1
    finally:
        client.close()
    span = f" ({ids[0]} .. {ids[-1]})" if ids and not settings.partitions else ""
    console.print(f"submitted {len(ids)} events to {target}{span}")
    if refused:
        console.print(f"[red]{refused} refused[/] (not submitted): see above")
        return 1
    return 0
