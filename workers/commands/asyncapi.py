"""`claim-edit asyncapi`: print the AsyncAPI 3.0 document of the streams (the committed docs/asyncapi.json)."""

from __future__ import annotations

import argparse
import sys


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "asyncapi",
        help="print the AsyncAPI 3.0 document of the streams and messages",
        description="Print the AsyncAPI 3.0 document (JSON) of claims.submitted, claims.edited and claims.deadletter, "
        "single and partitioned, with the messages' JSON Schemas from contracts/.",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from workers.asyncapi import render  # only here: FastStream's specification package is not needed by other commands

    sys.stdout.write(render())
    return 0
