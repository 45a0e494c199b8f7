"""An 837P file in, `claim.submitted` events and refusals out, plus the 999 acknowledgment."""

from __future__ import annotations

import io
import sys
from dataclasses import dataclass
from pathlib import Path

from contracts import ClaimSubmitted
from workers.x12.attribute import attribute
from workers.x12.envelope import X12FileError, decode_text, looks_like_x12, prepare, read_text
from workers.x12.limits import DEFAULT_LIMITS, Limits
from workers.x12.mapping import Refused, to_event
from workers.x12.validate import GuideError, validate


@dataclass(frozen=True)
class Refusal:
    """Something not mapped: a claim (claim_id set) or the whole file (claim_id None). `segment` counts from the ISA (1)."""

    file: str
    segment: int | None
    claim_id: str | None
    reason: str
    transaction: str | None = None
    st_position: int | None = None
    """The segment's position in its transaction (ST is 1): what a 999's IK3 segment says."""

    def __str__(self) -> str:
        where = f"{self.file}: segment {self.segment}" if self.segment else self.file
        if self.transaction and self.st_position:
            where += f" (transaction {self.transaction}, position {self.st_position})"
        who = f": claim {self.claim_id}" if self.claim_id is not None else ""
        return f"{where}{who}: {self.reason}"


MAPPED_SEGMENTS = frozenset({"ISA", "GS", "ST", "SE", "GE", "IEA", "HL", "NM1", "PAT", "DMG", "CLM", "REF", "HI", "LX", "SV1", "DTP"})
"""Segments the mapping reads. An element error elsewhere (a PWK attachment code, an N4 postal code) does not change
what the edits see: it is a warning (and in the 999), not a refusal. A segment error (missing, unexpected, too many)
anywhere is a refusal: the loops around it cannot be trusted."""


@dataclass(frozen=True)
class X12Result:
    file: str
    events: list[ClaimSubmitted]
    refusals: list[Refusal]
    warnings: list[Refusal]
    """Implementation-guide errors that refused nothing (see MAPPED_SEGMENTS); the 999 reports them too."""
    ack: str | None
    """The 999 acknowledgment, when the validator ran (not when the file was refused before it)."""
    claims_seen: int


def read_837p(path: Path, limits: Limits = DEFAULT_LIMITS, name: str | None = None) -> X12Result:
    name = name or str(path)
    try:
        text = read_text(path, limits)
    except X12FileError as error:
        return X12Result(name, [], [Refusal(name, error.segment, None, str(error))], [], None, 0)
    return map_text(text, name, limits)


def read_if_x12(source: str) -> X12Result | None:
    """The 837P mapping when `source` (a path, or - for stdin) holds X12, recognised by content; else None (JSONL)."""
    if source == "-":
        stdin = sys.stdin.buffer
        if not isinstance(stdin, io.BufferedReader) or not looks_like_x12(stdin.peek(64)[:64]):
            return None
        return map_bytes(stdin.read(DEFAULT_LIMITS.max_bytes + 1), "<stdin>")
    path = Path(source)
    with path.open("rb") as file:
        if not looks_like_x12(file.read(64)):
            return None
    return read_837p(path)


def write_ack(path: Path, result: X12Result) -> None:
    """Write the 999 of `result` to `path` (nothing to write when the file was refused before validation: an empty file)."""
    path.write_text(result.ack or "")


def map_bytes(raw: bytes, name: str, limits: Limits = DEFAULT_LIMITS) -> X12Result:
    if len(raw) > limits.max_bytes:
        return X12Result(name, [], [Refusal(name, None, None, f"the file is over the limit of {limits.max_bytes:,} bytes")], [], None, 0)
    try:
        text = decode_text(raw)
    except X12FileError as error:
        return X12Result(name, [], [Refusal(name, error.segment, None, str(error))], [], None, 0)
    return map_text(text, name, limits)


def map_text(text: str, name: str, limits: Limits = DEFAULT_LIMITS) -> X12Result:
    try:
        validated = validate(prepare(text, limits))
    except X12FileError as error:
        return X12Result(name, [], [Refusal(name, error.segment, None, str(error))], [], None, 0)
    warnings = [error for error in validated.errors if error.element and error.seg_id not in MAPPED_SEGMENTS]
    refusing = [error for error in validated.errors if not (error.element and error.seg_id not in MAPPED_SEGMENTS)]
    problems, unused = attribute(validated.claims, refusing)
    events: list[ClaimSubmitted] = []
    refusals: list[Refusal] = [_refusal(name, error, None) for error in unused]
    seen: dict[tuple[str, str, str, str], int] = {}
    for index, draft in enumerate(validated.claims):
        problem = problems.get(index)
        if problem is not None:
            refusals.append(_refusal(name, problem, draft.claim_id))
            continue
        key = (draft.envelope.interchange, draft.envelope.group, draft.envelope.transaction, draft.claim_id)
        if key in seen:
            at = draft.position
            refusals.append(Refusal(name, at.segment, draft.claim_id, f"CLM: CLM01 repeats the claim at segment {seen[key]} of "
                                    "the same transaction: the two would share one event_id", at.transaction, at.st_position))
            continue
        seen[key] = draft.position.segment
        try:
            events.append(to_event(draft, name))
        except Refused as refused:
            at = refused.position
            refusals.append(Refusal(name, at.segment, draft.claim_id, f"{at.seg_id}: {refused.reason}", at.transaction, at.st_position))
    refusals.sort(key=lambda refusal: refusal.segment or 0)
    notes = [_refusal(name, error, None) for error in warnings]
    return X12Result(name, events, refusals, notes, validated.ack, len(validated.claims))


def _refusal(name: str, error: GuideError, claim_id: str | None) -> Refusal:
    return Refusal(name, error.file_segment, claim_id, _describe(error), error.transaction, error.st_position)


def _describe(error: GuideError) -> str:
    scope = {"interchange": f"interchange {error.interchange}", "group": f"group {error.group}",
             "transaction": f"transaction {error.transaction}"}.get(error.level)
    where = f"{error.seg_id}" if error.level == "segment" else f"{error.seg_id} ({scope})"
    return f"{where}: {error.message} [implementation guide, error code {error.code}]"
