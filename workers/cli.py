"""`claim-edit`: one command, a subcommand per job. Each subcommand lives in `workers/commands/`."""

from __future__ import annotations

import argparse
import importlib
import os
import signal
import sys
from collections.abc import Sequence

# Each module has `register(subparsers)`, which adds its parser and sets `func(args) -> int`.
COMMANDS = (
    "check",
    "reference",
    "replay",
    "worker",
    "submit",
    "results",
    "partitions",
    "asyncapi",
    "demo",
    "x12",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="claim-edit",
        description="Claim edits (NCCI add-on, MUE, modifier) over professional claims, offline or on Redis Streams.",
    )
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMANDS:
        importlib.import_module(f"workers.commands.{name}").register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        status: int = args.func(args)
    except BrokenPipeError:
        # The reader went away (`claim-edit ... | head`): not our error. Point stdout at /dev/null so the
        # interpreter's final flush does not raise again (the recipe in Python's `signal` docs).
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 128 + signal.SIGPIPE
    return status


if __name__ == "__main__":
    sys.exit(main())
