"""The engine around the edits: policy, order, periods, outcome, registry."""

from __future__ import annotations

import datetime as dt

import msgspec
import pytest

from contracts import Claim, ClaimSubmitted, Finding, MueFacts, outcome_of
from edits.base import DOC_SECTIONS, Edit
from edits.engine import Engine
from edits.policy import PolicyError, parse_policy
from edits.reference.model import AddOnPairing, FeeScheduleEntry, MueEntry, Reference, ReferenceSet
from edits.registry import BUILTIN_EDITS, all_edits

ZZZ = FeeScheduleEntry("A", "ZZZ", "0", "0", "0", "1", "0", "0")
PRIMARY = FeeScheduleEntry("A", "010", "0", "2", "1", "1", "0", "0")


def period(version: str, mue_64629: int, start: dt.date | None = None, end: dt.date | None = None) -> Reference:
    return Reference(
        version=version,
        effective_from=start,
        effective_to=end,
        fee_schedule={"64628": PRIMARY, "64629": ZZZ},
        mue={"64629": MueEntry(value=mue_64629, mai=2)},
        addons={"64629": (AddOnPairing(primary="64628", edit_type=1, effective=dt.date(2022, 1, 1)),)},
    )


REFERENCE = ReferenceSet(version="test", references=(period("test", 2),))


def make_claim(*lines: dict[str, object]) -> Claim:
    return msgspec.convert(
        {"claim_id": "C-9", "patient_id": "P", "billing_provider_npi": "1234567893", "lines": list(lines)},
        Claim,
    )


# 64629 alone, 3 units, with 51 and 50: one finding from each edit.
EVERYTHING_WRONG = make_claim({"line_number": 1, "code": "64629", "units": 3, "modifiers": ["50", "51"], "date_of_service": "2025-03-04"})


def test_all_four_edits_fire_in_a_stable_order() -> None:
    findings = Engine(REFERENCE).run(EVERYTHING_WRONG)
    assert [f.edit for f in findings] == sorted(f.edit for f in findings)
    assert {f.edit for f in findings} == {"addon-without-primary", "mue-units-exceeded", "modifier-50-on-addon", "modifier-51-on-addon"}
    assert Engine(REFERENCE).run(EVERYTHING_WRONG) == findings


def test_policy_disables_an_edit_and_overrides_a_severity() -> None:
    policy = parse_policy(
        """
        [edits.modifier-51-on-addon]
        enabled = false
        [edits.mue-units-exceeded]
        severity = "info"
        """
    )
    findings = Engine(REFERENCE, policy).run(EVERYTHING_WRONG)
    assert "modifier-51-on-addon" not in {f.edit for f in findings}
    assert next(f for f in findings if f.edit == "mue-units-exceeded").severity == "info"


def test_policy_changes_the_ruleset_version() -> None:
    plain = Engine(REFERENCE)
    strict = Engine(REFERENCE, parse_policy('[edits.modifier-51-on-addon]\nseverity = "deny"\n'))
    assert plain.ruleset_version != strict.ruleset_version


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ('[edits.no-such-edit]\nenabled = false\n', "no edit named no-such-edit"),
        ('[edits.mue-units-exceeded]\nseverity = "fatal"\n', "severity is 'fatal'"),
        ('[edits.mue-units-exceeded]\nenabled = "no"\n', "enabled must be true or false"),
        ("[edits\n", "not valid TOML"),
        ("[rules]\nx = 1\n", "unknown top-level keys"),
    ],
)
def test_bad_policy_is_named(text: str, words: str) -> None:
    with pytest.raises(PolicyError, match=words):
        Engine(REFERENCE, parse_policy(text, source="p.toml"))


def test_engine_picks_the_period_in_force_per_line() -> None:
    refs = ReferenceSet(
        version="two-quarters",
        references=(
            period("2026Q2", 2, dt.date(2026, 4, 1), dt.date(2026, 6, 30)),
            period("2026Q3", 1, dt.date(2026, 7, 1), dt.date(2026, 9, 30)),
        ),
    )
    claim = make_claim(
        {"line_number": 1, "code": "64628", "date_of_service": "2026-06-30"},
        {"line_number": 2, "code": "64629", "units": 2, "date_of_service": "2026-06-30"},
        {"line_number": 3, "code": "64628", "date_of_service": "2026-07-01"},
        {"line_number": 4, "code": "64629", "units": 2, "date_of_service": "2026-07-01"},
    )
    findings = Engine(refs).run(claim)
    assert [(f.lines, f.reference_version, f.facts.mue_value if isinstance(f.facts, MueFacts) else None) for f in findings] == [
        ((4,), "2026Q3", 1)
    ]


