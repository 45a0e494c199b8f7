"""A code the fee schedule does not pay under its status code."""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping, Sequence
from typing import Any, NamedTuple

from contracts import Claim, FeeScheduleFacts, Finding, ServiceLine, Severity
from edits.base import Edit
from edits.fee_schedule.indicators import STATUS_WORDS, described
from edits.history.model import EMPTY_HISTORY, HistoryLine, PatientHistory, earlier_line
from edits.lines import provider_of
from edits.reference.model import Reference, ReferenceSet

_line_number = operator.attrgetter("line_number")

INJECTION = "T"
PAID_BESIDE_INJECTION = frozenset({"A", "C", "R"})
"""Statuses of the other fee schedule services that bundle a status-T injection billed the same day."""


class Ruling(NamedTuple):
    severity: Severity
    advice: str


RULINGS: dict[str, Ruling] = {
    "B": Ruling("deny", "Do not bill {code} separately: its payment is included in the services it goes with."),
    "P": Ruling("deny", "Do not bill {code} under the physician fee schedule: it is bundled, or paid under another benefit."),
    "I": Ruling("deny", "Bill the code Medicare uses for this service instead of {code}."),
    "G": Ruling("deny", "Bill the code Medicare uses for this service instead of {code}."),
    "N": Ruling("deny", "{code} is not a covered service: it is not payable."),
    "D": Ruling("deny", "{code} is deleted: bill the code in force on the date of service."),
    "F": Ruling("deny", "{code} is deleted: bill the code in force on the date of service."),
    "H": Ruling("deny", "Bill {code} without the deleted component modifier."),
    "R": Ruling("review", "Pay {code} only when the special coverage instructions are met."),
    "M": Ruling("info", "{code} reports a measure: no payment is due for it."),
    INJECTION: Ruling("deny", "Do not bill {code} separately: its payment is included in the other service."),
}
"""Status code -> severity and what to do. A, C, E, J and X are absent: nothing to say about them."""


def paid_services_beside(
    claim: Claim, line: ServiceLine, status_of: Callable[[ServiceLine], str | None]
) -> tuple[ServiceLine, ...]:
    """The claim's other lines of `line`'s date and provider whose fee schedule status is A, C or R, by line number.

    These are the "other services payable under the fee schedule" that bundle a status-T injection.
    `status_of` gives a line's status in the period in force on its date (None: not in the fee schedule).
    The patient's earlier claims count too: `paid_services_earlier` is the same rule over history.
    """
    day = line.date_of_service
    provider = provider_of(claim, line)
    found = [
        other
        for other in claim.lines
        if other is not line
        and other.date_of_service == day
        and status_of(other) in PAID_BESIDE_INJECTION
        and provider_of(claim, other) == provider
    ]
    return tuple(sorted(found, key=_line_number))


def paid_services_earlier(
    claim: Claim, line: ServiceLine, history: PatientHistory, reference: ReferenceSet
) -> tuple[HistoryLine, ...]:
    """Lines of the patient's earlier claims by `line`'s provider on its date whose status is A, C or R."""
    on_day = history.lines_on(provider_of(claim, line), line.date_of_service)
    if not on_day:
        return ()
    statuses = reference.for_date(line.date_of_service).fee_schedule
    return tuple(
        earlier for earlier in on_day if (entry := statuses.get(earlier.code)) is not None and entry.status in PAID_BESIDE_INJECTION
    )


