"""MUE units exceeded."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence

from contracts import Claim, Finding, MueFacts, ServiceLine
from edits.base import Edit
from edits.history.model import HistoryLine, PatientHistory, earlier_line
from edits.lines import provider_of
from edits.reference.model import MueEntry, Reference, ReferenceSet

MAI_WORDS = {1: "line edit", 2: "date of service edit: policy", 3: "date of service edit: clinical"}


def _units(value: float) -> str:
    return f"{value:g}"


def _exact(total: float) -> float:
    """A summed unit count as the finding reports it: a whole number as an int."""
    total = float(total)
    return int(total) if total.is_integer() else total


def _history_has_any(claim: Claim, date_edits: list[tuple[ServiceLine, Reference, MueEntry]], history: PatientHistory) -> bool:
    """Whether history holds one of these lines' codes on its date by its provider (mostly not: then no summing)."""
    meets = history.meets(claim)
    if not meets:
        return False
    if len(meets[0].lines) == len(claim.lines):  # the usual claim: one provider, one date
        on_day = meets[0].on_day
        for line, _, _ in date_edits:  # noqa: SIM110 (a loop: any() over a generator costs more, per claim)
            if line.code in on_day:
                return True
        return False
    codes_on = history.codes_on
    claim_provider = claim.rendering_provider_npi or claim.billing_provider_npi  # provider_of, the claim's part once
    for line, _, _ in date_edits:  # noqa: SIM110 (a loop: any() over a generator costs more, per claim)
        if line.code in codes_on(line.rendering_provider_npi or claim_provider, line.date_of_service):
            return True
    return False


