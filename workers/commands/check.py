"""`claim-edit check`: run the edits over a file of claims, offline, and print the findings."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from contracts import ClaimEdited, InvalidEvent, decode_claim_or_event, encode
from edits.policy import PolicyError
from edits.reference.files import ReferenceFileError
from edits.reference.snapshot import SnapshotError
from workers.history.offline import HistoryEditor, add_history_arguments, history_store
from workers.reference_args import UsageError, add_reference_arguments, engine_from_args
from workers.x12 import X12Result, read_if_x12, write_ack


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "check",
        help="run the edits over a JSONL file of claims or claim.submitted events, or an 837P file",
        description="Run the edits over CLAIMS (JSONL, one bare claim or claim.submitted event per line; or an 837P file, "
        "recognised by its ISA segment and mapped as `claim-edit x12` does; - for stdin).",
    )
    parser.add_argument("claims", metavar="CLAIMS", help="JSONL or 837P file, or - for standard input")
    parser.add_argument("--format", choices=("table", "json"), default="table", help="table for people (default), json for programs")
    parser.add_argument("--ack", metavar="ACKFILE", type=Path, help="with an 837P file: write its 999 acknowledgment here")
    add_history_arguments(parser, what="the claims of CLAIMS, in file order")
    add_reference_arguments(parser)
    parser.set_defaults(func=run)


def read_lines(source: str) -> Iterator[tuple[int, bytes]]:
    """(file line number, raw line) for each non-blank line."""
    stream: IO[bytes] = sys.stdin.buffer if source == "-" else Path(source).open("rb")  # noqa: SIM115
    with stream:
        for number, raw in enumerate(stream, start=1):
            line = raw.strip()
            if line:
                yield number, line


def result_json(result: ClaimEdited, line: int | None) -> bytes:
    body = {
        **({"line": line} if line is not None else {}),
        "event_id": result.event_id,
        "claim_id": result.claim_id,
        "outcome": result.outcome,
        "findings": result.findings,
        "reference_version": result.reference_version,
        "ruleset_version": result.ruleset_version,
    }
    return encode(body)


def error_json(line: int, error: InvalidEvent) -> bytes:
    return encode({"line": line, "error": error.reason, "detail": error.detail})


def result_table(result: ClaimEdited, line: int | None) -> str:
    count = len(result.findings)
    where = f"input line {line}, " if line is not None else f"event {result.event_id}, "
    rows = [f"{result.claim_id}  {result.outcome.upper()}  ({where}{count} finding{'' if count == 1 else 's'})"]
    for finding in result.findings:
        where = ("line " if len(finding.lines) == 1 else "lines ") + ",".join(map(str, finding.lines))
        rows.append(f"  {where:<12} {finding.code}  {finding.severity:<6}  {finding.edit}")
        rows.append(f"      {finding.message}")
    return "\n".join(rows)


def run(args: argparse.Namespace) -> int:
    try:
        editor = HistoryEditor(engine_from_args(args), history_store(args))
    except (UsageError, PolicyError, ReferenceFileError, SnapshotError) as error:
        print(f"claim-edit check: {error}", file=sys.stderr)
        return 2
    try:
        x12 = read_if_x12(args.claims)
        if x12 is not None:
            if args.ack is not None:
                try:
                    write_ack(args.ack, x12)
                except OSError as error:
                    print(f"claim-edit check: {error}", file=sys.stderr)
                    return 2
            return check_x12(editor, x12, args.format, sys.stdout)
        return check_lines(editor, read_lines(args.claims), args.format, sys.stdout)
    except OSError as error:
        print(f"claim-edit check: cannot read {args.claims}: {error.strerror}", file=sys.stderr)
        return 2


def check_x12(editor: HistoryEditor, x12: X12Result, fmt: str, out: IO[str]) -> int:
    """Refusals first (each naming its segment), then each mapped claim's findings (with history, as for JSONL)."""
    for refusal in x12.refusals:
        if fmt == "json":
            out.write(encode({"segment": refusal.segment, "claim_id": refusal.claim_id, "error": "x12", "detail": refusal.reason,
                              "file": refusal.file}).decode() + "\n")
        else:
            out.write(f"REFUSED {refusal}\n\n")
    for warning in x12.warnings:
        sys.stderr.write(f"claim-edit check: warning (not refused): {warning}\n")
    for event in x12.events:
        result = editor.edit(event)
        out.write((result_json(result, None).decode() if fmt == "json" else result_table(result, None) + "\n") + "\n")
    if fmt == "table":
        out.write(footer(editor))
    return 1 if x12.refusals else 0


def check_lines(editor: HistoryEditor, lines: Iterator[tuple[int, bytes]], fmt: str, out: IO[str]) -> int:
    """Edit each claim in order (against the history the claims before it built, unless history is off)."""
    invalid = 0
    for number, raw in lines:
        try:
            event = decode_claim_or_event(raw)
        except InvalidEvent as error:
            invalid += 1
            if fmt == "json":
                out.write(error_json(number, error).decode() + "\n")
            else:
                out.write(f"line {number}: INVALID {error.reason}: {error.detail}\n\n")
            continue
        result = editor.edit(event)
        if fmt == "json":
            out.write(result_json(result, number).decode() + "\n")
        else:
            out.write(result_table(result, number) + "\n\n")
    if fmt == "table":
        out.write(footer(editor))
    return 1 if invalid else 0


def footer(editor: HistoryEditor) -> str:
    engine = editor.engine
    return f"reference {engine.reference_version}, rule set {engine.ruleset_version}, {editor.described()}\n"

