"""Co-surgeons on a code that does not permit them."""

from __future__ import annotations

from collections.abc import Mapping

from contracts import Severity
from edits.fee_schedule.indicators import CO_SURGEON_WORDS
from edits.fee_schedule.modifier_indicator import ModifierIndicatorEdit

CO_SURGEONS = "62"

RULINGS: Mapping[str, Mapping[str, Severity]] = {CO_SURGEONS: {"0": "deny", "1": "review", "9": "deny"}}
"""Modifier -> indicator value -> severity of the finding; values not listed pass."""

ADVICE: Mapping[str, str] = {
    "0": "Bill {code} without 62, by one surgeon (an assistant, if any, with an assistant modifier).",
    "1": "Pay each co-surgeon only if the documentation establishes the medical necessity of two surgeons.",
    "9": "Remove modifier 62: {code} has no co-surgeons.",
}
"""Indicator value -> what to do, ending the message."""


class CoSurgeonNotPermitted(ModifierIndicatorEdit):
    """Modifier 62 (two surgeons) is on a code whose fee schedule co-surgeon indicator does not permit co-surgeons.

    Checks: each line carrying modifier 62, against the co-surgeon indicator of
    its code in the fee schedule period in force on the line's date of service.
    Indicator 0 (not permitted) and 9 (concept does not apply) deny; 1 (paid
    with documentation of medical necessity) asks for review; 2 passes. A code
    absent from the fee schedule is not judged. A policy `severity` for this
    edit replaces the per-value severities: every finding then has it.

    Why: each co-surgeon is paid 62.5% of the fee schedule amount; on a code
    that does not permit co-surgeons that pays 125% for one procedure.

    Fails: 64628-62 (co-surgeon indicator 0): deny. 27130-62 (indicator 1): review.

    Passes: 22612-62 (indicator 2); 64628 with no modifier 62.

    Source: CMS PFS relative value file, co-surgeons indicator (RVU record
    layout); Medicare Claims Processing Manual chapter 12, section 40.8.
    """

    name = "co-surgeon-not-permitted"
    default_severity = "deny"
    indicator = "co_surgeons"
    label = "co-surgeon indicator"
    words = CO_SURGEON_WORDS
    rulings = RULINGS
    advice = ADVICE
