"""Add-on without primary."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

from contracts import AddOnFacts, Claim, Finding, ServiceLine
from edits.base import Edit
from edits.history.model import PatientHistory
from edits.reference.model import CONTRACTOR_DEFINED_PRIMARY, AddOnPairing, ReferenceSet

PRIMARIES_KEPT = 4_096  # (code, day) answers kept before the cache starts over


def _billed_with(lines: Sequence[ServiceLine], primaries: frozenset[str], day: dt.date, provider: str, claim_provider: str) -> bool:
    """Whether a line bills one of `primaries` on `day` by `provider` (`provider_of`: the line's NPI, else the claim's)."""
    for other in lines:  # a loop, not any() over a generator: cheaper per claim
        if other.code in primaries and other.date_of_service == day and (other.rendering_provider_npi or claim_provider) == provider:
            return True
    return False


class AddonWithoutPrimary(Edit):
    """An add-on code is billed without an eligible primary procedure on the same date of service.

    Checks: each line whose code the NCCI add-on code table lists. The pairings in
    force on the line's date of service give the eligible primaries: type 1 the
    listed primaries, type 2 the contractor's list (policy option
    `contractor_primaries`, add-on code -> primaries), type 3 both. The edit
    fires when no line on the claim with the same date of service bills one of
    them for the same provider (line rendering NPI, else claim rendering NPI,
    else billing NPI), and no earlier claim of the patient in history has one
    on that date by that provider. Several add-on lines may share one primary.
    A type 2 add-on with no configured primaries is not judged.

    Why: an add-on code describes work done in addition to a primary procedure
    and is payable only with it (same patient, same date of service, same
    practitioner).

    Fails: 64629 x1 on 2025-03-04 with no 64628 on the claim; or with 64628 billed
    by another rendering provider.

    Passes: 64628 x1 and 64629 x2 on 2025-03-04; or 64636 with 64635 on the same
    date; or 64629 alone when an earlier claim has 64628 by the same provider that day.

    Source: CMS NCCI add-on code edits (NCCI Policy Manual, chapter I, section
    R; the quarterly Add-on Code Edit Table with AOC edit types 1, 2, 3).
    """

    name = "addon-without-primary"
    default_severity = "deny"
    uses_history = True

    def __init__(self, severity: str | None = None, options: Mapping[str, object] | None = None) -> None:
        super().__init__(severity, options)  # type: ignore[arg-type]
        configured = self.options.get("contractor_primaries", {})
        if not isinstance(configured, Mapping):
            raise ValueError("addon-without-primary: contractor_primaries must be a table of add-on code -> list of primaries")
        self.contractor_primaries: dict[str, frozenset[str]] = {
            str(code): frozenset(map(str, primaries)) for code, primaries in configured.items()
        }
        # (code, day) -> (the pairings read, the primaries they give): an add-on recurs on many claims of a day.
        self._primaries: dict[tuple[str, dt.date], tuple[Sequence[AddOnPairing], frozenset[str]]] = {}

    def eligible_primaries(self, code: str, pairings: Sequence[AddOnPairing], day: dt.date) -> frozenset[str]:
        primaries: set[str] = set()
        contractor = False
        for pairing in pairings:
            if not pairing.in_force(day):
                continue
            if pairing.edit_type in (2, 3):
                contractor = True
            if pairing.primary != CONTRACTOR_DEFINED_PRIMARY:
                primaries.add(pairing.primary)
        if contractor:
            primaries |= self.contractor_primaries.get(code, frozenset())
        return frozenset(primaries)

    def _eligible(self, code: str, pairings: Sequence[AddOnPairing], day: dt.date) -> frozenset[str]:
        """`eligible_primaries`, kept per (code, day) while the period's pairings are the same object."""
        key = (code, day)
        kept = self._primaries.get(key)
        if kept is not None and kept[0] is pairings:
            return kept[1]
        if len(self._primaries) >= PRIMARIES_KEPT:
            self._primaries.clear()
        primaries = self.eligible_primaries(code, pairings, day)
        self._primaries[key] = (pairings, primaries)
        return primaries

    def check(self, claim: Claim, reference: ReferenceSet) -> list[Finding]:
        return self._check(claim, reference, None)

    def check_with_history(self, claim: Claim, reference: ReferenceSet, history: PatientHistory) -> list[Finding]:
        return self._check(claim, reference, history or None)

    def _check(self, claim: Claim, reference: ReferenceSet, history: PatientHistory | None) -> list[Finding]:
        findings: list[Finding] = []
        lines = claim.lines
        claim_provider = claim.rendering_provider_npi or claim.billing_provider_npi  # provider_of, the claim's part once
        refs = reference.references
        only = refs[0] if len(refs) == 1 else None  # one period: no per-line date lookup
        for line in lines:
            day = line.date_of_service
            ref = only if only is not None else reference.for_date(day)
            pairings = ref.addons.get(line.code)
            if pairings is None:
                continue
            primaries = self._eligible(line.code, pairings, day)
            if not primaries:
                continue
            provider = line.rendering_provider_npi or claim_provider
            if _billed_with(lines, primaries, day, provider, claim_provider):
                continue
            if history is not None and not primaries.isdisjoint(history.codes_on(provider, day)):
                continue  # the primary is on an earlier claim of the same date and provider
            sought = tuple(sorted(primaries))
            findings.append(
                Finding(
                    edit=self.name,
                    severity=self.severity,
                    lines=(line.line_number,),
                    code=line.code,
                    message=(
                        f"{line.code} is an add-on code and is paid only with its primary procedure on the same date of service "
                        f"by the same provider; none of {', '.join(sought)} is billed on {day.isoformat()} by this provider."
                    ),
                    reference_version=ref.version,
                    facts=AddOnFacts(primaries_sought=sought),
                )
            )
        return findings
