"""The reference data the edits read, indexed by code, in effective periods.

A `ReferenceSet` is what a snapshot file holds: one or more `Reference`
periods (a CMS quarter each, typically). The engine picks, per service line,
the period in force on its date of service.
"""

from __future__ import annotations

import datetime as dt

import msgspec

from edits.reference.ptp_table import PtpTable

ADDON_GLOBAL_DAYS = "ZZZ"
CONTRACTOR_DEFINED_PRIMARY = "CCCCC"


class FeeScheduleEntry(msgspec.Struct, frozen=True, array_like=True):
    """Payment indicators of one code from the PFS relative value file (PPRRVU), global row (no modifier)."""

    status: str
    global_days: str
    pctc: str
    mult_proc: str
    bilateral: str
    assistant: str
    co_surgeons: str
    team: str


class MueEntry(msgspec.Struct, frozen=True, array_like=True):
    """NCCI practitioner MUE: most units of a code per patient per date of service, and how it is adjudicated."""

    value: int
    mai: int  # 1 line edit, 2 date-of-service policy, 3 date-of-service clinical
    rationale: str = ""


class AddOnPairing(msgspec.Struct, frozen=True, array_like=True):
    """One row of the NCCI add-on code table: an add-on and one eligible primary.

    `primary` is `CCCCC` when the contractor defines the primaries (type 2).
    Dates are inclusive; `None` means open (no effective date known, or not deleted).
    """

    primary: str
    edit_type: int  # 1 listed primaries only, 2 contractor-defined, 3 listed plus contractor additions
    effective: dt.date | None = None
    deleted: dt.date | None = None

    def in_force(self, day: dt.date) -> bool:
        if self.effective is not None and day < self.effective:
            return False
        return self.deleted is None or day <= self.deleted


class Reference(msgspec.Struct, frozen=True, kw_only=True):
    """One period's tables, each keyed by CPT/HCPCS code."""

    version: str
    effective_from: dt.date | None = None
    effective_to: dt.date | None = None
    sources: tuple[str, ...] = ()
    fee_schedule: dict[str, FeeScheduleEntry] = {}
    mue: dict[str, MueEntry] = {}
    addons: dict[str, tuple[AddOnPairing, ...]] = {}
    ptp: PtpTable = msgspec.field(default_factory=PtpTable)  # rows carry their own dates: one table answers any date

    def covers(self, day: dt.date) -> bool:
        if self.effective_from is not None and day < self.effective_from:
            return False
        return self.effective_to is None or day <= self.effective_to

    def is_addon(self, code: str) -> bool:
        """An add-on: global days ZZZ in the fee schedule, or listed in the NCCI add-on code table."""
        entry = self.fee_schedule.get(code)
        return (entry is not None and entry.global_days == ADDON_GLOBAL_DAYS) or code in self.addons


class ReferenceSet(msgspec.Struct, frozen=True, kw_only=True):
    """What a snapshot holds: a version string every result records, and the periods."""

    version: str
    references: tuple[Reference, ...]
    built_at: dt.datetime | None = None
    notes: str = ""

    def for_date(self, day: dt.date) -> Reference:
        """The period in force on `day`; outside every period, the nearest one (the finding names its version)."""
        refs = self.references
        if len(refs) == 1:
            return refs[0]
        for ref in refs:
            if ref.covers(day):
                return ref
        return min(refs, key=lambda ref: _distance(ref, day))


def _distance(ref: Reference, day: dt.date) -> int:
    if ref.effective_from is not None and day < ref.effective_from:
        return (ref.effective_from - day).days
    if ref.effective_to is not None and day > ref.effective_to:
        return (day - ref.effective_to).days
    return 0
