"""PTP bundled code."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Mapping, Sequence
from typing import Any

from contracts import Claim, Finding, PtpFacts, PtpPair, ServiceLine
from edits.base import Edit
from edits.history.model import HistoryLine, PatientHistory, earlier_line
from edits.lines import provider_of
from edits.policy import PolicyError
from edits.reference.model import Reference, ReferenceSet
from edits.reference.ptp_table import DECIDED_KEPT, PtpRow, PtpTable

# Modifiers that may bypass a PTP edit of modifier indicator 1 (NCCI Policy Manual, chapter I, section E).
NCCI_ASSOCIATED_MODIFIERS = frozenset(
    {"E1", "E2", "E3", "E4", "FA", "F1", "F2", "F3", "F4", "F5", "F6", "F7", "F8", "F9", "LC", "LD", "LM", "LT", "RC", "RI", "RT",
     "TA", "T1", "T2", "T3", "T4", "T5", "T6", "T7", "T8", "T9", "24", "25", "27", "57", "58", "59", "78", "79", "91",
     "XE", "XP", "XS", "XU"}
)  # fmt: skip

INDICATOR_WORDS = {
    0: "no modifier bypasses it",
    1: "an NCCI-associated modifier bypasses it when the services were distinct",
    9: "not applicable (the edit was deleted the day it took effect)",
}
MODIFIER_ON = ("either", "column-two")
OPTIONS = frozenset({"modifier_on"})

Bundler = ServiceLine | HistoryLine
"""The other line of a pair: a line of this claim, or of an earlier claim of the patient (history)."""


def decided_row(table: PtpTable, column_one: str, column_two: str, day: dt.date) -> PtpRow | None:
    """`in_force_row` of the pair on `day`, remembered per table across claims (claims repeat pairs and dates)."""
    memo = table.decided
    key = (column_one, column_two, day)
    if key in memo:
        return memo[key]
    if len(memo) >= DECIDED_KEPT:
        memo.clear()
    row = memo[key] = in_force_row(table.pairs(column_one, column_two, day))
    return row


def in_force_row(rows: list[PtpRow]) -> PtpRow | None:
    """The row that decides a pair on a date: indicator 9 never fires; if rows overlap, 0 (strictest) wins over 1."""
    chosen: PtpRow | None = None
    for row in rows:
        if row.modifier_indicator == 0:
            return row
        if row.modifier_indicator == 1 and chosen is None:
            chosen = row
    return chosen


class PtpBundledCode(Edit):
    """A code is billed with a code that bundles it under an NCCI procedure-to-procedure (PTP) edit.

    Checks: every two lines of the claim with the same date of service and the
    same provider (line rendering NPI, else claim rendering NPI, else billing
    NPI) whose codes are a column-one/column-two pair in the PTP table, in force
    on that date (effective <= date of service <= deletion date; `*` = not
    deleted). The column-two line gets the finding, whatever the line order.
    Modifier indicator 0: no modifier bypasses the pair. 1: an NCCI-associated
    modifier (E1-E4, F1-F9, FA, LC, LD, LM, LT, RC, RI, RT, TA, T1-T9, 24, 25,
    27, 57, 58, 59, 78, 79, 91, XE, XP, XS, XU) on either line bypasses it
    (policy option `modifier_on = "column-two"`: only on the column-two line).
    9: never fires. One finding per column-two line, naming every column-one
    line that bundles it. One code on two lines is a pair only when the table
    lists the code with itself; then the later line is the column-two line.
    With the patient's history, the lines of earlier claims of the same date
    and provider count too, with the same modifier rules: a column-two line
    here bundled by a column-one code billed earlier is denied (the finding
    names the earlier claim and line); a column-one line here whose column-two
    code was billed (and paid) on an earlier claim gets a `review` finding on
    this claim's column-one line naming the earlier claims and lines, since a
    person decides whether to adjust the earlier payment (one finding per line;
    none when the line is already denied as a column-two line).

    Why: CMS does not pay the column-two code of a PTP pair when both are
    reported by the same provider for the same patient on the same date: it is
    part of the column-one service, or the two are not reported together.

    Fails: 0001U and 0030U (modifier indicator 1, in force since 2018-07-01, not
    deleted) on the same date with no modifier: the 0030U line.

    Passes: the same two lines with 59 on either line; or on different dates;
    or by different rendering providers; or 0001A with 0591T after the pair's
    deletion date 2023-12-31.

    Source: CMS NCCI procedure-to-procedure edits, practitioner PTP table
    (Column 1, Column 2, effective and deletion dates, modifier indicator, PTP
    edit rationale); NCCI Policy Manual chapter I, sections D and E.
    """

    name = "ptp-bundled-code"
    default_severity = "deny"
    uses_history = True

    def __init__(self, severity: Any = None, options: Mapping[str, Any] | None = None) -> None:
        super().__init__(severity, options)
        unknown = sorted(set(self.options) - OPTIONS)
        if unknown:
            raise PolicyError(f"edits.{self.name}: unknown options {', '.join(unknown)} (known: {', '.join(sorted(OPTIONS))})")
        modifier_on = self.options.get("modifier_on", "either")
        if modifier_on not in MODIFIER_ON:
            raise PolicyError(f"edits.{self.name}.modifier_on is {modifier_on!r}; use one of {', '.join(map(repr, MODIFIER_ON))}")
        self.column_two_only = modifier_on == "column-two"

    def check(self, claim: Claim, reference: ReferenceSet) -> list[Finding]:
        bundled = self._bundled_within(claim, reference)
        return self._assemble(bundled, claim.lines, reference) if bundled else []

    def check_with_history(self, claim: Claim, reference: ReferenceSet, history: PatientHistory) -> list[Finding]:
        bundled = self._bundled_within(claim, reference) or {}
        reviews: dict[int, list[tuple[HistoryLine, PtpRow]]] = {}
        if history:
            self._pairs_with_history(claim, reference, history, bundled, reviews)
        findings = self._assemble(bundled, claim.lines, reference) if bundled else []
        if reviews:
            findings += self._reviews(reviews, claim.lines, reference)
            findings.sort(key=lambda finding: finding.lines)
        return findings

    def _pairs_with_history(
        self,
        claim: Claim,
        reference: ReferenceSet,
        history: PatientHistory,
        bundled: dict[int, list[tuple[Bundler, PtpRow]]],
        reviews: dict[int, list[tuple[HistoryLine, PtpRow]]],
    ) -> None:
        """Pairs of a line of this claim with a line of an earlier claim of the same date and provider.

        This line as column two: added to `bundled` (denied). This line as column one: added to `reviews`.
        """
        for _, day, lines, on_day in history.meets(claim):
            self._pairs_on_day(lines, day, on_day, reference.for_date(day).ptp, bundled, reviews)
        if bundled:
            for number in [number for number, pairs in bundled.items() if not pairs]:
                del bundled[number]
        if reviews:
            for number in [number for number, pairs in reviews.items() if not pairs or number in bundled]:
                del reviews[number]  # a line denied as column two is not paid: nothing earlier to adjust for it

    def _pairs_on_day(
        self,
        lines: Sequence[ServiceLine],
        day: dt.date,
        on_day: Mapping[str, Sequence[HistoryLine]],
        table: PtpTable,
        bundled: dict[int, list[tuple[Bundler, PtpRow]]],
        reviews: dict[int, list[tuple[HistoryLine, PtpRow]]],
    ) -> None:
        """`_pairs_with_history` for this claim's lines of one provider and date, and the earlier lines `on_day`.

        Two set operations for the usual answer, no pair; else one column-two lookup per code (not per pair of lines).
        The order pairs are found in does not show: each finding sorts its pairs (`_pair_order`).
        """
        # Only codes that are column two of something can be bundled (one set operation each side, usually empty):
        # an earlier code here, to be bundled by this line; a code of these lines, to be bundled by an earlier one.
        column_two_codes = table.column_two_codes
        earlier_twos = column_two_codes.intersection(on_day)
        here_twos = column_two_codes.intersection([line.code for line in lines])
        if not earlier_twos and not here_twos:
            return  # the common path: no pair is possible
        known = table.column_two_sets  # column_twos' cache, read directly: one dict probe per code
        bundlers = _bundlers(on_day, here_twos, table) if here_twos else ()
        for line in lines:
            for code, bundles, earlier_lines in bundlers:  # this line as column two
                if line.code in bundles and (row := decided_row(table, code, line.code, day)) is not None:
                    bundled.setdefault(line.line_number, []).extend(
                        (earlier, row) for earlier in earlier_lines if not self._bypassed(row, earlier, line)
                    )
            if not earlier_twos:
                continue
            twos = known.get(line.code)
            if twos is None:
                twos = table.column_twos(line.code)
            if twos.isdisjoint(earlier_twos):
                continue  # this line bundles no earlier code
            for code in twos.intersection(earlier_twos):  # this line as column one (pairs sort later: order does not show)
                row = decided_row(table, line.code, code, day)
                if row is not None:
                    reviews.setdefault(line.line_number, []).extend(
                        (earlier, row) for earlier in on_day[code] if not self._bypassed(row, line, earlier)
                    )

    def _bypassed(self, row: PtpRow, one: Bundler, two: Bundler) -> bool:
        return row.modifier_indicator == 1 and self.bypassed(one, two)

    def _bundled_within(self, claim: Claim, reference: ReferenceSet) -> dict[int, list[tuple[Bundler, PtpRow]]] | None:
        """Column-two line number -> the column-one lines of this claim that bundle it (None: no pair at all)."""
        lines = claim.lines
        if len(lines) < 2:
            return None
        refs = reference.references
        if len(refs) > 1:
            return self._findings(claim, lines, reference, None, lines, None)
        only = refs[0]
        ptp = only.ptp
        # The claim's codes that are column two of anything in the table (one set operation, usually none or a few):
        # only they can be bundled. Then per line one dict lookup (its column-two codes, empty for most codes) and one
        # set test against those few codes: linear in lines (testing every line against every code was quadratic).
        # Only the lines that may bundle something go on to dates and providers.
        bundleable = ptp.column_two_codes.intersection([line.code for line in lines])
        if not bundleable:
            return None
        known = ptp.column_two_sets.get
        column_twos = ptp.column_twos  # a miss of the cache (None), or a code that is no column-one code (empty, cached)
        ones = [line for line in lines if not (known(line.code) or column_twos(line.code)).isdisjoint(bundleable)]
        return self._findings(claim, lines, reference, only, ones, bundleable) if ones else None

    def bypassed(self, one: Bundler, two: Bundler) -> bool:
        """Indicator 1: an NCCI-associated modifier on the column-two line (or, by default, on either line)."""
        if not NCCI_ASSOCIATED_MODIFIERS.isdisjoint(two.modifiers):
            return True
        return not self.column_two_only and not NCCI_ASSOCIATED_MODIFIERS.isdisjoint(one.modifiers)

    def _findings(
        self,
        claim: Claim,
        lines: tuple[ServiceLine, ...],
        reference: ReferenceSet,
        only: Reference | None,
        ones: Sequence[ServiceLine],
        bundleable: frozenset[str] | None,
    ) -> dict[int, list[tuple[Bundler, PtpRow]]] | None:
        """Every column-two line and the lines among `ones` (the possible column-one lines) that bundle it.

        `only`: the one period, when there is one, and `bundleable` the claim's codes that are column two in its table.
        """
        ptp = only.ptp if only is not None else None
        # Per table, the claim's codes that are column two of something there: the only codes a line can bundle.
        per_table: dict[int, frozenset[str]] = {}
        if ptp is not None and bundleable is not None:
            per_table[id(ptp)] = bundleable
        # The lines of each code that may be bundled (of every code when there are several tables).
        by_code = _lines_by_code(lines, bundleable if ptp is not None else None)
        bundled: dict[int, list[tuple[Bundler, PtpRow]]] = {}
        for one in ones:
            day = one.date_of_service
            table = ptp if ptp is not None else reference.for_date(day).ptp
            codes = per_table.get(id(table))
            if codes is None:
                codes = per_table[id(table)] = table.column_two_codes.intersection(by_code)
            twos = table.column_two_sets.get(one.code)
            if twos is None:
                twos = table.column_twos(one.code)
            # Only the claim's codes the table lists with this one (set operations), then dates and providers.
            if not twos or twos.isdisjoint(codes):
                continue
            candidates = twos & codes
            provider = provider_of(claim, one)
            for code in candidates:
                for two in by_code[code]:
                    if two.date_of_service != day or (code == one.code and two.line_number <= one.line_number):
                        continue  # a code listed with itself: the later line is the column-two line
                    if provider_of(claim, two) != provider:
                        continue
                    row = decided_row(table, one.code, code, day)
                    if row is None or (row.modifier_indicator == 1 and self.bypassed(one, two)):
                        continue
                    bundled.setdefault(two.line_number, []).append((one, row))
        return bundled or None

    def _assemble(
        self, bundled: dict[int, list[tuple[Bundler, PtpRow]]], lines: tuple[ServiceLine, ...], reference: ReferenceSet
    ) -> list[Finding]:
        """One finding per column-two line, in line order."""
        by_number = {line.line_number: line for line in lines if line.line_number in bundled}
        findings: list[Finding] = []
        for number, pairs in sorted(bundled.items()):
            two = by_number[number]
            findings.append(self._finding(two, pairs, reference.for_date(two.date_of_service)))
        return findings

    def _finding(self, two: ServiceLine, pairs: list[tuple[Bundler, PtpRow]], ref: Reference) -> Finding:
        pairs.sort(key=_pair_order)
        return Finding(
            edit=self.name,
            severity=self.severity,
            lines=(two.line_number,),
            code=two.code,
            message=self._message(two, pairs),
            reference_version=ref.version,
            facts=PtpFacts(role="column-two", pairs=tuple(_pair(one, row) for one, row in pairs)),
            history=tuple(earlier_line(one) for one, _ in pairs if isinstance(one, HistoryLine)),
        )

    def _reviews(
        self, reviews: dict[int, list[tuple[HistoryLine, PtpRow]]], lines: tuple[ServiceLine, ...], reference: ReferenceSet
    ) -> list[Finding]:
        """One `review` finding per column-one line of this claim whose column-two code an earlier claim billed."""
        by_number = {line.line_number: line for line in lines}
        findings: list[Finding] = []
        for number, pairs in sorted(reviews.items()):
            one = by_number[number]
            pairs.sort(key=_pair_order)
            where = "; ".join(
                f"{row.column_two} on claim {two.claim_id} line {two.line_number} (modifier indicator {row.modifier_indicator}: "
                f"{INDICATOR_WORDS[row.modifier_indicator]})"
                for two, row in pairs
            )
            findings.append(
                Finding(
                    edit=self.name,
                    severity=self.severity_override or "review",
                    lines=(number,),
                    code=one.code,
                    message=(
                        f"{one.code} on line {number} is the column-one code of an NCCI procedure-to-procedure edit whose column-two "
                        f"code was billed by the same provider on {one.date_of_service.isoformat()} on an earlier claim: {where}. "
                        "This line is payable; review whether the earlier payment of the column-two code should be adjusted."
                    ),
                    reference_version=reference.for_date(one.date_of_service).version,
                    facts=PtpFacts(role="column-one", pairs=tuple(_pair(two, row) for two, row in pairs)),
                    history=tuple(earlier_line(two) for two, _ in pairs),
                )
            )
        return findings

    def _message(self, two: ServiceLine, pairs: list[tuple[Bundler, PtpRow]]) -> str:
        described = "; ".join(f"{row.column_one} on {_where(one)}{_described(row)}" for one, row in pairs)
        text = (
            f"{two.code} on line {two.line_number} is the column-two code of an NCCI procedure-to-procedure edit with {described}, "
            f"billed by the same provider on {two.date_of_service.isoformat()}: it is not paid separately."
        )
        indicators = {row.modifier_indicator for _, row in pairs}
        if 0 in indicators:
            strict = ", ".join(sorted({row.column_one for _, row in pairs if row.modifier_indicator == 0}))
            text += f" No modifier bypasses the pair with {strict}: do not bill {two.code} with it, or correct the codes."
        if 1 in indicators:
            where = "on this line" if self.column_two_only else "on either line of the pair"
            text += (
                f" Where the indicator is 1, append an NCCI-associated modifier (59 or XE/XS/XP/XU, an anatomic modifier such as "
                f"RT/LT, or 24/25/57/58/78/79/27/91 where they apply) {where} only if the services were distinct "
                f"(a different session, site, lesion or encounter)."
            )
        return text


def _bundlers(
    on_day: Mapping[str, Sequence[HistoryLine]], here_twos: frozenset[str], table: PtpTable
) -> list[tuple[str, frozenset[str], Sequence[HistoryLine]]]:
    """The earlier codes that bundle one of `here_twos` (codes of this claim that are column two somewhere): (code, its
    column-two codes, its earlier lines)."""
    known = table.column_two_sets
    bundlers = []
    for code, earlier in on_day.items():
        twos = known.get(code)
        if twos is None:
            twos = table.column_twos(code)
        if not twos.isdisjoint(here_twos):
            bundlers.append((code, twos, earlier))
    return bundlers


def _lines_by_code(lines: tuple[ServiceLine, ...], wanted: frozenset[str] | None) -> dict[str, list[ServiceLine]]:
    """Code -> its lines, in line order, for the codes in `wanted` (None: every code)."""
    by_code: dict[str, list[ServiceLine]] = {}
    for line in lines:
        if wanted is None or line.code in wanted:
            by_code.setdefault(line.code, []).append(line)
    return by_code


@functools.lru_cache(maxsize=4096)
def _described(row: PtpRow) -> str:
    """The row's part of a finding's message, made once per row (claims repeat rows)."""
    return (
        f" (modifier indicator {row.modifier_indicator}: {INDICATOR_WORDS[row.modifier_indicator]}; "
        f"{row.rationale or 'no rationale given'}; in force since {row.effective.isoformat()})"
    )


def _where(line: Bundler) -> str:
    return f"claim {line.claim_id} line {line.line_number}" if isinstance(line, HistoryLine) else f"line {line.line_number}"


def _pair_order(pair: tuple[Bundler, PtpRow]) -> tuple[str, int]:
    """This claim's lines first (by number), then earlier claims' (by claim id and line)."""
    line = pair[0]
    return (line.claim_id if isinstance(line, HistoryLine) else "", line.line_number)


def _pair(other: Bundler, row: PtpRow) -> PtpPair:
    return PtpPair(
        column_one=row.column_one,
        column_two=row.column_two,
        modifier_indicator=row.modifier_indicator,
        effective=row.effective,
        deleted=row.deleted,
        rationale=row.rationale,
        line=other.line_number,
        claim_id=other.claim_id if isinstance(other, HistoryLine) else None,
    )
