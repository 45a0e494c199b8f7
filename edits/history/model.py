"""The history model: lines of earlier claims, one patient at a time, and the change one edited claim makes.

Stored forms are msgspec array-like structs: compact in Redis (msgpack) and cheap to decode.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from types import MappingProxyType
from typing import NamedTuple

import msgspec

from contracts import Claim, EarlierLine, ServiceLine


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
    A store applies it mechanically with `apply_change`: drop `remove`, then add `add` (appending to
    lines already kept under the same claim_id: a claim sent again adds the lines that were not denied).
    """

    remove: tuple[str, ...] = ()
    add: ClaimLines | None = None

    @property
    def empty(self) -> bool:
        return not self.remove and self.add is None


NO_CHANGE = HistoryChange()


def apply_change(claims: dict[str, ClaimLines], change: HistoryChange) -> None:
    """THE rule every store follows (memory here; Redis mirrors it in its commit script): drop the claims
    `remove` names, then append `add`'s lines under its claim_id (after lines already kept there)."""
    for claim_id in change.remove:
        claims.pop(claim_id, None)
    add = change.add
    if add is not None:
        kept = claims.get(add.claim_id)
        claims[add.claim_id] = add if kept is None else ClaimLines(claim_id=add.claim_id, lines=kept.lines + add.lines)


class ClaimDay(NamedTuple):
    """The lines of the claim being edited by one provider on one date, and history's lines of that provider and date."""

    provider: str
    day: dt.date
    lines: Sequence[ServiceLine]
    """This claim's lines of `provider` on `day`, in line order."""
    on_day: Mapping[str, Sequence[HistoryLine]]
    """`PatientHistory.codes_on(provider, day)`: never empty here."""


_NOTHING: Mapping[str, Sequence[HistoryLine]] = MappingProxyType({})


class PatientHistory:
    """One patient's earlier claims, read-only, indexed for the question every edit asks:
    which lines did this provider bill on this date of service?"""

    __slots__ = ("_by_claim", "_claim", "_meets", "_on_day", "removed")

    def __init__(self, claims: Iterable[ClaimLines] = (), *, removed: frozenset[str] = frozenset()) -> None:
        self._by_claim: dict[str, ClaimLines] = {claim.claim_id: claim for claim in claims}
        self.removed = removed
        """Claims taken out of this view for the claim being edited (the original of a replacement or void)."""
        self._on_day: dict[tuple[str, dt.date], Mapping[str, Sequence[HistoryLine]]] = {}  # answers, kept per question
        self._claim: Claim | None = None  # the claim `meets` answered last, and its answer
        self._meets: tuple[ClaimDay, ...] = ()

    def __bool__(self) -> bool:
        return bool(self._by_claim)

    @property
    def claims(self) -> Mapping[str, ClaimLines]:
        return self._by_claim

    def has_claim(self, claim_id: str) -> bool:
        return claim_id in self._by_claim

    def codes_on(self, provider: str, day: dt.date) -> Mapping[str, Sequence[HistoryLine]]:
        """Lines of earlier claims by `provider` on `day`, by code (empty when none): the question every edit asks."""
        if not self._by_claim:
            return _NOTHING  # and nothing cached: EMPTY_HISTORY is shared
        key = (provider, day)
        found = self._on_day.get(key)
        if found is None:
            # One scan per (provider, day) asked, not an index of every line: a claim asks about one or two days,
            # and a patient's history is mostly other days. Claims are visited by claim_id (each claim's lines in
            # their order), not in the store's order (a Redis hash has none): findings read the same from every
            # store. Sorting the few claim ids costs less than sorting the matched lines by claim_id (same order).
            by_claim = self._by_claim
            by_code: dict[str, list[HistoryLine]] | None = None
            for claim_id in sorted(by_claim) if len(by_claim) > 1 else by_claim:
                for line in by_claim[claim_id].lines:
                    if line.date_of_service == day and line.provider == provider:
                        if by_code is None:
                            by_code = {line.code: [line]}
                        else:
                            same_code = by_code.get(line.code)
                            if same_code is None:
                                by_code[line.code] = [line]
                            else:
                                same_code.append(line)
            found = _NOTHING if by_code is None else by_code
            self._on_day[key] = found
        return found

    def meets(self, claim: Claim) -> tuple[ClaimDay, ...]:
        """The claim's lines by (provider, date of service) (`edits.lines.provider_of`) where history holds a line of
        that provider and date, in first-line order; empty when history holds none (then it changes no edit's answer).

        The engine's first question about a claim: most claims meet no earlier line (a new patient, earlier claims
        on other days), and then history changes nothing. The history edits ask it again for the same claim: the
        answer for the last claim asked is kept (a claim is immutable), so its lines are grouped once, not per edit.
        """
        if claim is self._claim:
            return self._meets
        if not self._by_claim:
            return ()  # and nothing kept: EMPTY_HISTORY is shared
        default = claim.rendering_provider_npi or claim.billing_provider_npi
        lines = claim.lines
        first = lines[0]
        provider = first.rendering_provider_npi or default
        day = first.date_of_service
        for line in lines:  # a plain loop: the usual claim is one provider on one date, one group
            if line.date_of_service != day or (line.rendering_provider_npi or default) != provider:
                meets = self._groups(claim, default)
                break
        else:
            on_day = self.codes_on(provider, day)
            meets = (ClaimDay(provider, day, lines, on_day),) if on_day else ()
        self._claim = claim
        self._meets = meets
        return meets

    def _groups(self, claim: Claim, default: str) -> tuple[ClaimDay, ...]:
        groups: dict[tuple[str, dt.date], list[ServiceLine]] = {}  # edits.lines.lines_by_provider_and_day, with its default
        for line in claim.lines:
            key = (line.rendering_provider_npi or default, line.date_of_service)
            group = groups.get(key)
            if group is None:
                groups[key] = [line]
            else:
                group.append(line)
        meets = []
        for (provider, day), lines in groups.items():
            on_day = self.codes_on(provider, day)
            if on_day:
                meets.append(ClaimDay(provider, day, lines, on_day))
        return tuple(meets)

    def lines_on(self, provider: str, day: dt.date) -> Sequence[HistoryLine]:
        """Lines of earlier claims by `provider` on `day` (empty when none), code by code."""
        on_day = self.codes_on(provider, day)
        return [line for lines in on_day.values() for line in lines] if on_day else ()

    def without(self, claim_ids: Iterable[str]) -> PatientHistory:
        """This history with those claims' lines gone (a replacement is edited without its original); `removed` says which."""
        gone = frozenset(claim_ids)
        if not gone:
            return self
        claims = (claim for claim_id, claim in self._by_claim.items() if claim_id not in gone)
        return PatientHistory(claims, removed=self.removed | (gone & self._by_claim.keys()))


EMPTY_HISTORY = PatientHistory()
