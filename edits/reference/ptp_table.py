"""The NCCI procedure-to-procedure (PTP) table as packed arrays: 2.5 million rows in about 20 MB.

A dict entry per column-one/column-two pair costs hundreds of bytes in CPython,
hundreds of MB at full CMS size. Here every row is 8 bytes in parallel arrays,
grouped by column-one code and sorted by column-two code inside each group:

    codes       every code of the table, sorted (the ids below index it)
    column_one  uint16 code ids of the column-one codes, ascending (a few thousand)
    starts      uint32: group i is rows starts[i] .. starts[i + 1]
    column_two  uint16 code id per row (sorted inside its group, then by effective date)
    effective   uint16 days since 1970-01-01 per row
    deleted     uint16 days since 1970-01-01 per row; 0xFFFF = not deleted (`*`)
    indicator   uint8 modifier indicator per row (0, 1, 9)
    rationale   uint8 index into `rationales` per row

The arrays are msgpack `bin` values in the snapshot, so loading one is a copy.
The small dicts a lookup needs (column-one code -> group, code -> id) are built
on first use, once per process. Rows keep their own dates, so one table answers
any date of service; `pairs(column_one, column_two, day)` is the one lookup.
"""

from __future__ import annotations

import bisect
import datetime as dt
import functools
import sys
from array import array
from collections.abc import Iterable, Iterator
from typing import NamedTuple

import msgspec

EPOCH = dt.date(1970, 1, 1)
_EPOCH_ORDINAL = EPOCH.toordinal()
NOT_DELETED = 0xFFFF
MAX_DAY = NOT_DELETED - 1  # 2149-06-05: the last date a row can carry
MAX_CODES = 0xFFFF
MAX_RATIONALES = 0x100
MODIFIER_INDICATORS = frozenset({0, 1, 9})
# Column-two code sets kept at once (see `column_twos`): a set of a few hundred codes is ~30 KB, so the cap bounds
# this cache near 60 MB even if a worker sees every column-one code; a normal mix of claims touches far fewer.
COLUMN_TWO_SETS_KEPT = 2_000
# Entries of `decided` kept at once: a key and its row are a few hundred bytes, so about 15 MB at most.
DECIDED_KEPT = 50_000
_NOTHING: frozenset[str] = frozenset()


def day_number(day: dt.date) -> int:
    return day.toordinal() - _EPOCH_ORDINAL


def from_day_number(number: int) -> dt.date:
    return dt.date.fromordinal(number + _EPOCH_ORDINAL)


def _native(kind: str, data: bytes) -> array[int]:
    """An array from little-endian bytes (the snapshot's byte order), whatever this machine's order."""
    values = array(kind)
    values.frombytes(data)
    if sys.byteorder != "little":
        values.byteswap()
    return values


def _little(values: array[int]) -> bytes:
    if sys.byteorder != "little":
        values = array(values.typecode, values)
        values.byteswap()
    return values.tobytes()


class PtpRow(NamedTuple):
    """One row of the PTP table, as CMS lists it. `deleted` None: not deleted (`*`)."""

    column_one: str
    column_two: str
    effective: dt.date
    deleted: dt.date | None
    modifier_indicator: int
    rationale: str

    def in_force(self, day: dt.date) -> bool:
        return self.effective <= day and (self.deleted is None or day <= self.deleted)


