"""Modifier 26 or TC on a code that has no such component."""

from __future__ import annotations

from collections.abc import Mapping

from contracts import Severity
from edits.fee_schedule.indicators import PCTC_WORDS
from edits.fee_schedule.modifier_indicator import ModifierIndicatorEdit

PROFESSIONAL = "26"
TECHNICAL = "TC"
PCTC_VALUES = "0123456789"
ALLOWS_26 = frozenset({"1", "6"})  # diagnostic tests with both components; laboratory physician interpretation
ALLOWS_TC = frozenset({"1"})

RULINGS: Mapping[str, Mapping[str, Severity]] = {
    PROFESSIONAL: {value: "deny" for value in PCTC_VALUES if value not in ALLOWS_26},
    TECHNICAL: {value: "deny" for value in PCTC_VALUES if value not in ALLOWS_TC},
}
"""Modifier -> indicator value -> severity of the finding; values not listed pass."""

ADVICE: Mapping[str, str] = {
    "0": "Report {code} without {modifiers}.",
    "2": "Report {code} without {modifiers}: the code itself is the professional component.",
    "3": "Report {code} without {modifiers}: the code itself is the technical component.",
    "4": "Report the code for the component performed (professional-only or technical-only) instead of {code}-{modifiers}.",
    "5": "Report {code} without {modifiers}.",
    "6": "Report {code} without TC: the test itself is paid under the clinical laboratory fee schedule.",
    "7": "Report {code} without {modifiers}.",
    "8": "Report {code} without {modifiers}: the interpretation is paid as the code itself, the test under the laboratory fee schedule.",
    "9": "Report {code} without {modifiers}.",
}
"""Indicator value -> what to do, ending the message."""


class PctcModifierInvalid(ModifierIndicatorEdit):
    """Modifier 26 (professional component) or TC (technical component) is on a code whose PC/TC indicator does not allow it.

    Checks: each line carrying 26 or TC, against the PC/TC indicator of its code
    in the fee schedule period in force on the line's date of service. 26 is
    allowed with indicators 1 and 6, TC with 1 only; any other indicator (0, 2,
    3, 4, 5, 7, 8, 9) refuses them (deny). A line with both gets one finding
    naming those refused. A code absent from the fee schedule is not judged.

    Why: only diagnostic tests with a professional and a technical component are
    priced per component; 26 or TC elsewhere asks for a component payment the
    code does not have (a physician service, a component-only code, a global-only
    test), which the payer cannot price.

    Fails: 99213-26 (indicator 0); 93010-26 (2, already the professional
    component); 93005-TC (3); 93000-TC (4); 86153-TC (6).

    Passes: 71046-26 and 71046-TC (indicator 1); 86153-26 (6).

    Source: CMS PFS relative value file, PC/TC indicator (RVU record layout,
    Attachment A); Medicare Claims Processing Manual chapter 13, section 20.
    """

    name = "pctc-modifier-invalid"
    default_severity = "deny"
    indicator = "pctc"
    label = "PC/TC indicator"
    words = PCTC_WORDS
    rulings = RULINGS
    advice = ADVICE
