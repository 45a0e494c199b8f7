"""Assistant at surgery on a code that does not pay one."""

from __future__ import annotations

from collections.abc import Mapping

from contracts import Severity
from edits.fee_schedule.indicators import ASSISTANT_WORDS
from edits.fee_schedule.modifier_indicator import ModifierIndicatorEdit

ASSISTANT_MODIFIERS = ("80", "81", "82", "AS")  # assistant surgeon, minimum assistant, no resident available, PA/NP/CNS

RULINGS: Mapping[str, Mapping[str, Severity]] = {
    modifier: {"0": "review", "1": "deny", "9": "deny"} for modifier in ASSISTANT_MODIFIERS
}
"""Modifier -> indicator value -> severity of the finding; values not listed pass."""

ADVICE: Mapping[str, str] = {
    "0": "Pay the assistant only if the operative report establishes medical necessity; without it, remove the assistant line.",
    "1": "An assistant at surgery is not payable for {code}: remove the assistant line.",
    "9": "Remove {modifiers}: {code} has no assistant at surgery.",
}
"""Indicator value -> what to do, ending the message."""


class AssistantAtSurgeryNotPayable(ModifierIndicatorEdit):
    """An assistant-at-surgery modifier (80, 81, 82, AS) is on a code whose fee schedule indicator does not pay an assistant.

    Checks: each line carrying 80, 81, 82 or AS, against the assistant-at-surgery
    indicator of its code in the fee schedule period in force on the line's date
    of service. Indicator 1 (statutory payment restriction) and 9 (concept does
    not apply) deny; 0 (paid only with documentation of medical necessity) asks
    for review; 2 passes. One finding per line, naming every assistant modifier
    on it. A code absent from the fee schedule is not judged. A policy
    `severity` for this edit replaces the per-value severities: every finding
    then has the policy's severity.

    Why: Medicare never pays an assistant at surgery for indicator 1 codes (the
    statute forbids it) and pays one for indicator 0 codes only when the
    operative report establishes medical necessity; paying the claim as billed
    overpays.

    Fails: 64628-80 (assistant indicator 1): deny. 15600-AS (indicator 0):
    review. 77014-80 (indicator 9): deny.

    Passes: 27447-80 (indicator 2); 64628 with no assistant modifier.

    Source: CMS PFS relative value file, assistant at surgery indicator (RVU
    record layout); Medicare Claims Processing Manual chapter 12, section 20.4.3;
    Social Security Act section 1848(i)(2)(B).
    """

    name = "assistant-at-surgery-not-payable"
    default_severity = "deny"
    indicator = "assistant"
    label = "assistant-at-surgery indicator"
    words = ASSISTANT_WORDS
    rulings = RULINGS
    advice = ADVICE
