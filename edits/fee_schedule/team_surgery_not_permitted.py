"""Team surgery on a code that does not permit it."""

from __future__ import annotations

from collections.abc import Mapping

from contracts import Severity
from edits.fee_schedule.indicators import TEAM_WORDS
from edits.fee_schedule.modifier_indicator import ModifierIndicatorEdit

TEAM_SURGERY = "66"

RULINGS: Mapping[str, Mapping[str, Severity]] = {TEAM_SURGERY: {"0": "deny", "1": "review", "9": "deny"}}
"""Modifier -> indicator value -> severity of the finding; values not listed pass."""

ADVICE: Mapping[str, str] = {
    "0": "Bill {code} without 66 (one surgeon; co-surgeons or assistants with their own modifiers if the code permits them).",
    "1": "Pay the team only if the documentation establishes the medical necessity of a team.",
    "9": "Remove modifier 66: {code} has no surgical team.",
}
"""Indicator value -> what to do, ending the message."""


class TeamSurgeryNotPermitted(ModifierIndicatorEdit):
    """Modifier 66 (surgical team) is on a code whose fee schedule team surgery indicator does not permit a team.

    Checks: each line carrying modifier 66, against the team surgery indicator
    of its code in the fee schedule period in force on the line's date of
    service. Indicator 0 (not permitted) and 9 (concept does not apply) deny;
    1 (paid with documentation of the medical necessity of a team) asks for
    review; 2 passes. A code absent from the fee schedule is not judged. A
    policy `severity` for this edit replaces the per-value severities: every
    finding then has it.

    Why: team surgery is paid by report, only for procedures that need a team;
    66 on a code that does not permit one asks for payment the code cannot have.

    Fails: 64628-66 (team surgery indicator 0): deny. 33361-66 (indicator 1): review.

    Passes: 33945-66 (indicator 2); 64628 with no modifier 66.

    Source: CMS PFS relative value file, team surgery indicator (RVU record
    layout); Medicare Claims Processing Manual chapter 12, section 40.8.
    """

    name = "team-surgery-not-permitted"
    default_severity = "deny"
    indicator = "team"
    label = "team surgery indicator"
    words = TEAM_WORDS
    rulings = RULINGS
    advice = ADVICE
