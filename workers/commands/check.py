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


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "check",
        help="run the edits over a JSONL file of claims or claim.submitted events",
        description="Run the edits over CLAIMS (JSONL, one bare claim or claim.submitted event per line; - for stdin).",
    )
    parser.add_argument("claims", metavar="CLAIMS", help="JSONL file, or - for standard input")
    parser.add_argument("--format", choices=("table", "json"), default="table", help="table for people (default), json for programs")
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


def result_json(result: ClaimEdited, line: int) -> bytes:
    body = {
        "line": line,
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


def result_table(result: ClaimEdited, line: int) -> str:
    count = len(result.findings)
    rows = [f"{result.claim_id}  {result.outcome.upper()}  (input line {line}, {count} finding{'' if count == 1 else 's'})"]
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
        return check_lines(editor, read_lines(args.claims), args.format, sys.stdout)
    except OSError as error:
        print(f"claim-edit check: cannot read {args.claims}: {error.strerror}", file=sys.stderr)
        return 2


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
        engine = editor.engine
        out.write(f"reference {engine.reference_version}, rule set {engine.ruleset_version}, {editor.described()}\n")
    return 1 if invalid else 0

