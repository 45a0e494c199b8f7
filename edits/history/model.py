"""The history model: lines of earlier claims, one patient at a time, and the change one edited claim makes.

Stored forms are msgspec array-like structs: compact in Redis (msgpack) and cheap to decode.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence

import msgspec

from contracts import EarlierLine


class HistoryLine(msgspec.Struct, frozen=True, array_like=True, gc=False):
    """One service line of an earlier claim that entered history (it got no `deny` finding)."""

    claim_id: str
    line_number: int
    provider: str  # edits.lines.provider_of: line rendering NPI, else claim rendering NPI, else billing NPI
    date_of_service: dt.date
    code: str
    modifiers: tuple[str, ...] = ()
    units: int | float = 1


def earlier_line(line: HistoryLine) -> EarlierLine:
    """How a finding names a line of history it relied on (Finding.history)."""
    return EarlierLine(
        claim_id=line.claim_id, line_number=line.line_number, code=line.code, units=line.units, date_of_service=line.date_of_service
    )


class ClaimLines(msgspec.Struct, frozen=True, array_like=True, gc=False):
    """What history keeps of one claim: its lines in force, keyed in a store by `claim_id`."""

    claim_id: str
    lines: tuple[HistoryLine, ...]


class HistoryChange(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """What committing one edited claim does to its patient's history.

    `remove` names claims whose lines leave history (the original of a replacement or a void, when
    found); `add` is this claim's lines that enter it (none for a void, or when every line was denied).
    A store applies it mechanically: drop `remove`, then add `add` (appending to lines already kept
    under the same claim_id).
    """

    remove: tuple[str, ...] = ()
    add: ClaimLines | None = None

    @property
    def empty(self) -> bool:
        return not self.remove and self.add is None


NO_CHANGE = HistoryChange()


class PatientHistory:
    """One patient's earlier claims, read-only, indexed for the question every edit asks:
    which lines did this provider bill on this date of service?"""

    __slots__ = ("_by_claim", "_by_provider_day")

    def __init__(self, claims: Iterable[ClaimLines] = ()) -> None:
        self._by_claim: dict[str, ClaimLines] = {claim.claim_id: claim for claim in claims}
        self._by_provider_day: dict[tuple[str, dt.date], list[HistoryLine]] | None = None  # built on first question

    def __bool__(self) -> bool:
        return bool(self._by_claim)

    @property
    def claims(self) -> Mapping[str, ClaimLines]:
        return self._by_claim

    def has_claim(self, claim_id: str) -> bool:
        return claim_id in self._by_claim

    def lines_on(self, provider: str, day: dt.date) -> Sequence[HistoryLine]:
        """Lines of earlier claims by `provider` on `day` (empty when none)."""
        index = self._by_provider_day
        if index is None:
            index = {}
            for claim in self._by_claim.values():
                for line in claim.lines:
                    index.setdefault((line.provider, line.date_of_service), []).append(line)
            self._by_provider_day = index
        return index.get((provider, day), ())

    def without(self, claim_ids: Iterable[str]) -> PatientHistory:
        """This history with those claims' lines gone (a replacement is edited without its original)."""
        gone = set(claim_ids)
        return PatientHistory(claim for claim_id, claim in self._by_claim.items() if claim_id not in gone)


EMPTY_HISTORY = PatientHistory()
