"""Synthetic claim events with a realistic code mix, deterministic for a given seed.

Mostly clean claims of everyday codes (office visits, labs, injections, therapy),
plus the procedure families the edits are about: 64628/64629 (basivertebral
nerve ablation), 64635/64636 (facet nerve ablation), 64490-64495 (facet joint
injections). About one claim in twelve has a problem the edits catch: an add-on
without its primary, modifier 51 or a wrong 50 on an add-on, or units over the MUE.
No real patient data: ids are random tokens, NPIs a fixed test number.

`ClaimMaker(mix="heavy")` is the finding-heavy mix issue 13 asks for beside it: about 1.8 findings
per claim and three claims in four denied (with history on, measured with the full-size bench
reference; `make bench` prints what each run's results held). Two claims in three carry two or three
of `HEAVY_PROBLEMS` (a wrong modifier, units over the MUE, a PTP pair, an add-on alone, a status B
code), the rest are drawn as in the bench mix. It bills only codes the bench mix bills, so the
full-size reference (`bench/reference_full.py`, built from those codes) is the same for both mixes.

Patients, as claim history sees them: most claims are a patient's only claim of the day, but about
one patient in four has a visit that yields several claims (2 to 5) on one date of service from the
same provider, arriving interleaved with other patients' claims over the next few hundred claims
(a professional claim per service, sent as each is coded). So history reads find earlier claims,
and two claims of one patient sometimes sit in one batch or in adjacent batches.
"""

from __future__ import annotations

import datetime as dt
import decimal
import random
from collections.abc import Iterator
from dataclasses import dataclass

from contracts import Claim, ClaimSubmitted, ServiceLine, encode

# Everyday codes, each with the modifiers it is sometimes billed with. A claim bills each at most
# once (repeats are billed as units), so 50-line claims need 50 distinct codes.
_PLAIN = (
    "99202", "99203", "99204", "99205", "99212", "99215", "99232", "99233", "99238", "99283", "99284", "99285",
    "36415", "80053", "80061", "85025", "85610", "83036", "82947", "82565", "84443", "81002", "81003", "87086",
    "87880", "93000", "93005", "93010", "94010", "94640", "90471", "90686", "90715", "90732", "96372", "97112",
    "97116", "97161", "97162", "97035", "76700", "76856", "72100", "72148", "70450", "74177", "73610", "73721",
    "20550", "20552", "17000", "17110", "12001", "10060", "69210", "92004", "92014", "99406", "11721", "J1100",
    "J3301", "G0439", "G0008", "A4550", "77003",
)
CLEAN_CODES: tuple[tuple[str, tuple[tuple[str, ...], ...]], ...] = (
    ("99213", ((), ("25",))),
    ("99214", ((), ("25",))),
    ("71046", ((), ("26",))),
    ("73030", (("RT",), ("LT",))),
    ("20610", (("RT",), ("LT",), ("50",))),
    ("97110", ((), ("GP",))),
    ("97140", (("GP",), ("59", "GP"))),
    ("97530", (("GP",),)),
    ("64483", ((), ("RT",))),
    *((code, ((),)) for code in _PLAIN),
)

# (code, modifiers, units) lines of the procedure families, clean.
FAMILIES: tuple[tuple[tuple[str, tuple[str, ...], int], ...], ...] = (
    (("64628", (), 1), ("64629", (), 1)),
    (("64628", (), 1), ("64629", (), 2)),
    (("64635", ("50",), 1), ("64636", ("50",), 1)),
    (("64635", (), 1), ("64636", (), 2)),
    (("64490", ("50",), 1), ("64491", ("50",), 1), ("64492", ("50",), 1)),
    (("64493", ("RT",), 1), ("64494", ("RT",), 1), ("64495", ("RT",), 1)),
    (("64493", (), 1), ("64494", ("50",), 1)),
)

