"""ptp-bundled-code beyond the fixture cases: its policy option, periods of a combined reference set, the bundled rows."""

from __future__ import annotations

import datetime as dt

import pytest

from contracts import Claim, PtpFacts, ServiceLine
from edits import Engine, load_default_reference
from edits.ncci.ptp_bundled_code import NCCI_ASSOCIATED_MODIFIERS, PtpBundledCode
from edits.policy import EditPolicy, Policy, PolicyError, parse_policy
from edits.reference.model import Reference, ReferenceSet
from edits.reference.ptp_table import PtpRow, PtpTable

D = dt.date


def claim(*lines: tuple[str, tuple[str, ...], dt.date]) -> Claim:
    return Claim(
        claim_id="C-ptp",
        patient_id="P-1",
        billing_provider_npi="1234567893",
        lines=tuple(
            ServiceLine(line_number=n, code=code, modifiers=mods, date_of_service=day) for n, (code, mods, day) in enumerate(lines, start=1)
        ),
    )


def engine(reference: ReferenceSet, **options: object) -> Engine:
    return Engine(reference, Policy(edits={"ptp-bundled-code": EditPolicy(options=dict(options))}), edits=[PtpBundledCode])


@pytest.mark.parametrize(
    ("options", "words"),
    [
        ({"modifier_on": "column-one"}, "modifier_on is 'column-one'; use one of 'either', 'column-two'"),
        ({"modifier_on": 2}, "modifier_on is 2"),
        ({"modifiers_on": "either"}, "unknown options modifiers_on"),
    ],
)
def test_bad_policy_option_is_refused(options: dict[str, object], words: str) -> None:
    with pytest.raises(PolicyError, match=words):
        engine(load_default_reference(), **options)


def test_policy_file_sets_the_option() -> None:
    policy = parse_policy('[edits.ptp-bundled-code]\nmodifier_on = "column-two"\nseverity = "review"\n')
    bundled = load_default_reference()
    found = Engine(bundled, policy, edits=[PtpBundledCode]).run(
        claim(("0001U", ("59",), D(2026, 7, 1)), ("0030U", (), D(2026, 7, 1)))
    )
    assert [(f.lines, f.severity) for f in found] == [((2,), "review")]


def test_bundled_real_row_fires_and_explains_itself() -> None:
    (finding,) = engine(load_default_reference()).run(claim(("0030U", (), D(2026, 7, 1)), ("0001U", (), D(2026, 7, 1))))
    assert finding.lines == (1,)
    assert isinstance(finding.facts, PtpFacts)
    assert finding.facts.pairs[0].line == 2
    for words in ("0030U on line 1", "0001U on line 2", "modifier indicator 1", "in force since 2018-07-01",
                  "Misuse of Column Two code with Column One code", "only if the services were distinct"):  # fmt: skip
        assert words in finding.message


def test_each_line_reads_the_period_of_its_date() -> None:
    def period(version: str, start: dt.date, end: dt.date | None, indicator: int) -> ReferenceSet:
        table = PtpTable.from_rows([PtpRow("20610", "20550", D(2015, 1, 1), None, indicator, "r")])
        ref = Reference(version=version, effective_from=start, effective_to=end, ptp=table)
        return ReferenceSet(version=version, references=(ref,))

    from edits.reference.snapshot import combine

    both = combine(period("2025Q4", D(2025, 10, 1), D(2025, 12, 31), 1), period("2026Q1", D(2026, 1, 1), None, 0))
    run = engine(both).run
    # 59 bypasses the pair under 2025Q4's indicator 1 but not under 2026Q1's 0.
    assert run(claim(("20610", (), D(2025, 12, 31)), ("20550", ("59",), D(2025, 12, 31)))) == ()
    (finding,) = run(claim(("20610", (), D(2026, 1, 2)), ("20550", ("59",), D(2026, 1, 2))))
    assert finding.reference_version == "2026Q1"
    # Lines of two dates are never paired, whatever the periods.
    assert run(claim(("20610", (), D(2025, 12, 31)), ("20550", (), D(2026, 1, 2)))) == ()


def test_the_modifier_list_is_the_ncci_list() -> None:
    expected = {"E1", "E2", "E3", "E4", "FA", "LC", "LD", "LM", "LT", "RC", "RI", "RT", "TA",
                "24", "25", "27", "57", "58", "59", "78", "79", "91", "XE", "XP", "XS", "XU"}  # fmt: skip
    expected |= {f"F{i}" for i in range(1, 10)} | {f"T{i}" for i in range(1, 10)}
    assert expected == NCCI_ASSOCIATED_MODIFIERS
    assert not {"50", "51", "76", "GP", "26", "TC"} & NCCI_ASSOCIATED_MODIFIERS


def test_column_two_cache_starts_over_past_its_bound(monkeypatch: pytest.MonkeyPatch) -> None:
    from edits.reference import ptp_table

    monkeypatch.setattr(ptp_table, "COLUMN_TWO_SETS_KEPT", 2)
    table = PtpTable.from_rows([PtpRow(f"1000{i}", "20550", D(2015, 1, 1), None, 1, "r") for i in range(4)])
    for i in range(4):
        assert table.column_twos(f"1000{i}") == frozenset({"20550"})
    assert sum(1 for found in table.column_two_sets.values() if found) <= 2
    assert table.column_twos("99999") == frozenset()


def test_decided_rows_are_remembered_and_start_over_past_their_bound(monkeypatch: pytest.MonkeyPatch) -> None:
    from edits.ncci import ptp_bundled_code

    monkeypatch.setattr(ptp_bundled_code, "DECIDED_KEPT", 2)
    table = PtpTable.from_rows(
        [PtpRow("10000", "20550", D(2015, 1, 1), D(2019, 12, 31), 1, "r"), PtpRow("10000", "20550", D(2020, 1, 1), None, 0, "r")]
    )
    days = [D(2014, 6, 1), D(2016, 6, 1), D(2021, 6, 1)]
    expected = [None, 1, 0]
    for _ in range(2):  # the second pass answers from the memo (or from the table again, past the bound): the same rows
        found = [ptp_bundled_code.decided_row(table, "10000", "20550", day) for day in days]
        assert [row and row.modifier_indicator for row in found] == expected
        assert len(table.decided) <= 2
