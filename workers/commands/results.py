"""`claim-edit results`: follow the result stream (and dead letters) in a readable form.

With `--partitions`, every partition's result and dead-letter streams: one XREAD per partition (its two
streams share a hash slot; one XREAD over several partitions would be cross-slot in a Redis Cluster).
"""

from __future__ import annotations

import argparse
import sys
import time

import msgspec
import redis
from rich.console import Console

from contracts.codec import decode_dead_letter, decode_result
from workers import connection
from workers.display import dead_letter_text, result_text
from workers.partitions import add_partition_arguments
from workers.settings import SettingsError, add_redis_security_arguments, settings_from
from workers.streams import last_id, read_new

BLOCK_MS = 1000
PARTITION_BLOCK_MS = 1  # per partition, so one round over all partitions stays short
IDLE_PAUSE_S = 0.2  # after a round over the partitions that found nothing


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "results",
        help="follow the result and dead-letter streams",
        description="Print claim.edited results (outcome and findings per claim) and dead letters as they arrive.",
    )
    parser.add_argument("--redis-url", dest="redis_url", help="Redis URL (env CLAIMEDIT_REDIS_URL or REDIS_URL)")
    add_redis_security_arguments(parser)
    parser.add_argument("--result-stream", help="result stream [default claims.edited]")
    parser.add_argument("--deadletter-stream", help="dead-letter stream [default claims.deadletter]")
    add_partition_arguments(parser)
    parser.add_argument("--from-start", action="store_true", help="print what is already in the streams first")
    parser.add_argument("--count", type=int, default=0, help="stop after this many entries (0: follow until Ctrl-C)")
    parser.add_argument("--json", action="store_true", help="print the raw JSON, one line each")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        settings = settings_from(args)
        client = connection.sync_client(settings)
    except SettingsError as error:
        print(f"claim-edit results: {error}", file=sys.stderr)
        return 2
    console = Console(highlight=False, soft_wrap=True)
    shown = 0
    try:
        pairs = [(p.edited, p.deadletter) for p in settings.pipelines()]
        dead = {letters for _, letters in pairs}
        cursors = {name: "0-0" if args.from_start else last_id(client, name) for pair in pairs for name in pair}
        block_ms = BLOCK_MS if len(pairs) == 1 else PARTITION_BLOCK_MS
        while not args.count or shown < args.count:
            found_any = False
            for pair in pairs:
                for name, found in read_new(client, {name: cursors[name] for name in pair}, count=100, block_ms=block_ms):
                    for stream_id, fields in found:
                        found_any = True
                        cursors[name] = stream_id.decode()
                        shown += 1
                        _show(console, name in dead, fields, args.json)
                        if args.count and shown >= args.count:
                            return 0
            if len(pairs) > 1 and not found_any:
                time.sleep(IDLE_PAUSE_S)
    except KeyboardInterrupt:
        return 0
    except redis.RedisError as error:
        print(f"claim-edit results: {error}", file=sys.stderr)
        return 1
    finally:
        client.close()
    return 0


def _show(console: Console, dead: bool, fields: dict[bytes, bytes], as_json: bool) -> None:
    raw = fields.get(b"dead_letter" if dead else b"result")
    if raw is None:
        console.print(f"[dim]entry without a {'dead_letter' if dead else 'result'} field[/]")
        return
    if as_json:
        sys.stdout.write(raw.decode() + "\n")
        return
    try:
        console.print(dead_letter_text(decode_dead_letter(raw)) if dead else result_text(decode_result(raw)))
    except msgspec.DecodeError as error:
        console.print(f"[red]unreadable entry:[/] {error}")
