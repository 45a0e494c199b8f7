"""What the validator's walk collects per claim: the values of the segments the mapping reads, with their positions.

`Collector` is the callback pyx12 calls for every segment, with the implementation-guide map node it
matched: the loop (2010AA, 2310B, 2420A ...) comes from the map, never from guessing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Position:
    """Where a segment is: its number in the file (ISA is 1), its transaction's ST02 and its position there (ST is 1, as in a 999's IK3)."""

    segment: int
    seg_id: str
    transaction: str
    st_position: int | None = None


@dataclass(frozen=True)
class Envelope:
    """ISA, GS and ST values every claim of a transaction shares."""

    interchange: str
    group: str
    transaction: str
    sender: str
    receiver: str
    interchange_at: dt.datetime | None
    interchange_position: int
    group_position: int
    transaction_position: int


@dataclass
class LineDraft:
    position: Position
    lx: str
    sv1: Position | None = None
    qualifier: str = ""
    code: str = ""
    modifiers: tuple[str, ...] = ()
    charge: str = ""
    unit_basis: str = ""
    quantity: str = ""
    place_of_service: str = ""
    date: tuple[str, str] | None = None
    """DTP*472 (format, value)."""
    rendering_npi: str | None = None


@dataclass
class ClaimDraft:
    position: Position
    envelope: Envelope
    claim_id: str
    total_charge: str
    facility_code: str
    frequency_code: str
    billing_npi: str | None
    member_id: str | None
    payer_id: str | None
    patient_key: tuple[str, ...] | None
    """(PAT01, last name, first name, birth date, gender) of a separate patient loop (2000C), else None."""
    original_claim_id: str | None = None
    diagnoses: list[tuple[Position, str, str]] = field(default_factory=list)
    rendering_npi: str | None = None
    claim_date: tuple[str, str] | None = None
    lines: list[LineDraft] = field(default_factory=list)
    first_st_position: int = 0
    last_st_position: int = 0
    """CLM's and the claim's last segment's positions within their transaction (ST is 1): pyx12 reports errors so."""


def loop_of(node: Any) -> str:
    """The implementation-guide loop id of a map node's segment: '2010AA', '2300', 'HEADER', 'ST_LOOP'."""
    path: str = node.get_path()
    parts = path.rsplit("/", 2)
    return parts[-2] if len(parts) >= 2 else ""