class CodeNotPayable(Edit):
    """The code's fee schedule status code says it is not paid as billed (bundled, invalid, non-covered, deleted, restricted).

    Checks: each line's code against its status code in the fee schedule period
    in force on the line's date of service. B and P (bundled), I and G (not
    valid for Medicare: another code is used), N (non-covered), D, F and H
    (deleted) deny; R (restricted coverage) asks for review; M (measurement
    code, reporting only) is noted as info. T (injection) denies only when
    another line of the same date and the same provider (`provider_of`) has
    status A, C or R, on this claim or on an earlier claim of the patient
    (history); the finding names those lines. A, C, E, J, X and codes
    absent from the fee schedule get nothing: E and X codes (labs, drugs, DME,
    ambulance) are paid under other fee schedules. A policy `severity` for this
    edit replaces the per-status severities: every finding then has it.

    Why: the status code is CMS's own statement of whether and how a code is
    paid under the physician fee schedule; paying a bundled, invalid,
    non-covered or deleted code as billed is an overpayment.

    Fails: A4550 (status B); 0469T (N); 0001F (I): deny. 11055 (R): review.
    0500F (M): info. 96523 (T) with 99213 (A) on the same date by the same
    provider: deny, naming the 99213 line.

    Passes: 99213 (A); 80053 (X, clinical laboratory fee schedule); J1100 (E);
    96523 alone, or with 99213 on another date or by another provider.

    Source: CMS PFS relative value file, status code (RVU record layout,
    Attachment A: the meaning of every status, T's same-date same-provider rule).
    """

    name = "code-not-payable"
    default_severity = "deny"
    uses_history = True

    def __init__(self, severity: Severity | None = None, options: Mapping[str, Any] | None = None) -> None:
        super().__init__(severity, options)
        self._index: _StatusIndex | None = None

    def status_index(self, reference: ReferenceSet) -> _StatusIndex:
        """The codes to judge per period of `reference`, built on first use and kept while the engine keeps `reference`."""
        index = self._index
        if index is None or index.reference is not reference:
            index = self._index = _StatusIndex.of(reference)
        return index

    def check(self, claim: Claim, reference: ReferenceSet) -> Sequence[Finding]:
        return self.check_with_history(claim, reference, EMPTY_HISTORY)

    def check_with_history(self, claim: Claim, reference: ReferenceSet, history: PatientHistory) -> Sequence[Finding]:
        index = self._index
        if index is None or index.reference is not reference:
            index = self.status_index(reference)
        found: list[tuple[ServiceLine, Reference, str]] | None = None
        judged = index.only
        if judged is not None:
            for line in claim.lines:
                if line.code in judged:  # the common path: this one probe, false
                    found = found or []
                    found.append((line, reference.references[0], judged[line.code]))
        else:
            for line in claim.lines:
                ref = reference.for_date(line.date_of_service)
                status = index.by_period[id(ref)].get(line.code)
                if status is not None:
                    found = found or []
                    found.append((line, ref, status))
        if found is None:
            return ()
        findings = (self._finding(claim, line, ref, reference, status, history) for line, ref, status in found)
        return [finding for finding in findings if finding is not None]

    def _finding(
        self, claim: Claim, line: ServiceLine, ref: Reference, reference: ReferenceSet, status: str, history: PatientHistory
    ) -> Finding | None:
        ruling = RULINGS[status]
        others: tuple[ServiceLine, ...] = ()
        earlier: tuple[HistoryLine, ...] = ()
        if status == INJECTION:
            others = paid_services_beside(claim, line, _status_lookup(reference))
            earlier = paid_services_earlier(claim, line, history, reference) if history else ()
            if not others and not earlier:
                return None
        message = f"{line.code} has fee schedule status {described(STATUS_WORDS, status)}"
        listed = [f"line {other.line_number} ({other.code})" for other in others]
        listed += [f"claim {e.claim_id} line {e.line_number} ({e.code})" for e in earlier]
        if listed:
            verb = "bills" if len(listed) == 1 else "bill"
            message += f"; {', '.join(listed)} {verb} a fee schedule service on {line.date_of_service.isoformat()} by the same provider"
        return Finding(
            edit=self.name,
            severity=self.severity_override or ruling.severity,
            lines=(line.line_number,),
            code=line.code,
            message=f"{message}. {ruling.advice.format(code=line.code)}",
            reference_version=ref.version,
            facts=FeeScheduleFacts(indicator="status", value=status, other_lines=tuple(other.line_number for other in others)),
            history=tuple(earlier_line(e) for e in earlier),
        )


class _StatusIndex(NamedTuple):
    """Per period of one reference set (by id: `reference` holds the periods alive): code -> status, for the codes
    whose status has a ruling. Most billed codes are active (A): one probe of this table answers them, where the
    fee schedule would cost a probe, an attribute and a second lookup (measured: about twice the time)."""

    reference: ReferenceSet
    by_period: dict[int, dict[str, str]]
    only: dict[str, str] | None  # the one period's table, when there is one period

    @classmethod
    def of(cls, reference: ReferenceSet) -> _StatusIndex:
        by_period = {
            id(ref): {code: entry.status for code, entry in ref.fee_schedule.items() if entry.status in RULINGS}
            for ref in reference.references
        }
        only = by_period[id(reference.references[0])] if len(reference.references) == 1 else None
        return cls(reference, by_period, only)


def _status_lookup(reference: ReferenceSet) -> Callable[[ServiceLine], str | None]:
    def status_of(line: ServiceLine) -> str | None:
        entry = reference.for_date(line.date_of_service).fee_schedule.get(line.code)
        return entry.status if entry is not None else None

    return status_of
