"""Claim history: a patient's earlier claims, as the edits see them (the model; pure, no storage).

What history *is* lives here: which lines of an edited claim enter it, how a replacement or a void
changes it, and what an edit may ask of it. Where it is kept is not: memory for `check` and `replay`,
Redis for the worker (changed only by the commit script), both in `workers/`. docs/history.md.
"""

from edits.history.model import (
    EMPTY_HISTORY,
    ClaimLines,
    HistoryChange,
    HistoryLine,
    PatientHistory,
    apply_change,
)

__all__ = ["EMPTY_HISTORY", "ClaimLines", "HistoryChange", "HistoryLine", "PatientHistory", "apply_change"]
