"""What the fee schedule's modifier edits share: a modifier judged by one payment indicator of the line's code.

Assistant at surgery (80/81/82/AS), co-surgeons (62), team surgery (66), bilateral (50) and
PC/TC (26/TC) are the same rule with different tables: a line carries a modifier, the fee
schedule period in force on its date of service gives the code's indicator, and the indicator's
value says whether that modifier is refused, held for review, or fine. Each edit is a subclass
that fills in the tables; the loop, the severities and the message are written once, here.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, ClassVar

from contracts import SEVERITIES, Claim, FeeScheduleFacts, Finding, ServiceLine, Severity
from contracts.findings import FeeScheduleIndicator
from edits.base import Edit
from edits.fee_schedule.indicators import described
from edits.reference.model import FeeScheduleEntry, Reference, ReferenceSet

_RANK = {severity: rank for rank, severity in enumerate(SEVERITIES)}  # deny first: the worst has the lowest rank


def worst(severities: Iterable[Severity]) -> Severity:
    return min(severities, key=_RANK.__getitem__)


def modifiers_in_words(modifiers: Sequence[str]) -> str:
    if len(modifiers) == 1:
        return f"Modifier {modifiers[0]}"
    return f"Modifiers {', '.join(modifiers[:-1])} and {modifiers[-1]}"


class ModifierIndicatorEdit(Edit):
    """Base of the edits that judge a modifier by one fee schedule indicator (not an edit itself).

    A subclass sets:
    - `indicator`: the `FeeScheduleEntry` field read (also `FeeScheduleFacts.indicator`);
    - `label`: the indicator as a message names it ("assistant-at-surgery indicator");
    - `words`: indicator value -> the value in words (a table of `edits.fee_schedule.indicators`);
    - `rulings`: modifier -> indicator value -> severity, for the values that make the modifier a
      finding; a value absent from a modifier's table passes;
    - `advice`: indicator value -> what the biller should do, ending the message.

    One finding per line at most, whatever number of watched modifiers it carries (80 and AS;
    26 and TC): it names every refused modifier, `modifier` is the first of them in line order,
    and its severity is the worst of theirs. A policy `severity` for the edit replaces the
    per-value severities: every finding of the edit then has the policy's severity.

    A code absent from the fee schedule period in force on the line's date is not judged.
    """

    indicator: ClassVar[FeeScheduleIndicator]
    label: ClassVar[str]
    words: ClassVar[Mapping[str, str]]
    rulings: ClassVar[Mapping[str, Mapping[str, Severity]]]
    advice: ClassVar[Mapping[str, str]]

    def __init__(self, severity: Severity | None = None, options: Mapping[str, Any] | None = None) -> None:
        super().__init__(severity, options)
        self.watched: frozenset[str] = frozenset(self.rulings)
        self.judges_modifiers = self.watched
        self.value_of: Callable[[FeeScheduleEntry], str] = operator.attrgetter(self.indicator)

    def judges(self, ref: Reference, code: str, entry: FeeScheduleEntry) -> bool:
        """Whether this edit judges the code at all (modifier 50: not add-ons, another edit's)."""
        return True

    def check(self, claim: Claim, reference: ReferenceSet) -> Sequence[Finding]:
        watched = self.watched
        findings: list[Finding] | None = None
        for line in claim.lines:
            modifiers = line.modifiers
            if not modifiers or watched.isdisjoint(modifiers):
                continue  # the common path: one test, no reference lookup
            finding = self.judge_line(line, reference.for_date(line.date_of_service))
            if finding is not None:
                if findings is None:
                    findings = []
                findings.append(finding)
        return findings if findings is not None else ()

    def judge_line(self, line: ServiceLine, ref: Reference) -> Finding | None:
        entry = ref.fee_schedule.get(line.code)
        if entry is None or not self.judges(ref, line.code, entry):
            return None
        return self.judge(line, ref, self.value_of(entry))

    def judge(self, line: ServiceLine, ref: Reference, value: str) -> Finding | None:
        refused: dict[str, Severity] = {}
        for modifier in line.modifiers:
            severity = self.rulings.get(modifier, {}).get(value)
            if severity is not None:
                refused.setdefault(modifier, severity)
        if not refused:
            return None
        named = tuple(refused)
        return Finding(
            edit=self.name,
            severity=self.severity_override or worst(refused.values()),
            lines=(line.line_number,),
            code=line.code,
            message=(
                f"{modifiers_in_words(named)} on {line.code}: the fee schedule {self.label} is {described(self.words, value)}. "
                f"{self.advice.get(value, 'Remove the modifier.').format(code=line.code, modifiers=' and '.join(named))}"
            ),
            reference_version=ref.version,
            modifier=named[0],
            facts=FeeScheduleFacts(indicator=self.indicator, value=value),
        )
