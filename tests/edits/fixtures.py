"""Reading the per-edit fixture files in `tests/edits/cases/` (claim in, findings out)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec
import yaml

from contracts import Claim
from edits.reference.model import AddOnPairing, FeeScheduleEntry, MueEntry, Reference, ReferenceSet
from edits.reference.ptp_table import PtpRow, PtpTable

CASES_DIR = Path(__file__).parent / "cases"
CASE_KEYS = {"name", "claim", "findings", "reference", "options", "why"}

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

    @property
    def id(self) -> str:
        return f"{self.edit}::{self.name}"


def _date(value: Any) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value))


def build_reference(spec: dict[str, Any], version: str) -> ReferenceSet:
    unknown = set(spec) - {"fee_schedule", "mue", "addons", "ptp"}
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
    # PTP rows: {one, two, effective, deleted (absent or null: `*`), indicator, rationale}, as a CMS row.
    ptp = PtpTable.from_rows(
        PtpRow(
            column_one=str(row["one"]),
            column_two=str(row["two"]),
            effective=_date(row["effective"]) or dt.date(1996, 1, 1),
            deleted=_date(row.get("deleted")),
            modifier_indicator=int(row["indicator"]),
            rationale=str(row.get("rationale", "")),
        )
        for row in spec.get("ptp", [])
    )
    reference = Reference(version=version, fee_schedule=fee, mue=mue, addons=addons, ptp=ptp)
    return ReferenceSet(version=version, references=(reference,))


def _claim(spec: dict[str, Any]) -> Claim:
    data = {**CLAIM_DEFAULTS, **spec}
    return msgspec.convert(data, Claim)


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
            cases.append(
                Case(
                    edit=edit,
                    name=raw["name"],
                    claim=_claim(raw["claim"]),
                    reference=build_reference(raw.get("reference", shared), version=f"fixture-{edit}"),
                    options=raw.get("options", {}),
                    findings=raw["findings"],
                )
            )
    return cases