class MueUnitsExceeded(Edit):
    """More units of a code are billed than its Medically Unlikely Edit (MUE) allows.

    Checks: each code with an MUE. MAI 1 (line edit): each line on its own; lines
    split with anatomic modifiers (RT/LT), 59/XE/XS/XP/XU, 76, 77 or 91 are
    therefore judged separately, and history plays no part. MAI 2 (policy) and
    MAI 3 (clinical) are date-of-service edits: the units of the code on all
    lines with the same date of service and the same provider (line rendering
    NPI, else claim rendering NPI, else billing NPI) are summed, on this claim
    and on the patient's earlier claims in history alike; when the sum is over
    the MUE every such line of this claim is in the finding, and the earlier
    lines counted are named in its history. Units are counted as billed: a
    bilateral procedure is expected on one line with modifier 50 and 1 unit, so
    50 with 2 units counts 2.

    Why: the MUE is the most units one provider would report for one patient on
    one date of service under most circumstances; units over it are denied
    (MAI 1: the line; MAI 2/3: all units of the code on that date).

    Fails: 64629 (MUE 2, MAI 2) on two lines of 2 units each, same date; 64629 x2
    on this claim after 64629 x1 by the same provider on that date on an earlier
    claim (units split over two claims).

    Passes: 64629 x2 on one line; 64629 x1 on each of two dates; 64629 x2 from
    each of two providers on one date.

    Source: CMS NCCI Medically Unlikely Edits, practitioner services table
    (MUE value and MUE Adjudication Indicator); NCCI Policy Manual chapter I.
    """

    name = "mue-units-exceeded"
    default_severity = "deny"
    uses_history = True

    def check(self, claim: Claim, reference: ReferenceSet) -> list[Finding]:
        refs = reference.references
        if len(refs) == 1:
            return self._one_period(claim, refs[0])
        return self._general(claim, reference, None)

    def check_with_history(self, claim: Claim, reference: ReferenceSet, history: PatientHistory) -> list[Finding]:
        if not history:
            return self.check(claim, reference)
        refs = reference.references
        if len(refs) == 1:
            return self._one_period(claim, refs[0], history)
        return self._general(claim, reference, history)

    def _general(self, claim: Claim, reference: ReferenceSet, history: PatientHistory | None) -> list[Finding]:
        findings: list[Finding] = []
        date_edits: list[tuple[ServiceLine, Reference, MueEntry]] = []
        for line in claim.lines:
            ref = reference.for_date(line.date_of_service)
            mue = ref.mue.get(line.code)
            if mue is None:
                continue
            if mue.mai == 1:
                if line.units > mue.value:
                    findings.append(self._finding(line.code, (line,), line.units, mue, ref, day=line.date_of_service))
            else:
                date_edits.append((line, ref, mue))
        if date_edits:
            findings += self._date_of_service_findings(claim, date_edits, history)
        return findings

    def _one_period(self, claim: Claim, ref: Reference, history: PatientHistory | None = None) -> list[Finding]:
        """The usual reference set, one period: the same answers as the general path, with less work per line.

        Lines with no MUE cost one lookup. Without history, MAI 2/3 lines are summed per code, date and provider
        only when a code repeats; otherwise each total is one line's units and only a line over its MUE matters.
        """
        mue_of = ref.mue.get
        findings: list[Finding] = []
        date_edits: list[tuple[ServiceLine, Reference, MueEntry]] | None = None
        for line in claim.lines:
            mue = mue_of(line.code)
            if mue is None:
                continue
            if mue.mai == 1:
                if line.units > mue.value:
                    findings.append(self._finding(line.code, (line,), line.units, mue, ref, day=line.date_of_service))
            elif date_edits is None:
                date_edits = [(line, ref, mue)]
            else:
                date_edits.append((line, ref, mue))
        if date_edits is None:
            return findings
        if history is not None and _history_has_any(claim, date_edits, history):
            return findings + self._date_of_service_findings(claim, date_edits, history)
        # Without history, or history has none of these codes on these days and providers: the claim alone decides.
        if len(date_edits) > 1 and len({line.code for line, _, _ in date_edits}) < len(date_edits):
            return findings + self._date_of_service_findings(claim, date_edits, None)
        for line, _, mue in date_edits:
            if line.units > mue.value:
                findings.append(self._finding(line.code, (line,), _exact(line.units), mue, ref, day=line.date_of_service))
        return findings

    def _date_of_service_findings(
        self, claim: Claim, date_edits: list[tuple[ServiceLine, Reference, MueEntry]], history: PatientHistory | None
    ) -> list[Finding]:
        """MAI 2/3: units of one code summed over the lines of one date of service and one provider, this claim's
        and history's, in first-line order."""
        findings: list[Finding] = []
        groups: dict[tuple[str, dt.date, str], list[ServiceLine]] = {}
        firsts: list[tuple[str, dt.date, str, Reference, MueEntry]] = []
        for line, ref, mue in date_edits:
            provider = provider_of(claim, line)
            key = (line.code, line.date_of_service, provider)
            group = groups.get(key)
            if group is None:
                groups[key] = [line]
                firsts.append((line.code, line.date_of_service, provider, ref, mue))
            else:
                group.append(line)
        for code, day, provider, ref, mue in firsts:
            lines = groups[(code, day, provider)]
            earlier: Sequence[HistoryLine] = () if history is None else history.codes_on(provider, day).get(code, ())
            # fsum is exact, so line order cannot change the total (and the sum of one value is that value)
            if earlier:
                units = [line.units for line in lines]
                units += [old.units for old in earlier]
                total = _exact(math.fsum(units))
            elif len(lines) == 1:
                total = _exact(lines[0].units)
            else:
                total = _exact(math.fsum([line.units for line in lines]))
            if total > mue.value:
                findings.append(self._finding(code, lines, total, mue, ref, day=day, earlier=earlier))
        return findings

    def _finding(
        self,
        code: str,
        lines: tuple[ServiceLine, ...] | list[ServiceLine],
        units: float,
        mue: MueEntry,
        ref: Reference,
        *,
        day: dt.date,
        earlier: Sequence[HistoryLine] = (),
    ) -> Finding:
        numbers = tuple(sorted(line.line_number for line in lines))
        where = f"line {numbers[0]}" if len(numbers) == 1 else "lines " + ", ".join(map(str, numbers))
        scope = "on one line" if mue.mai == 1 else f"on {day.isoformat()}"
        from_history: float = 0
        if earlier:
            from_history = _exact(math.fsum(old.units for old in earlier))
            by_claim: dict[str, list[HistoryLine]] = {}
            for old in earlier:
                by_claim.setdefault(old.claim_id, []).append(old)
            sources = "; ".join(
                f"{_units(math.fsum(old.units for old in olds))} on claim {claim_id} "
                f"(line{'s' if len(olds) > 1 else ''} {', '.join(str(old.line_number) for old in olds)})"
                for claim_id, olds in by_claim.items()
            )
            plural = "" if from_history == 1 else "s"
            where += f", with {_units(from_history)} unit{plural} from earlier claims of the same provider and date: {sources}"
            scope += " by the same provider"
        return Finding(
            edit=self.name,
            severity=self.severity,
            lines=numbers,
            code=code,
            message=(
                f"{code}: {_units(units)} units {scope} exceed the MUE of {mue.value} "
                f"(MAI {mue.mai}, {MAI_WORDS.get(mue.mai, 'unknown')}); {where}."
            ),
            reference_version=ref.version,
            facts=MueFacts(units_counted=units, mue_value=mue.value, mai=mue.mai, units_from_history=from_history),
            history=tuple(map(earlier_line, earlier)),
        )
