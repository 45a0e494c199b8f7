"""Synthetic 837P (005010X222A1) interchanges for the tests and the x12 benchmark: fictitious data, valid against the guide.

Build the pieces (`Line`, `ClaimSpec`, `Subscriber`, `Transaction`) and call `interchange(...)`; the
counts in SE, GE and IEA are computed, so a test breaks one on purpose by editing the text afterwards.
"""

from __future__ import annotations

from dataclasses import dataclass, field


def npi(base: str) -> str:
    """A 10-digit NPI with a valid check digit (Luhn over '80840' + the first 9 digits)."""
    digits = [int(d) for d in "80840" + base[:9]]
    total = 0
    for index, digit in enumerate(reversed(digits)):
        doubled = digit * 2 if index % 2 == 0 else digit
        total += doubled - 9 if doubled > 9 else doubled
    return base[:9] + str((10 - total % 10) % 10)


BILLING_NPI = npi("191230195")
RENDERING_NPI = npi("112233334")
LINE_RENDERING_NPI = npi("155555111")


@dataclass
class Line:
    code: str = "64628"
    modifiers: tuple[str, ...] = ()
    charge: str = "100.00"
    units: str = "1"
    basis: str = "UN"
    date: tuple[str, str] | None = ("D8", "20250303")
    place_of_service: str = ""
    rendering_npi: str | None = None
    qualifier: str = "HC"


@dataclass
class ClaimSpec:
    claim_id: str
    lines: list[Line] = field(default_factory=lambda: [Line()])
    total: str | None = None
    facility: str = "11"
    frequency: str = "1"
    original_claim_id: str | None = None
    rendering_npi: str | None = None
    diagnoses: tuple[str, ...] = ("ABK:M5416",)


@dataclass
class Patient:
    """A dependant without a member id of their own: the 2000C/2010CA loops."""

    last: str = "DOE"
    first: str = "SAM"
    birth_date: str = "20100101"
    gender: str = "F"
    relationship: str = "19"


@dataclass
class Subscriber:
    member_id: str
    claims: list[ClaimSpec]
    patient: Patient | None = None
    payer_id: str = "PAYER01"


@dataclass
class Transaction:
    control: str
    subscribers: list[Subscriber]
    billing_npi: str = BILLING_NPI


def _total(claim: ClaimSpec) -> str:
    if claim.total is not None:
        return claim.total
    from decimal import Decimal

    return str(sum((Decimal(line.charge) for line in claim.lines), Decimal("0.00")))


def claim_segments(claim: ClaimSpec) -> list[str]:
    out = [f"CLM*{claim.claim_id}*{_total(claim)}***{claim.facility}:B:{claim.frequency}*Y*A*Y*Y"]
    if claim.original_claim_id:
        out.append(f"REF*F8*{claim.original_claim_id}")
    if claim.diagnoses:
        out.append("HI*" + "*".join(claim.diagnoses))
    if claim.rendering_npi:
        out += [f"NM1*82*1*HOUSE*GREG****XX*{claim.rendering_npi}", "PRV*PE*PXC*208D00000X"]
    for number, line in enumerate(claim.lines, start=1):
        procedure = ":".join((line.qualifier, line.code, *line.modifiers))
        out += [f"LX*{number}", f"SV1*{procedure}*{line.charge}*{line.basis}*{line.units}*{line.place_of_service}**1"]
        if line.date is not None:
            out.append(f"DTP*472*{line.date[0]}*{line.date[1]}")
        if line.rendering_npi:
            out.append(f"NM1*82*1*WILSON*JAMES****XX*{line.rendering_npi}")
    return out


def transaction_segments(transaction: Transaction, version: str = "005010X222A1") -> list[str]:
    out = [
        f"ST*837*{transaction.control}*{version}",
        "BHT*0019*00*0123*20250304*1200*CH",
        "NM1*41*2*SYNTHETIC BILLING SERVICE*****46*TGJ23",
        "PER*IC*HELP DESK*TE*5555550100",
        "NM1*40*2*SYNTHETIC PAYER*****46*66783JJT",
        "HL*1**20*1",
        f"NM1*85*2*SYNTHETIC CLINIC*****XX*{transaction.billing_npi}",
        "N3*1 MAIN ST",
        "N4*SPRINGFIELD*IL*627010000",
        "REF*EI*123456789",
    ]
    hl = 1
    for subscriber in transaction.subscribers:
        hl += 1
        parent = hl
        child = "1" if subscriber.patient is not None else "0"
        relation = "" if subscriber.patient is not None else "18"
        out += [
            f"HL*{hl}*1*22*{child}",
            f"SBR*P*{relation}*******CI",
            f"NM1*IL*1*ROE*RICHARD****MI*{subscriber.member_id}",
            f"NM1*PR*2*SYNTHETIC PAYER*****PI*{subscriber.payer_id}",
        ]
        if subscriber.patient is not None:
            hl += 1
            p = subscriber.patient
            out += [f"HL*{hl}*{parent}*23*0", f"PAT*{p.relationship}", f"NM1*QC*1*{p.last}*{p.first}",
                    "N3*1 MAIN ST", "N4*SPRINGFIELD*IL*62701", f"DMG*D8*{p.birth_date}*{p.gender}"]
        for claim in subscriber.claims:
            out += claim_segments(claim)
    out.append(f"SE*{len(out) + 1}*{transaction.control}")
    return out


def interchange(groups: list[list[Transaction]], control: str = "000000001", version: str = "005010X222A1",
                terminator: str = "~\n") -> str:
    """ISA ... IEA around `groups` (each a list of transactions); group control numbers are 1, 2, ..."""
    segments = [
        f"ISA*00*          *00*          *ZZ*SUBMITTER      *ZZ*RECEIVER       *250304*1200*^*00501*{control}*0*T*:",
    ]
    for number, transactions in enumerate(groups, start=1):
        segments.append(f"GS*HC*SUBMITTER*RECEIVER*20250304*1200*{number}*X*{version}")
        for transaction in transactions:
            segments += transaction_segments(transaction, version)
        segments.append(f"GE*{len(transactions)}*{number}")
    segments.append(f"IEA*{len(groups)}*{control}")
    return terminator.join(segments) + terminator


def simple(claims: list[ClaimSpec], member_id: str = "MEMBER001", **kwargs: str) -> str:
    """One interchange, one group, one transaction, one subscriber with `claims`."""
    return interchange([[Transaction("0001", [Subscriber(member_id, claims)])]], **kwargs)


def many_claims(count: int, claims_per_transaction: int = 1_000) -> str:
    """`count` two-line claims (64628 + 64629), one subscriber each, in transactions of `claims_per_transaction`."""
    transactions: list[Transaction] = []
    for start in range(0, count, claims_per_transaction):
        subscribers = [
            Subscriber(f"M{i:09d}", [ClaimSpec(f"C{i:09d}", [Line("64628", charge="1250.00"), Line("64629", charge="610.50")])])
            for i in range(start, min(count, start + claims_per_transaction))
        ]
        transactions.append(Transaction(f"{len(transactions) + 1:04d}", subscribers))
    return interchange([transactions])
