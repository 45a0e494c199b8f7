"""History in memory, for `claim-edit check` and `replay`: per patient, claim_id -> the claim's lines in force.

Retention (`--history-days`, default 365): a line whose date of service is more than `history_days` before the
newest date of service that entered history so far is dropped. The cut-off depends only on the claims edited, in
their order, never on the wall clock, so `check` and `replay` give the same answer every time. Every edit asks
history about the date of service of the line it edits, so a line is only missed when that date is itself more
than `history_days` older than the newest one seen. Pruning happens on read and write of a patient, and for all
patients each time the cut-off has moved SWEEP_DAYS: memory stays bounded by the window, not the input.
"""

from __future__ import annotations

import datetime as dt

from edits.history import EMPTY_HISTORY, ClaimLines, HistoryChange, PatientHistory, apply_change

DEFAULT_HISTORY_DAYS = 365
SWEEP_DAYS = 7  # how far the cut-off moves between sweeps of every patient: a bound on memory, not on results


class MemoryHistory:
    """Patients' histories in a dict; `get` before editing a claim, `apply` its change after."""

    def __init__(self, history_days: int = DEFAULT_HISTORY_DAYS) -> None:
        if history_days < 0:
            raise ValueError(f"history days must not be negative, got {history_days}")
        self.history_days = history_days
        self._patients: dict[str, dict[str, ClaimLines]] = {}
        self._oldest: dict[str, dt.date] = {}  # per patient: oldest date of service kept (skips needless pruning)
        self._newest: dt.date | None = None
        self._cutoff: dt.date | None = None
        self._swept: dt.date | None = None

    @property
    def cutoff(self) -> dt.date | None:
        """Lines with a date of service before this are gone (None: nothing entered yet)."""
        return self._cutoff

    def get(self, patient_id: str) -> PatientHistory:
        claims = self._patients.get(patient_id)
        if not claims:
            return EMPTY_HISTORY
        self._prune(patient_id, claims)
        return PatientHistory(claims.values()) if claims else EMPTY_HISTORY

    def apply(self, patient_id: str, change: HistoryChange) -> None:
        if change.empty:
            return
        claims = self._patients.setdefault(patient_id, {})
        apply_change(claims, change)
        if change.add is not None and change.add.lines:
            days = [line.date_of_service for line in change.add.lines]
            oldest = min(days)
            if patient_id not in self._oldest or oldest < self._oldest[patient_id]:
                self._oldest[patient_id] = oldest
            self._advance(max(days))
        self._prune(patient_id, claims)

    def lines(self) -> int:
        """Lines kept, all patients (for reports and tests)."""
        return sum(len(claim.lines) for claims in self._patients.values() for claim in claims.values())

    def patients(self) -> int:
        return len(self._patients)

    def _advance(self, day: dt.date) -> None:
        if self._newest is not None and day <= self._newest:
            return
        self._newest = day
        self._cutoff = day - dt.timedelta(days=self.history_days)
        if self._swept is None or (self._cutoff - self._swept).days >= SWEEP_DAYS:
            self._swept = self._cutoff
            for patient_id, claims in list(self._patients.items()):
                self._prune(patient_id, claims)

    def _prune(self, patient_id: str, claims: dict[str, ClaimLines]) -> None:
        cutoff = self._cutoff
        oldest = self._oldest.get(patient_id)
        if cutoff is None or (oldest is not None and oldest >= cutoff):
            if not claims:
                self._forget(patient_id)
            return
        for claim_id, claim in list(claims.items()):
            kept = tuple(line for line in claim.lines if line.date_of_service >= cutoff)
            if not kept:
                del claims[claim_id]
            elif len(kept) != len(claim.lines):
                claims[claim_id] = ClaimLines(claim_id=claim_id, lines=kept)
        if claims:
            self._oldest[patient_id] = min(line.date_of_service for claim in claims.values() for line in claim.lines)
        else:
            self._forget(patient_id)

    def _forget(self, patient_id: str) -> None:
        self._patients.pop(patient_id, None)
        self._oldest.pop(patient_id, None)
