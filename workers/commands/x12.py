"""`claim-edit x12 FILE...`: the `claim.submitted` events 837P files map to, as JSONL on stdout; refusals on stderr."""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path
from typing import Any

from contracts import encode
from workers.x12 import DEFAULT_LIMITS, X12Result, read_837p


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "x12",
        help="map 837P files to claim.submitted events (JSONL on stdout)",
        description="Validate each 837P file (005010X222A1/A2) against the implementation guide (pyx12) and print the "
        "claim.submitted event of every claim that maps, one JSON per line. What cannot be mapped is printed to "
        "stderr with its segment number (the ISA is segment 1); one bad claim does not stop the others. "
        "Exit status 1 when anything was refused. Mapping and limits: docs/x12.md.",
    )
    parser.add_argument("files", metavar="FILE", nargs="+", type=Path, help="837P file")
    parser.add_argument("--ack", metavar="ACKFILE", type=Path,
                        help="write the 999 implementation acknowledgment here (one interchange per input file, in order)")
    parser.add_argument("--max-bytes", type=int, default=DEFAULT_LIMITS.max_bytes, help="refuse a larger file [default %(default)s]")
    parser.add_argument("--max-segments", type=int, default=DEFAULT_LIMITS.max_segments, help="[default %(default)s]")
    parser.add_argument("--max-claims", type=int, default=DEFAULT_LIMITS.max_claims, help="[default %(default)s]")
    parser.set_defaults(func=run)


def report(result: X12Result, out: Any = None) -> None:
    """Refusals and warnings of one file, one per line, on stderr (or `out`)."""
    out = out or sys.stderr
    for refusal in result.refusals:
        out.write(f"claim-edit x12: refused: {refusal}\n")
    for warning in result.warnings:
        out.write(f"claim-edit x12: warning (not refused): {warning}\n")


def run(args: argparse.Namespace) -> int:
    refused = False
    acks: list[str] = []
    limits = dataclasses.replace(DEFAULT_LIMITS, max_bytes=args.max_bytes, max_segments=args.max_segments, max_claims=args.max_claims)
    for path in args.files:
        result = read_837p(path, limits)
        for event in result.events:
            sys.stdout.write(encode(event).decode() + "\n")
        report(result)
        refused = refused or bool(result.refusals)
        if result.ack:
            acks.append(result.ack)
        else:
            sys.stderr.write(f"claim-edit x12: no 999 for {path}: it was refused before validation\n")
    sys.stdout.flush()
    if args.ack is not None:
        try:
            args.ack.write_text("\n".join(acks))
        except OSError as error:
            print(f"claim-edit x12: {error}", file=sys.stderr)
            return 2
    return 1 if refused else 0
