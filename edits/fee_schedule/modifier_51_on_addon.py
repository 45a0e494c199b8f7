"""Modifier 51 on an add-on code."""

from __future__ import annotations

from contracts import Claim, Finding
from edits.base import Edit
from edits.reference.model import ReferenceSet

MULTIPLE_PROCEDURES = "51"


class Modifier51OnAddon(Edit):
    """Modifier 51 (multiple procedures) is appended to an add-on code.

    Checks: each line carrying modifier 51 whose code is an add-on (global days
    ZZZ in the fee schedule, or listed in the NCCI add-on code table).

    Why: add-on codes are exempt from the multiple procedure reduction, so 51 on
    one is a coding error; left in place it can trigger a wrong reduction or a
    rejection downstream.

    Fails: 64629-51 with 64628.

    Passes: 64629 with no modifier, with 64628; 64628-51 (a primary code).

    Source: CPT guidelines on add-on codes and modifier 51; CMS Medicare Claims
    Processing Manual chapter 12, section 40.6; PFS multiple procedure indicator.
    """

    name = "modifier-51-on-addon"
    default_severity = "review"
    judges_modifiers = frozenset({MULTIPLE_PROCEDURES})

    def check(self, claim: Claim, reference: ReferenceSet) -> list[Finding]:
        findings: list[Finding] = []
        for line in claim.lines:
            if MULTIPLE_PROCEDURES not in line.modifiers:
                continue  # most lines: no reference lookup at all
            ref = reference.for_date(line.date_of_service)
            if ref.is_addon(line.code):
                findings.append(
                    Finding(
                        edit=self.name,
                        severity=self.severity,
                        lines=(line.line_number,),
                        code=line.code,
                        message=(
                            f"Modifier 51 is not appended to add-on code {line.code}: "
                            "add-on codes are exempt from the multiple procedure reduction. Remove modifier 51."
                        ),
                        reference_version=ref.version,
                        modifier=MULTIPLE_PROCEDURES,
                    )
                )
        return findings
