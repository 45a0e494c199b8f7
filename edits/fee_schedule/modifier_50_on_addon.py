"""Modifier 50 on an add-on code."""

from __future__ import annotations

from contracts import Claim, FeeScheduleFacts, Finding
from edits.base import Edit
from edits.fee_schedule.indicators import BILATERAL_WORDS
from edits.reference.model import ReferenceSet

BILATERAL = "50"
BILATERAL_ALLOWED = frozenset({"1", "3"})  # 150% rule, or 100% each side


class Modifier50OnAddon(Edit):
    """Modifier 50 (bilateral) is appended to an add-on code whose fee schedule bilateral indicator is not 1 or 3.

    Checks: each line carrying modifier 50 whose code is an add-on (global days
    ZZZ, or listed in the NCCI add-on code table). It passes when the code's
    PFS bilateral indicator is 1 or 3, since CMS prices some add-ons
    bilaterally (64636, 64480, 64484, 64491, 64492, 64494, 64495); it fails for
    0, 2, 9, or a code missing from the fee schedule.

    Why: CPT says modifier 50 is not appended to designated add-on codes; paying
    50 on an add-on the fee schedule does not price bilaterally overpays (150%).

    Fails: 64629-50 (bilateral indicator 0) with 64628.

    Passes: 64636-50 (bilateral indicator 1) with 64635-50.

    Source: CPT Appendix A (modifier 50); CMS PFS relative value file, bilateral
    surgery indicator (RVU record layout); Medicare Claims Processing Manual
    chapter 12, section 40.7.
    """

    name = "modifier-50-on-addon"
    default_severity = "deny"
    judges_modifiers = frozenset({BILATERAL})

    def check(self, claim: Claim, reference: ReferenceSet) -> list[Finding]:
        findings: list[Finding] = []
        for line in claim.lines:
            if BILATERAL not in line.modifiers:
                continue
            ref = reference.for_date(line.date_of_service)
            if not ref.is_addon(line.code):
                continue
            entry = ref.fee_schedule.get(line.code)
            indicator = entry.bilateral if entry is not None else None
            if indicator in BILATERAL_ALLOWED:
                continue
            described = BILATERAL_WORDS.get(indicator, indicator) if indicator is not None else "unknown (not in the fee schedule)"
            findings.append(
                Finding(
                    edit=self.name,
                    severity=self.severity,
                    lines=(line.line_number,),
                    code=line.code,
                    message=(
                        f"Modifier 50 is not appended to add-on code {line.code}: its fee schedule bilateral indicator is {described}. "
                        "Report the add-on without 50, with units for each side if the MUE allows."
                    ),
                    reference_version=ref.version,
                    modifier=BILATERAL,
                    facts=FeeScheduleFacts(indicator="bilateral", value=indicator) if indicator is not None else None,
                )
            )
        return findings
