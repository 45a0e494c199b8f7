"""Reading the per-edit fixture files in `tests/edits/cases/` (claim in, findings out)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec
import yaml

from contracts import Claim
from edits.history.model import ClaimLines, HistoryLine, PatientHistory
from edits.reference.model import AddOnPairing, FeeScheduleEntry, MueEntry, Reference, ReferenceSet

CASES_DIR = Path(__file__).parent / "cases"
CASE_KEYS = {"name", "claim", "findings", "reference", "options", "why", "history"}
HISTORY_CLAIM_KEYS = {"claim_id", "lines"}
HISTORY_LINE_KEYS = {"line_number", "code", "modifiers", "units", "date_of_service", "provider"}

# Indicators a fixture does not mention take these values: a plain, non-add-on surgical code.
FEE_DEFAULTS = {
    "status": "A",
    "global_days": "000",
    "pctc": "0",
    "mult_proc": "2",
    "bilateral": "0",
    "assistant": "0",
    "co_surgeons": "0",
    "team": "0",
}
CLAIM_DEFAULTS = {"claim_id": "C-1", "patient_id": "P-1", "billing_provider_npi": "1234567893"}


@dataclass(frozen=True)
class Case:
    edit: str
    name: str
    claim: Claim
    reference: ReferenceSet
    options: dict[str, Any]
    findings: list[dict[str, Any]]
    history: PatientHistory | None = None  # None: the case edits the claim alone

    @property
    def id(self) -> str:
        return f"{self.edit}::{self.name}"


def _date(value: Any) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value))


def build_reference(spec: dict[str, Any], version: str) -> ReferenceSet:
    unknown = set(spec) - {"fee_schedule", "mue", "addons"}
    if unknown:
        raise ValueError(f"unknown reference keys {sorted(unknown)}")
    fee = {
        code: FeeScheduleEntry(**{**FEE_DEFAULTS, **{k: str(v) for k, v in row.items()}})
        for code, row in spec.get("fee_schedule", {}).items()
    }
    mue = {code: MueEntry(value=int(row["value"]), mai=int(row["mai"])) for code, row in spec.get("mue", {}).items()}
    addons = {
        code: tuple(
            AddOnPairing(
                primary=str(p["primary"]),
                edit_type=int(p["edit_type"]),
                effective=_date(p.get("effective")),
                deleted=_date(p.get("deleted")),
            )
            for p in pairings
        )
        for code, pairings in spec.get("addons", {}).items()
    }
    return ReferenceSet(version=version, references=(Reference(version=version, fee_schedule=fee, mue=mue, addons=addons),))


def _claim(spec: dict[str, Any]) -> Claim:
    data = {**CLAIM_DEFAULTS, **spec}
    return msgspec.convert(data, Claim)


def build_history(spec: list[dict[str, Any]], claim: Claim, where: str) -> PatientHistory:
    """Earlier claims of the patient: claim_id and lines; a line's provider defaults to the edited claim's billing NPI."""
    claims: list[ClaimLines] = []
    for earlier in spec:
        unknown = set(earlier) - HISTORY_CLAIM_KEYS
        if unknown:
            raise ValueError(f"{where}: history claim has unknown keys {sorted(unknown)}")
        claim_id = str(earlier["claim_id"])
        lines: list[HistoryLine] = []
        for number, line in enumerate(earlier["lines"], 1):
            unknown = set(line) - HISTORY_LINE_KEYS
            if unknown:
                raise ValueError(f"{where}: history line of {claim_id} has unknown keys {sorted(unknown)}")
            day = _date(line.get("date_of_service"))
            if day is None:
                raise ValueError(f"{where}: history line of {claim_id} has no date_of_service")
            lines.append(
                HistoryLine(
                    claim_id=claim_id,
                    line_number=int(line.get("line_number", number)),
                    provider=str(line.get("provider", claim.billing_provider_npi)),
                    date_of_service=day,
                    code=str(line["code"]),
                    modifiers=tuple(map(str, line.get("modifiers", ()))),
                    units=line.get("units", 1),
                )
            )
        claims.append(ClaimLines(claim_id=claim_id, lines=tuple(lines)))
    return PatientHistory(claims)


def load_cases() -> list[Case]:
    cases: list[Case] = []
    for path in sorted(CASES_DIR.glob("*.yaml")):
        doc = yaml.safe_load(path.read_text())
        edit = doc["edit"]
        if path.stem != edit:
            raise ValueError(f"{path.name}: file name must be the edit name {edit!r}")
        shared = doc.get("reference", {})
        for raw in doc["cases"]:
            unknown = set(raw) - CASE_KEYS
            if unknown:
                raise ValueError(f"{path.name}::{raw.get('name')}: unknown keys {sorted(unknown)}")
            claim = _claim(raw["claim"])
            history = raw.get("history")
            cases.append(
                Case(
                    edit=edit,
                    name=raw["name"],
                    claim=claim,
                    reference=build_reference(raw.get("reference", shared), version=f"fixture-{edit}"),
                    options=raw.get("options", {}),
                    findings=raw["findings"],
                    history=None if history is None else build_history(history, claim, f"{path.name}::{raw['name']}"),
                )
            )
    return cases