# The same families with one thing wrong each.
PROBLEMS: tuple[tuple[tuple[str, tuple[str, ...], int], ...], ...] = (
    (("64629", (), 1),),  # add-on without primary
    (("64636", ("RT",), 1), ("64636", ("LT",), 1)),  # two add-ons, no primary
    (("64628", (), 1), ("64629", ("51",), 1)),  # 51 on an add-on
    (("64628", (), 1), ("64629", ("50",), 1)),  # 50 on an add-on priced without bilateral
    (("64628", (), 1), ("64629", (), 3)),  # MUE 2 exceeded
    (("64628", (), 1), ("64629", (), 2), ("64629", ("59",), 1)),  # MUE summed over lines
    (("64491", (), 1),),  # add-on without 64490
    (("64493", (), 1), ("64495", ("51",), 1)),  # 51 on an add-on
)

# Share of claims by kind; the rest are clean everyday claims.
FAMILY_SHARE = 0.22
PROBLEM_SHARE = 0.08

# The finding-heavy mix: groups of lines each denied by the full-size bench reference (indicators of the real
# fee schedule, synthetic MUE values, `BENCH_PAIRS` of bench/reference_full.py). A claim takes a few with distinct codes.
HEAVY_PROBLEMS: tuple[tuple[tuple[str, tuple[str, ...], int], ...], ...] = (
    *(group for group in PROBLEMS if not any("51" in modifiers for _, modifiers, _ in group)),  # 51 is a review
    (("99213", ("50",), 1),),  # modifier-50-not-bilateral (bilateral indicator 0)
    (("69210", ("50",), 1),),  # modifier-50-not-bilateral (indicator 2: priced bilateral already)
    (("10060", ("80",), 1),),  # assistant-at-surgery-not-payable (indicator 1)
    (("17000", ("62",), 1),),  # co-surgeon-not-permitted (indicator 0)
    (("20552", ("66",), 1),),  # team-surgery-not-permitted (indicator 0)
    (("99214", ("26",), 1),),  # pctc-modifier-invalid (PC/TC indicator 0)
    (("96372", ("TC",), 1),),  # pctc-modifier-invalid (indicator 5)
    (("A4550", (), 1),),  # code-not-payable (status B)
    (("97110", (), 3),),  # mue-units-exceeded (MUE 1, MAI 2)
    (("12001", (), 2),),  # mue-units-exceeded (MUE 1, MAI 1)
    (("80053", (), 1), ("82947", (), 1)),  # ptp-bundled-code (modifier indicator 0)
    (("93000", (), 1), ("93010", (), 1)),  # ptp-bundled-code (indicator 0)
    (("97530", ("GP",), 1), ("97140", ("GP",), 1)),  # ptp-bundled-code (indicator 1, no 59)
    (("20610", (), 1), ("99215", (), 1), ("99213", (), 1)),  # ptp-bundled-code (indicator 1, no 25 on the visit)
)
HEAVY_PROBLEM_SHARE = 0.65
HEAVY_GROUPS = (2, 2, 3)  # problem groups per such claim, drawn uniformly
MIXES = ("bench", "heavy")
MIX_SEEDS = {"bench": 1, "heavy": 2}  # the seed each mix is drawn with by make bench and the focused benches

BASE_DATE = dt.date(2025, 10, 6)
MULTI_CLAIM_VISITS = 0.25  # share of new patients whose visit brings more claims
MORE_CLAIMS = (1, 4)  # how many more claims such a visit brings (inclusive)
FOLLOW_UP_SHARE = 0.3  # share of claims that are a further claim of an open multi-claim visit
OPEN_VISITS = 100  # visits open at once: a visit's claims spread over a few hundred claims
TEST_NPI = "1234567893"
CHARGE = decimal.Decimal("125.00")


@dataclass(slots=True)
class _Visit:
    patient: str
    day: dt.date
    to_come: int  # further claims of this visit still to be made


