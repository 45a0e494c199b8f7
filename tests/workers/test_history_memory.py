"""The in-memory history store of `check` and `replay`: the shared apply rule, and retention by date of service."""

from __future__ import annotations

import datetime as dt

import pytest

from edits.history import ClaimLines, HistoryChange, HistoryLine
from workers.history.memory import SWEEP_DAYS, MemoryHistory

DAY = dt.date(2025, 3, 4)


def lines(claim_id: str, *days: dt.date, code: str = "64628") -> ClaimLines:
    return ClaimLines(claim_id=claim_id, lines=tuple(HistoryLine(claim_id, n, "1234567893", day, code) for n, day in enumerate(days, 1)))


def test_apply_adds_appends_and_removes_per_patient() -> None:
    store = MemoryHistory()
    assert not store.get("P")
    store.apply("P", HistoryChange(add=lines("A", DAY)))
    store.apply("P", HistoryChange(add=lines("A", DAY, code="64629")))  # the same claim_id sent again: appended
    store.apply("Q", HistoryChange(add=lines("B", DAY)))
    assert [line.code for line in store.get("P").lines_on("1234567893", DAY)] == ["64628", "64629"]
    assert not store.get("P").has_claim("B")
    store.apply("P", HistoryChange(remove=("A",)))
    assert not store.get("P")
    assert (store.patients(), store.lines()) == (1, 1)


def test_lines_older_than_the_window_before_the_newest_date_of_service_are_dropped() -> None:
    store = MemoryHistory(history_days=10)
    store.apply("P", HistoryChange(add=lines("A", DAY, DAY + dt.timedelta(days=5))))
    assert store.cutoff == DAY + dt.timedelta(days=5 - 10)
    store.apply("Q", HistoryChange(add=lines("B", DAY + dt.timedelta(days=11))))  # newest moves: cutoff DAY + 1
    assert store.cutoff == DAY + dt.timedelta(days=1)
    kept = store.get("P")
    assert kept.lines_on("1234567893", DAY) == ()
    assert [line.line_number for line in kept.lines_on("1234567893", DAY + dt.timedelta(days=5))] == [2]
    store.apply("Q", HistoryChange(add=lines("C", DAY + dt.timedelta(days=30))))
    assert not store.get("P")
    assert (store.patients(), store.lines()) == (1, 1)  # Q: only C; B fell out of the window


def test_a_sweep_prunes_patients_that_are_not_read_again() -> None:
    store = MemoryHistory(history_days=0)
    for n in range(50):
        store.apply(f"P{n}", HistoryChange(add=lines(f"C{n}", DAY + dt.timedelta(days=n))))
    # Without sweeps all 50 would stay; each sweep keeps only what is inside the window as of the last sweep.
    assert store.lines() <= SWEEP_DAYS + 1
    assert store.get("P49")


def test_an_older_claim_than_the_window_finds_no_history_and_the_answer_does_not_depend_on_timing() -> None:
    def run() -> list[bool]:
        store = MemoryHistory(history_days=3)
        seen = []
        for patient, day in (("P", DAY), ("Q", DAY + dt.timedelta(days=10)), ("P", DAY)):
            seen.append(bool(store.get(patient).lines_on("1234567893", day)))
            store.apply(patient, HistoryChange(add=lines(f"{patient}{day}", day)))
        return seen

    assert run() == run() == [False, False, False]


def test_negative_history_days_are_refused() -> None:
    with pytest.raises(ValueError, match="must not be negative"):
        MemoryHistory(history_days=-1)