class PtpTable(msgspec.Struct, frozen=True, kw_only=True, dict=True):
    """The packed table (see the module docstring). Build one with `PtpTable.from_rows`; an empty table has no rows."""

    codes: tuple[str, ...] = ()
    rationales: tuple[str, ...] = ()
    column_one: bytes = b""
    starts: bytes = b""
    column_two: bytes = b""
    effective: bytes = b""
    deleted: bytes = b""
    indicator: bytes = b""
    rationale: bytes = b""

    @classmethod
    def from_rows(cls, rows: Iterable[PtpRow]) -> PtpTable:
        """Pack rows (any order; exact duplicates kept once). Dates must lie in 1970-01-01 .. 2149-06-05."""
        builder = PtpBuilder()
        for row in rows:
            builder.add(row.column_one, row.column_two, row.effective, row.deleted, row.modifier_indicator, row.rationale)
        return builder.build()

    # --- derived lookups, built once per process on first use ---

    @functools.cached_property
    def groups(self) -> dict[str, tuple[int, int]]:
        """Column-one code -> (first row, end row). `code in table.groups` is the cheap "can this code bundle anything?" test."""
        codes = self.codes
        ones = _native("H", self.column_one)
        starts = _native("I", self.starts)
        return {codes[code_id]: (starts[i], starts[i + 1]) for i, code_id in enumerate(ones)}

    @functools.cached_property
    def code_ids(self) -> dict[str, int]:
        return {code: i for i, code in enumerate(self.codes)}

    @functools.cached_property
    def _rows(self) -> tuple[array[int], array[int], array[int], bytes, bytes]:
        return (
            _native("H", self.column_two),
            _native("H", self.effective),
            _native("H", self.deleted),
            self.indicator,
            self.rationale,
        )

    @functools.cached_property
    def column_two_codes(self) -> frozenset[str]:
        """Every code that is column two of some row, whatever the dates: only these can be bundled.

        The edit's prefilter: a claim's codes outside this set need no per-line test, and a claim with none of its
        codes in it has no pair at all (one set intersection per claim, linear in lines).
        """
        codes = self.codes
        return frozenset([codes[code_id] for code_id in set(self._rows[0])])

    @functools.cached_property
    def column_two_sets(self) -> dict[str, frozenset[str]]:
        """The cache behind `column_twos`: code -> its column-two codes (empty for a code that is no column-one code).

        The edit reads it directly (`.get(code)`, one dict lookup per line) and calls `column_twos` on a miss.
        """
        return {}

    @functools.cached_property
    def decided(self) -> dict[tuple[str, str, dt.date], PtpRow | None]:
        """A memo for the edit: (column one, column two, date of service) -> the row that decides the pair that day, or None.

        The table never changes, so neither does the answer; the edit fills it and bounds it (`DECIDED_KEPT` entries,
        then it starts over)."""
        return {}

    @functools.cached_property
    def _sets_kept(self) -> list[int]:
        return [0]

    def column_twos(self, code: str) -> frozenset[str]:
        """Every code listed as column two of `code`, whatever the dates (a superset of the pairs in force); empty if none.

        The edit's cheap test: `column_twos(code).isdisjoint(codes on the claim)` rules a line out in one C call.
        Built on first use per code and kept; past `COLUMN_TWO_SETS_KEPT` non-empty sets the cache starts over.
        """
        cache = self.column_two_sets
        found = cache.get(code)
        if found is not None:
            return found
        group = self.groups.get(code)
        if group is None:
            cache[code] = _NOTHING
            return _NOTHING
        kept = self._sets_kept
        if kept[0] >= COLUMN_TWO_SETS_KEPT:
            cache.clear()
            kept[0] = 0
        kept[0] += 1
        codes = self.codes
        found = cache[code] = frozenset([codes[code_id] for code_id in self._rows[0][group[0] : group[1]]])
        return found

    def __len__(self) -> int:
        return len(self.indicator)

    def column_one_codes(self) -> list[str]:
        return list(self.groups)

    def _span(self, column_one: str, column_two: str) -> tuple[int, int] | None:
        group = self.groups.get(column_one)
        if group is None:
            return None
        two = self.code_ids.get(column_two)
        if two is None:
            return None
        column_twos = self._rows[0]
        lo, hi = group
        first = bisect.bisect_left(column_twos, two, lo, hi)
        if first == hi or column_twos[first] != two:
            return None
        return first, bisect.bisect_right(column_twos, two, first, hi)

    def _row(self, index: int, column_one: str, column_two: str) -> PtpRow:
        _, effective, deleted, indicator, rationale = self._rows
        gone = deleted[index]
        return PtpRow(
            column_one=column_one,
            column_two=column_two,
            effective=from_day_number(effective[index]),
            deleted=None if gone == NOT_DELETED else from_day_number(gone),
            modifier_indicator=indicator[index],
            rationale=self.rationales[rationale[index]],
        )

    def rows(self, column_one: str, column_two: str) -> list[PtpRow]:
        """Every row of the pair, whatever its dates, by effective date."""
        span = self._span(column_one, column_two)
        if span is None:
            return []
        return [self._row(i, column_one, column_two) for i in range(*span)]

    def pairs(self, column_one: str, column_two: str, day: dt.date) -> list[PtpRow]:
        """The rows of the pair in force on `day` (effective <= day <= deleted), by effective date; usually none or one."""
        span = self._span(column_one, column_two)
        if span is None:
            return []
        _, effective, deleted, _, _ = self._rows
        number = day.toordinal() - _EPOCH_ORDINAL
        return [
            self._row(i, column_one, column_two) for i in range(*span) if effective[i] <= number <= deleted[i]
        ]

    def all_rows(self) -> Iterator[PtpRow]:
        """Every row, by column one, column two, effective date."""
        codes = self.codes
        ones = _native("H", self.column_one)
        starts = _native("I", self.starts)
        column_twos = self._rows[0]
        for i, code_id in enumerate(ones):
            one = codes[code_id]
            for index in range(starts[i], starts[i + 1]):
                yield self._row(index, one, codes[column_twos[index]])


