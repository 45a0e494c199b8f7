"""Editing claims one after another with history, offline: the one path `check` and `replay` share.

Each claim is edited against its patient's history as the claims before it in the input left it, then its
change (the original of a replacement or void out, its lines without a `deny` in) is applied before the next.
The worker does the same with the Redis store, where the commit script applies the change.
"""

from __future__ import annotations

import argparse
import datetime as dt

from contracts import Claim, ClaimEdited, ClaimSubmitted, Finding
from edits import Engine
from workers.history.memory import DEFAULT_HISTORY_DAYS, MemoryHistory
from workers.reference_args import UsageError


def add_history_arguments(parser: argparse.ArgumentParser, *, what: str) -> None:
    """--history/--no-history and --history-days, the same for `check` and `replay`."""
    group = parser.add_argument_group("history (docs/history.md)")
    group.add_argument(
        "--history", action=argparse.BooleanOptionalAction, default=True,
        help=f"edit each claim against the patient's earlier claims among {what}, kept in memory [default: on]; "
        "--no-history edits each claim alone",
    )
    group.add_argument(
        "--history-days", type=int, default=DEFAULT_HISTORY_DAYS, metavar="N",
        help=f"keep lines whose date of service is at most N days before the newest one seen [default {DEFAULT_HISTORY_DAYS}]",
    )


def history_store(args: argparse.Namespace) -> MemoryHistory | None:
    """The store the flags ask for: a fresh MemoryHistory, or None with --no-history."""
    if args.history_days < 0:
        raise UsageError(f"--history-days must not be negative, got {args.history_days}")
    return MemoryHistory(args.history_days) if args.history else None


class HistoryEditor:
    """An engine and a history store (None: every claim edited alone, frequency codes ignored)."""

    def __init__(self, engine: Engine, store: MemoryHistory | None) -> None:
        self.engine = engine
        self.store = store

    def described(self) -> str:
        store = self.store
        return "no history" if store is None else f"history in memory ({store.history_days} days)"

    def findings(self, claim: Claim) -> tuple[Finding, ...]:
        """The claim's findings; its change is applied to history before this returns."""
        store = self.store
        if store is None:
            return self.engine.run(claim)
        findings, change = self.engine.run_with_history(claim, store.get(claim.patient_id))
        store.apply(claim.patient_id, change)
        return findings

    def learn(self, claim: Claim) -> None:
        """Edit the claim only for what it changes in history (warming history; its findings are not wanted)."""
        if self.store is not None:
            self.findings(claim)

    def edit(self, event: ClaimSubmitted, *, source_stream_id: str | None = None, now: dt.datetime | None = None) -> ClaimEdited:
        """The `claim.edited` result for the event; its change is applied to history before this returns."""
        store = self.store
        if store is None:
            return self.engine.edit(event, source_stream_id=source_stream_id, now=now)
        patient_id = event.claim.patient_id
        result, change = self.engine.edit_with_history(event, store.get(patient_id), source_stream_id=source_stream_id, now=now)
        store.apply(patient_id, change)
        return result

