"""`claim-edit partitions`: the stream names of P partitions, for configuring producers and consumers.

Offline: the names follow from P and the prefix alone (workers/partitions.py). Each line gives the
partition index, its Redis Cluster slot and its three streams; `--format json` gives the same as data.
"""

from __future__ import annotations

import argparse
import sys

import msgspec
from redis.crc import key_slot

from workers.partitions import DEFAULT_PREFIX, MAX_PARTITIONS, all_partitions


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "partitions",
        help="list the partition streams for P partitions",
        description="Print each partition's slot and streams: producers send a claim to partition crc32(patient_id) mod P.",
    )
    parser.add_argument("partitions", type=int, metavar="P", help=f"number of partitions (1-{MAX_PARTITIONS})")
    parser.add_argument("--partition-prefix", default=DEFAULT_PREFIX, help="prefix of the partition streams [default %(default)s]")
    parser.add_argument("--format", choices=("table", "json"), default="table")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if not 1 <= args.partitions <= MAX_PARTITIONS:
        sys.stderr.write(f"claim-edit partitions: P must be 1 to {MAX_PARTITIONS}, got {args.partitions}\n")
        return 2
    rows = [
        {"partition": p.index, "slot": key_slot(p.submitted.encode()), "submitted": p.submitted, "edited": p.edited,
         "deadletter": p.deadletter}
        for p in all_partitions(args.partitions, args.partition_prefix)
    ]
    if args.format == "json":
        sys.stdout.write(msgspec.json.encode(rows).decode() + "\n")
        return 0
    for row in rows:
        sys.stdout.write(f"{row['partition']:>4}  slot {row['slot']:>5}  {row['submitted']}  {row['edited']}  {row['deadletter']}\n")
    return 0
