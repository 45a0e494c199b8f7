"""Modifier 50 on a code the fee schedule does not pay as bilateral."""

from __future__ import annotations

from collections.abc import Mapping

from contracts import Severity
from edits.fee_schedule.indicators import BILATERAL_WORDS
from edits.fee_schedule.modifier_indicator import ModifierIndicatorEdit
from edits.reference.model import ADDON_GLOBAL_DAYS, FeeScheduleEntry, Reference

BILATERAL = "50"

RULINGS: Mapping[str, Mapping[str, Severity]] = {BILATERAL: {"0": "deny", "2": "deny", "9": "deny"}}
"""Modifier -> indicator value -> severity of the finding; values not listed pass."""

ADVICE: Mapping[str, str] = {
    "0": "Report {code} without 50; if a separate code describes the bilateral procedure, report that code.",
    "2": "Report {code} once, without 50: its payment already covers both sides.",
    "9": "Remove modifier 50: {code} is not a procedure with sides.",
}
"""Indicator value -> what to do, ending the message."""


class Modifier50NotBilateral(ModifierIndicatorEdit):
    """Modifier 50 (bilateral) is on a code, not an add-on, whose fee schedule bilateral indicator is 0, 2 or 9.

    Checks: each line carrying modifier 50 whose code is not an add-on, against
    the bilateral indicator of its code in the fee schedule period in force on
    the line's date of service. Indicators 0 (bilateral inappropriate), 2
    (already bilateral) and 9 (concept does not apply) deny; 1 (150% rule) and
    3 (100% each side) pass. Add-ons (global days ZZZ, or listed in the NCCI
    add-on code table) are `modifier-50-on-addon`'s, so one 50 never gets two
    findings. A code absent from the fee schedule is not judged.

    Why: 50 asks for a bilateral payment (150% under indicator 1). A code
    whose value already covers both sides (2), or that cannot be done on both
    sides (0), or has no sides (9), is paid once: 50 on it overpays or
    misreports the service.

    Fails: 64628-50 (bilateral indicator 0); 69210-50 (indicator 2); 11300-50
    (indicator 9).

    Passes: 64635-50 (indicator 1); 73030-50 (indicator 3); 64629-50 (an
    add-on: judged by modifier-50-on-addon instead).

    Source: CMS PFS relative value file, bilateral surgery indicator (RVU
    record layout); Medicare Claims Processing Manual chapter 12, section 40.7.
    """

    name = "modifier-50-not-bilateral"
    default_severity = "deny"
    indicator = "bilateral"
    label = "bilateral indicator"
    words = BILATERAL_WORDS
    rulings = RULINGS
    advice = ADVICE

    def judges(self, ref: Reference, code: str, entry: FeeScheduleEntry) -> bool:
        # Add-ons go to modifier-50-on-addon (the same test as Reference.is_addon, with the entry in hand).
        return entry.global_days != ADDON_GLOBAL_DAYS and code not in ref.addons
