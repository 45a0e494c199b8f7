"""`claim-edit worker`: consume `claim.submitted` events from a Redis stream and publish one result per event."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys

from workers.logs import configure_logging
from workers.reference_args import add_reference_arguments, engine_from_args
from workers.settings import add_settings_arguments, settings_from


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "worker",
        help="run the stream worker (consumer group on Redis Streams)",
        description="Read claim.submitted events from a Redis stream in a consumer group, run the edits, and publish one "
        "claim.edited result per event (or a dead letter). Serves /metrics, /healthz and /readyz on --http-port.",
    )
    add_settings_arguments(parser)
    add_reference_arguments(parser, env=True)
    parser.add_argument("--log-level", default=os.environ.get("CLAIMEDIT_LOG_LEVEL", "INFO"),
                        help="log level [env CLAIMEDIT_LOG_LEVEL, default INFO]")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    configure_logging(args.log_level.upper())
    try:
        settings = settings_from(args)
        engine = engine_from_args(args)
    except ValueError as error:  # SettingsError, UsageError, PolicyError, SnapshotError: all name the bad value
        print(f"claim-edit worker: {error}", file=sys.stderr)
        return 2
    from workers.runtime import run_until_signalled  # FastStream loads here, not for every `claim-edit` command

    return asyncio.run(run_until_signalled(settings, engine))
