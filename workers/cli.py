"""`claim-edit`: one command, a subcommand per job. Each subcommand lives in `workers/commands/`."""

from __future__ import annotations

import argparse
import importlib
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
    "demo",
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
    status: int = args.func(args)
    return status


if __name__ == "__main__":
    sys.exit(main())
