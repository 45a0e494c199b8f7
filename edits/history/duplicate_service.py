"""Duplicate service."""

from __future__ import annotations

from collections.abc import Sequence

from contracts import Claim, EarlierLine, Finding, ServiceLine
from edits.base import Edit
from edits.history.model import HistoryLine, PatientHistory, earlier_line
from edits.reference.model import ReferenceSet

REPEAT_MODIFIERS = frozenset({"76", "77", "91"})
"""76 repeat by the same physician, 77 by another physician, 91 repeat clinical laboratory test."""


class DuplicateService(Edit):
    """A service line repeats a line of an earlier claim of the same patient: same code, modifiers, units, date and provider.

    Checks: each line of the claim against the patient's history (lines of earlier
    claims that were not denied). A line is a duplicate when an earlier line has
    the same code, the same set of modifiers (order does not matter), the same
    units, the same date of service and the same provider (the line's rendering
    NPI, else the claim's rendering NPI, else the billing NPI), whatever the
    earlier claim's id: a claim sent again under its own claim_id without
    frequency code 7 is a duplicate (a corrected claim must be a replacement,
    which takes its original out of history first). A line with modifier 76, 77
    or 91 is a declared repeat and is not judged. Across claims only: identical
    lines inside one claim are not this edit's business, and without history it
    finds nothing. The finding names the earlier claims and lines.

    Why: sending a claim twice, or billing the same service on a second claim, is
    the most common way one service is paid twice; a per-claim editor cannot see it.

    Fails: 64628 x1 on 2025-03-04 by the same provider on claim B, after claim A
    billed 64628 x1 on that date (or claim A sent a second time).

    Passes: the same line with modifier 76; a different date, provider, unit count
    or modifier set; a replacement (frequency 7) of claim A.

    Source: CMS Medicare Claims Processing Manual (Pub. 100-04) chapter 1, section
    120 (detection of duplicate claims: same beneficiary, date of service, procedure
    code, modifiers and provider); CPT/NCCI repeat modifiers 76, 77 and 91.
    """

    name = "duplicate-service"
    default_severity = "deny"
    uses_history = True

    def check(self, claim: Claim, reference: ReferenceSet) -> tuple[Finding, ...]:
        return ()  # duplicates are across claims: without history there is nothing to compare

    def check_with_history(self, claim: Claim, reference: ReferenceSet, history: PatientHistory) -> list[Finding]:
        findings: list[Finding] = []
        meets = history.meets(claim)
        if not meets:
            return findings
        # Group by group (the usual claim is one): each line against history's lines of its provider and date.
        # The engine sorts the findings by line.
        for group in meets:
            on_day = group.on_day
            for line in group.lines:
                candidates = on_day.get(line.code)
                if not candidates:
                    continue  # the common path: history has no line of this code
                if line.modifiers and not REPEAT_MODIFIERS.isdisjoint(line.modifiers):
                    continue
                finding = self._duplicate(line, candidates, reference)
                if finding is not None:
                    findings.append(finding)
        return findings

    def _duplicate(self, line: ServiceLine, candidates: Sequence[HistoryLine], reference: ReferenceSet) -> Finding | None:
        """The finding for `line` when one of `candidates` (history's lines of its code, provider and date) repeats it."""
        units = line.units
        modifiers = frozenset(line.modifiers)
        same = [earlier for earlier in candidates if earlier.units == units and frozenset(earlier.modifiers) == modifiers]
        if not same:
            return None
        if len(same) == 1:  # the usual repeat: one earlier line (no generator and join for it)
            first = same[0]
            where = f"claim {first.claim_id} line {first.line_number}"
            earlier_lines: tuple[EarlierLine, ...] = (earlier_line(first),)
        else:
            where = ", ".join(f"claim {earlier.claim_id} line {earlier.line_number}" for earlier in same)
            earlier_lines = tuple(map(earlier_line, same))
        refs = reference.references
        return Finding(
            edit=self.name,
            severity=self.severity,
            lines=(line.line_number,),
            code=line.code,
            message=(
                f"{line.code} x{units:g} on {line.date_of_service.isoformat()} by the same provider "
                f"was already billed ({where}); a repeat service takes modifier 76, 77 or 91, "
                "a corrected claim is sent as a replacement (frequency code 7)."
            ),
            reference_version=(refs[0] if len(refs) == 1 else reference.for_date(line.date_of_service)).version,
            history=earlier_lines,
        )
