"""Claims whose findings depend on the MUE of 64629 (bundled: 2, MAI 2), a changed MUE table, and a CLI runner."""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from contracts import Claim, ClaimSubmitted, ServiceLine, encode
from workers.cli import main

DOS = dt.date(2025, 11, 3)
CURATED_MUE = Path(__file__).resolve().parents[2] / "edits" / "reference" / "data" / "mue_curated.csv"

Line = tuple[str, tuple[str, ...], int]

# claim id -> lines. With the bundled MUE of 64629 (2 per date of service, summed):
CLAIMS: dict[str, tuple[Line, ...]] = {
    "C-pair": (("64628", (), 1), ("64629", (), 1)),  # clean; still clean with MUE 1
    "C-two-units": (("64628", (), 1), ("64629", (), 2)),  # clean; over an MUE of 1 (line 2)
    "C-split": (("64628", (), 1), ("64629", (), 1), ("64629", ("59",), 1)),  # clean; over an MUE of 1 (lines 2, 3)
    "C-three-units": (("64628", (), 1), ("64629", (), 3)),  # over the MUE of 2 (line 2); under an MUE of 3
    "C-addon-alone": (("64629", (), 1),),  # add-on without primary, whatever the MUE
    "C-office": (("99213", (), 1), ("36415", (), 1)),  # nothing to find
}


def claim(claim_id: str, lines: tuple[Line, ...] | None = None, patient_id: str | None = None) -> Claim:
    return Claim(
        claim_id=claim_id,
        # One patient per claim (and per round, when a claim is sent again): these tests are about reference
        # changes, so no claim may be another's history (a claim sent twice for one patient is a duplicate).
        patient_id=patient_id or f"P-{claim_id}",
        billing_provider_npi="1234567893",
        lines=tuple(
            ServiceLine(line_number=number, code=code, modifiers=modifiers, units=units, date_of_service=DOS)
            for number, (code, modifiers, units) in enumerate(lines or CLAIMS[claim_id], start=1)
        ),
    )


def event(claim_id: str, event_id: str | None = None) -> ClaimSubmitted:
    """The claim as an event; its patient is named after the event id, so a claim sent again is another patient's."""
    return ClaimSubmitted(
        event_id=event_id or f"E-{claim_id}",
        occurred_at=dt.datetime(2025, 11, 3, 12, 0, tzinfo=dt.UTC),
        claim=claim(claim_id, patient_id=f"P-{event_id}" if event_id else None),
    )


def events() -> list[ClaimSubmitted]:
    return [event(claim_id) for claim_id in CLAIMS]


def write_jsonl(path: Path, items: list[Any], extra_lines: dict[int, bytes] | None = None) -> Path:
    """One encoded item per line; `extra_lines` puts raw bytes at given 1-based line numbers."""
    lines = [encode(item) for item in items]
    for number, raw in sorted((extra_lines or {}).items()):
        lines.insert(number - 1, raw)
    path.write_bytes(b"\n".join(lines) + b"\n")
    return path


def changed_mue(path: Path, code: str = "64629", value: int = 3) -> Path:
    """The bundled curated MUE table (CMS layout: notice row, two-line header, Latin-1) with one value changed."""
    text = CURATED_MUE.read_bytes().decode("latin-1")
    changed, count = re.subn(rf"^{code},\d+,", f"{code},{value},", text, flags=re.MULTILINE)
    assert count == 1, f"{code} is not in {CURATED_MUE}"
    path.write_bytes(changed.encode("latin-1"))
    return path


@dataclass
class Run:
    status: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


def replay(capsys: pytest.CaptureFixture[str], *args: str | Path) -> Run:
    capsys.readouterr()
    status = main(["replay", *map(str, args)])
    captured = capsys.readouterr()
    return Run(status, captured.out, captured.err)


def check_json(capsys: pytest.CaptureFixture[str], claims: Path, *args: str | Path) -> str:
    """`claim-edit check --format json` output, the other accepted baseline format."""
    capsys.readouterr()
    main(["check", "--format", "json", str(claims), *map(str, args)])
    return capsys.readouterr().out


def changed_claims(report: Any) -> dict[str, Any]:
    return {change["claim_id"]: change for change in report["changed"]}


def keys(findings: list[dict[str, Any]]) -> list[tuple[str, tuple[int, ...], str, str]]:
    return sorted((f["edit"], tuple(f["lines"]), f["code"], f["severity"]) for f in findings)
