"""Reference snapshots: CMS tables loaded once, saved as one msgpack file, loaded fast by every worker.

    refset = build_reference(pfs="PPRRVU2025_Oct.csv", mue="mue.csv", aoc="aoc.xlsx",
                             effective_from=dt.date(2025, 10, 1), effective_to=dt.date(2025, 12, 31))
    save_snapshot(refset, "2025Q4.snapshot")
    both = combine(load_snapshot("2025Q3.snapshot"), load_snapshot("2025Q4.snapshot"))
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import itertools
from collections.abc import Sequence
from pathlib import Path

import msgspec

from edits.reference.aoc import load_addons
from edits.reference.files import ReferenceFileError
from edits.reference.model import Reference, ReferenceSet
from edits.reference.mue import load_mue
from edits.reference.pfs import load_fee_schedule
from edits.reference.ptp import load_ptp
from edits.reference.ptp_table import PtpTable

DEFAULT_SNAPSHOT = Path(__file__).parent / "data" / "default.snapshot"

SNAPSHOT_FORMAT = "claim-edit-reference-snapshot"
# 2: periods carry the NCCI PTP table (packed arrays). A format-1 file is refused with "rebuild it" rather than
# read as a period without PTP edits, which would silently switch the edit off.
SNAPSHOT_FORMAT_VERSION = 2


class SnapshotError(ValueError):
    """A snapshot that cannot be read, or reference sets that cannot be combined."""


class _Snapshot(msgspec.Struct, frozen=True, kw_only=True):
    # The envelope lets a reader tell "not a snapshot" and "a newer format" from a damaged file.
    format: str
    format_version: int
    reference_set: ReferenceSet


class _Header(msgspec.Struct, kw_only=True):
    format: str = ""
    format_version: int = 0


_ENCODER = msgspec.msgpack.Encoder()
_DECODER = msgspec.msgpack.Decoder(_Snapshot)
_HEADER_DECODER = msgspec.msgpack.Decoder(_Header)


def build_reference(
    pfs: str | Path | None = None,
    mue: str | Path | None = None,
    aoc: str | Path | None = None,
    effective_from: dt.date | None = None,
    effective_to: dt.date | None = None,
    version: str | None = None,
    *,
    ptp: Sequence[str | Path] = (),
    built_at: dt.datetime | None = None,
    notes: str = "",
) -> ReferenceSet:
    """One period from the given CMS files (any may be left out; `ptp` takes the quarter's PTP parts).

    `version` defaults to the file names plus a content hash.
    """
    if effective_from is not None and effective_to is not None and effective_to < effective_from:
        raise SnapshotError(f"period ends ({effective_to}) before it starts ({effective_from})")
    paths = [Path(p) for p in (pfs, mue, aoc, *ptp) if p is not None]
    if version is None:
        version = default_version(paths)
    reference = Reference(
        version=version,
        effective_from=effective_from,
        effective_to=effective_to,
        sources=tuple(p.name for p in paths),
        fee_schedule=load_fee_schedule(pfs) if pfs is not None else {},
        mue=load_mue(mue) if mue is not None else {},
        addons=load_addons(aoc) if aoc is not None else {},
        ptp=load_ptp(ptp) if ptp else PtpTable(),
    )
    return ReferenceSet(version=version, references=(reference,), built_at=built_at, notes=notes)


def default_version(paths: list[Path]) -> str:
    """`PPRRVU2025_Oct+mue_2026Q3-1a2b3c4d`: which files, and a hash of their bytes so two builds of different data differ."""
    digest = hashlib.sha256()
    for path in paths:
        try:
            digest.update(path.read_bytes())
        except OSError as exc:
            raise ReferenceFileError(path, None, f"cannot read: {exc.strerror or exc}") from exc
    names = "+".join(path.stem for path in paths) or "empty"
    return f"{names}-{digest.hexdigest()[:8]}"


def save_snapshot(refset: ReferenceSet, path: str | Path) -> None:
    path = Path(path)
    data = _ENCODER.encode(_Snapshot(format=SNAPSHOT_FORMAT, format_version=SNAPSHOT_FORMAT_VERSION, reference_set=refset))
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    tmp.replace(path)  # a worker reading the old snapshot never sees half a file


def load_snapshot(path: str | Path) -> ReferenceSet:
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise SnapshotError(f"{path}: cannot read snapshot: {exc.strerror or exc}") from exc
    try:
        snapshot = _DECODER.decode(data)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise SnapshotError(f"{path}: {_why_unreadable(data, exc)}") from exc
    # An older format can decode cleanly (new fields have defaults) and still lack tables: refuse it by its number.
    if snapshot.format != SNAPSHOT_FORMAT:
        raise SnapshotError(f"{path}: not a claim-edit reference snapshot")
    if snapshot.format_version != SNAPSHOT_FORMAT_VERSION:
        raise SnapshotError(f"{path}: {_format_mismatch(snapshot.format_version)}")
    return snapshot.reference_set


def _format_mismatch(found: int) -> str:
    return f"snapshot format {found}, this claim-edit reads format {SNAPSHOT_FORMAT_VERSION}: rebuild it"


def _why_unreadable(data: bytes, exc: Exception) -> str:
    try:
        header = _HEADER_DECODER.decode(data)
    except (msgspec.DecodeError, msgspec.ValidationError):
        # A truncated snapshot does not decode at all, but still starts with the format name.
        if SNAPSHOT_FORMAT.encode() in data[:64]:
            return f"damaged snapshot ({exc})"
        return f"not a claim-edit reference snapshot ({exc})"
    if header.format != SNAPSHOT_FORMAT:
        return "not a claim-edit reference snapshot"
    if header.format_version != SNAPSHOT_FORMAT_VERSION:
        return _format_mismatch(header.format_version)
    return f"damaged snapshot ({exc})"


@functools.cache
def load_default_reference() -> ReferenceSet:
    """The snapshot bundled with the package (all PFS indicators, curated MUE and add-on rows); loaded once per process."""
    return load_snapshot(DEFAULT_SNAPSHOT)


def combine(*sets: ReferenceSet, version: str | None = None, notes: str = "") -> ReferenceSet:
    """All periods of `sets` in one set, ordered by start; periods must not overlap (a date of service needs one answer)."""
    if not sets:
        raise SnapshotError("combine needs at least one reference set")
    references = sorted((ref for refset in sets for ref in refset.references), key=_start_key)
    for earlier, later in itertools.pairwise(references):
        if _overlap(earlier, later):
            raise SnapshotError(f"periods overlap: {_describe(earlier)} and {_describe(later)}")
    if version is None:
        versions = list(dict.fromkeys(refset.version for refset in sets))
        version = "+".join(versions)
    built = [refset.built_at for refset in sets if refset.built_at is not None]
    return ReferenceSet(version=version, references=tuple(references), built_at=max(built, default=None), notes=notes)


def _start_key(ref: Reference) -> dt.date:
    return ref.effective_from or dt.date.min


def _overlap(earlier: Reference, later: Reference) -> bool:
    # Sorted by start, so only the earlier one's end matters; an open end overlaps everything after it.
    if earlier.effective_to is None:
        return True
    return later.effective_from is None or later.effective_from <= earlier.effective_to


def _describe(ref: Reference) -> str:
    start = ref.effective_from.isoformat() if ref.effective_from else "open"
    end = ref.effective_to.isoformat() if ref.effective_to else "open"
    return f"{ref.version!r} ({start} to {end})"


__all__ = [
    "DEFAULT_SNAPSHOT",
    "SnapshotError",
    "build_reference",
    "combine",
    "load_default_reference",
    "load_snapshot",
    "save_snapshot",
]