class ClaimMaker:
    """`claim(n_lines)` / `event(n_lines)` / `events(count, n_lines)`; the same seed gives the same claims."""

    def __init__(self, seed: int = 20251006, mix: str = "bench") -> None:
        if mix not in MIXES:
            raise ValueError(f"unknown mix {mix!r} (known: {', '.join(MIXES)})")
        self.heavy = mix == "heavy"
        self.rng = random.Random(seed)
        self.serial = 0
        self._visits: list[_Visit] = []

    def _lines(self, n_lines: int) -> list[tuple[str, tuple[str, ...], int]]:
        if self.heavy and self.rng.random() < HEAVY_PROBLEM_SHARE:
            return self._heavy_lines(n_lines)
        roll = self.rng.random()
        lines: list[tuple[str, tuple[str, ...], int]] = []
        if roll < PROBLEM_SHARE:
            lines.extend(self.rng.choice(PROBLEMS))
        elif roll < PROBLEM_SHARE + FAMILY_SHARE:
            lines.extend(self.rng.choice(FAMILIES))
        billed = {code for code, _, _ in lines}
        fill = [entry for entry in CLEAN_CODES if entry[0] not in billed]
        for code, modifier_choices in self.rng.sample(fill, max(0, n_lines - len(lines))):
            lines.append((code, self.rng.choice(modifier_choices), 1))
        return lines[:n_lines]

    def _heavy_lines(self, n_lines: int) -> list[tuple[str, tuple[str, ...], int]]:
        """A few of `HEAVY_PROBLEMS` (no code twice: a repeated code would be another finding, or none), then clean fill."""
        lines: list[tuple[str, tuple[str, ...], int]] = []
        billed: set[str] = set()
        for group in self.rng.sample(HEAVY_PROBLEMS, self.rng.choice(HEAVY_GROUPS)):
            codes = {code for code, _, _ in group}
            if not codes & billed and len(lines) + len(group) <= n_lines:
                lines.extend(group)
                billed |= codes
        fill = [entry for entry in CLEAN_CODES if entry[0] not in billed]
        for code, modifier_choices in self.rng.sample(fill, max(0, n_lines - len(lines))):
            lines.append((code, self.rng.choice(modifier_choices), 1))
        return lines[:n_lines]

    def claim(self, n_lines: int = 5) -> Claim:
        if not 1 <= n_lines <= 50:
            raise ValueError(f"n_lines must be 1-50, got {n_lines}")
        self.serial += 1
        patient, day = self._patient_and_day()
        return Claim(
            claim_id=f"BENCH-{self.serial:09d}",
            patient_id=patient,
            billing_provider_npi=TEST_NPI,
            lines=tuple(
                ServiceLine(line_number=number, code=code, modifiers=modifiers, units=units, date_of_service=day, charge=CHARGE)
                for number, (code, modifiers, units) in enumerate(self._lines(n_lines), start=1)
            ),
        )

    def _patient_and_day(self) -> tuple[str, dt.date]:
        """A further claim of an open multi-claim visit, or a new patient (who may open such a visit)."""
        rng, visits = self.rng, self._visits
        if visits and rng.random() < FOLLOW_UP_SHARE:
            i = rng.randrange(len(visits))
            visit = visits[i]
            visit.to_come -= 1
            if visit.to_come == 0:
                visits[i] = visits[-1]
                visits.pop()
            return visit.patient, visit.day
        patient = f"P-{rng.getrandbits(40):010x}"
        day = BASE_DATE + dt.timedelta(days=self.serial % 60)
        if len(visits) < OPEN_VISITS and rng.random() < MULTI_CLAIM_VISITS:
            visits.append(_Visit(patient, day, rng.randint(*MORE_CLAIMS)))
        return patient, day

    def event(self, n_lines: int = 5, occurred_at: dt.datetime | None = None) -> ClaimSubmitted:
        claim = self.claim(n_lines)
        return ClaimSubmitted(
            event_id=f"E-{claim.claim_id}",
            occurred_at=occurred_at or dt.datetime.now(dt.UTC),
            claim=claim,
        )

    def events(self, count: int, n_lines: int = 5) -> Iterator[ClaimSubmitted]:
        for _ in range(count):
            yield self.event(n_lines)

    def payloads(self, count: int, n_lines: int = 5) -> list[bytes]:
        """Encoded `claim.submitted` events, as the claims platform writes them to the stream's `event` field."""
        return [encode(event) for event in self.events(count, n_lines)]