class PtpBuilder:
    """Rows in, packed table out. Rows are held as parallel arrays while loading (8 bytes each), not as objects."""

    def __init__(self) -> None:
        self._code_ids: dict[str, int] = {}
        self._rationale_ids: dict[str, int] = {}
        self._one = array("H")
        self._two = array("H")
        self._effective = array("H")
        self._deleted = array("H")
        self._indicator = array("B")
        self._rationale = array("B")

    def __len__(self) -> int:
        return len(self._indicator)

    def _code(self, code: str) -> int:
        found = self._code_ids.get(code)
        if found is None:
            found = len(self._code_ids)
            if found >= MAX_CODES:
                raise ValueError(f"more than {MAX_CODES} distinct codes")
            self._code_ids[code] = found
        return found

    def add_numbers(self, column_one: str, column_two: str, effective: int, deleted: int, indicator: int, rationale: str) -> None:
        """A row with its dates as day numbers (`day_number`; `NOT_DELETED` for `*`); the loaders' fast path."""
        rationale_id = self._rationale_ids.get(rationale)
        if rationale_id is None:
            rationale_id = len(self._rationale_ids)
            if rationale_id >= MAX_RATIONALES:
                raise ValueError(f"more than {MAX_RATIONALES} distinct PTP edit rationales")
            self._rationale_ids[rationale] = rationale_id
        self._one.append(self._code(column_one))
        self._two.append(self._code(column_two))
        self._effective.append(effective)
        self._deleted.append(deleted)
        self._indicator.append(indicator)
        self._rationale.append(rationale_id)

    def add(
        self, column_one: str, column_two: str, effective: dt.date, deleted: dt.date | None, indicator: int, rationale: str = ""
    ) -> None:
        if indicator not in MODIFIER_INDICATORS:
            raise ValueError(f"modifier indicator {indicator!r} is not 0, 1 or 9")
        start = day_number(effective)
        end = NOT_DELETED if deleted is None else day_number(deleted)
        for number in (start, end if deleted is not None else 0):
            if not 0 <= number <= MAX_DAY:
                raise ValueError(f"date {from_day_number(number)} is outside {EPOCH} .. {from_day_number(MAX_DAY)}")
        self.add_numbers(column_one, column_two, start, end, indicator, rationale)

    def build(self) -> PtpTable:
        codes = sorted(self._code_ids)
        rank = array("H", bytes(2 * len(codes)))
        for new, code in enumerate(codes):
            rank[self._code_ids[code]] = new
        one, two, effective, deleted = self._one, self._two, self._effective, self._deleted
        # One int key per row orders rows by (column one, column two, effective, deleted); the row index rides in the low bits.
        shift = max(1, len(one).bit_length())
        keys = sorted(
            ((((rank[one[i]] << 16 | rank[two[i]]) << 16 | effective[i]) << 16 | deleted[i]) << shift | i) for i in range(len(one))
        )
        mask = (1 << shift) - 1
        column_one = array("H")
        starts = array("I")
        out_two, out_eff, out_del = array("H"), array("H"), array("H")
        out_ind, out_rat = array("B"), array("B")
        previous_key = -1
        previous_one = -1
        for key in keys:
            i = key & mask
            row_key = key >> shift
            if row_key == previous_key and out_ind[-1] == self._indicator[i] and out_rat[-1] == self._rationale[i]:
                continue  # an exact duplicate row (the four files overlap at their seams in some quarters)
            previous_key = row_key
            first = rank[one[i]]
            if first != previous_one:
                column_one.append(first)
                starts.append(len(out_ind))
                previous_one = first
            out_two.append(rank[two[i]])
            out_eff.append(effective[i])
            out_del.append(deleted[i])
            out_ind.append(self._indicator[i])
            out_rat.append(self._rationale[i])
        starts.append(len(out_ind))
        rationales = sorted(self._rationale_ids, key=self._rationale_ids.__getitem__)
        return PtpTable(
            codes=tuple(codes),
            rationales=tuple(rationales),
            column_one=_little(column_one),
            starts=_little(starts),
            column_two=_little(out_two),
            effective=_little(out_eff),
            deleted=_little(out_del),
            indicator=out_ind.tobytes(),
            rationale=out_rat.tobytes(),
        )


EMPTY_PTP = PtpTable()