def test_outside_every_period_the_nearest_is_used() -> None:
    refs = ReferenceSet(
        version="v",
        references=(
            period("early", 5, dt.date(2025, 1, 1), dt.date(2025, 3, 31)),
            period("late", 1, dt.date(2025, 4, 1), dt.date(2025, 6, 30)),
        ),
    )
    assert refs.for_date(dt.date(2024, 12, 1)).version == "early"
    assert refs.for_date(dt.date(2026, 1, 1)).version == "late"


def test_outcome_follows_the_worst_severity() -> None:
    findings = Engine(REFERENCE).run(EVERYTHING_WRONG)
    assert outcome_of(findings) == "deny"
    review_only = tuple(f for f in findings if f.severity == "review")
    assert review_only
    assert outcome_of(review_only) == "review"
    assert outcome_of(()) == "pass"
    info = tuple(msgspec.structs.replace(f, severity="info") for f in findings)
    assert outcome_of(info) == "pass"


def test_edit_wraps_findings_in_a_result() -> None:
    event = ClaimSubmitted(event_id="e-7", occurred_at=dt.datetime(2025, 3, 5, tzinfo=dt.UTC), claim=EVERYTHING_WRONG)
    engine = Engine(REFERENCE)
    result = engine.edit(event, source_stream_id="1-0")
    assert (result.event_id, result.claim_id, result.outcome, result.source_stream_id) == ("e-7", "C-9", "deny", "1-0")
    assert result.findings == engine.run(EVERYTHING_WRONG)
    assert result.reference_version == "test"
    assert result.engine_us is not None
    assert result.engine_us >= 0


def test_builtin_edit_names_are_stable() -> None:
    assert [edit.name for edit in BUILTIN_EDITS] == [
        "addon-without-primary",
        "mue-units-exceeded",
        "modifier-50-on-addon",
        "modifier-51-on-addon",
        "ptp-bundled-code",
        "assistant-at-surgery-not-payable",
        "co-surgeon-not-permitted",
        "team-surgery-not-permitted",
        "modifier-50-not-bilateral",
        "pctc-modifier-invalid",
        "code-not-payable",
        "duplicate-service",
        "original-claim-not-found",
    ]
    assert all_edits()[: len(BUILTIN_EDITS)] == BUILTIN_EDITS


@pytest.mark.parametrize("edit", BUILTIN_EDITS, ids=[edit.name for edit in BUILTIN_EDITS])
def test_every_edit_is_documented_the_same_way(edit: type) -> None:
    doc = edit.__doc__ or ""
    assert edit.summary(), f"{edit.name} has no summary line"
    positions = [doc.find(section) for section in DOC_SECTIONS]
    missing = [s for s, p in zip(DOC_SECTIONS, positions, strict=True) if p < 0]
    assert not missing, f"{edit.name} docstring lacks {missing}"
    assert positions == sorted(positions), f"{edit.name} docstring sections are out of order"


class _CountingModifierEdit(Edit):
    """Counts its calls; finds one thing per line carrying modifier 62 (a test double of a modifier edit)."""

    name = "counting-modifier-62"
    judges_modifiers = frozenset({"62"})

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.calls = 0

    def check(self, claim: Claim, reference: ReferenceSet) -> list[Finding]:
        self.calls += 1
        return [
            Finding(edit=self.name, severity="info", lines=(line.line_number,), code=line.code, message="62", reference_version="test")
            for line in claim.lines
            if "62" in line.modifiers
        ]


def test_an_edit_judging_some_modifiers_is_called_only_for_claims_carrying_one() -> None:
    engine = Engine(REFERENCE, edits=[_CountingModifierEdit])
    (edit,) = engine.edits
    assert isinstance(edit, _CountingModifierEdit)
    plain = make_claim({"line_number": 1, "code": "64628", "date_of_service": "2025-03-04"})
    other = make_claim({"line_number": 1, "code": "64628", "modifiers": ["59"], "date_of_service": "2025-03-04"})
    assert engine.run(plain) == ()
    assert engine.run(other) == ()
    assert edit.calls == 0
    with_62 = make_claim(
        {"line_number": 1, "code": "64628", "modifiers": ["59"], "date_of_service": "2025-03-04"},
        {"line_number": 2, "code": "64628", "modifiers": ["62"], "date_of_service": "2025-03-05"},
    )
    assert [finding.lines for finding in engine.run(with_62)] == [(2,)]
    assert edit.calls == 1
