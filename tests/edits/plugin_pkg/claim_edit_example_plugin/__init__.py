"""An outside edit: any line over ten units is flagged for review."""

from __future__ import annotations

from contracts import Claim, Finding
from edits.base import Edit
from edits.reference.model import ReferenceSet


class UnitsOverTen(Edit):
    """A line bills more than ten units.

    Checks: every line's units.
    Why: an example plugin.
    Fails: 99213 x 11.
    Passes: 99213 x 1.
    Source: none; this is a test fixture.
    """

    name = "units-over-ten"
    default_severity = "review"

    def check(self, claim: Claim, reference: ReferenceSet) -> list[Finding]:
        return [
            Finding(
                edit=self.name,
                severity=self.severity,
                lines=(line.line_number,),
                code=line.code,
                message=f"{line.code} bills {line.units} units",
                reference_version=reference.for_date(line.date_of_service).version,
            )
            for line in claim.lines
            if line.units > 10
        ]
