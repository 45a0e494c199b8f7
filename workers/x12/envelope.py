"""Before validation: read the file within the limits, find its delimiters, check it is an 837P, note its versions.

The segments are split by pyx12's own tokenizer (`RawX12File`), not by us. This pass is cheap and
lets a file that is too big, not X12 at all, or an 837I/835 be refused with one clear error before the
implementation-guide validation (the expensive part) starts.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path

import pyx12.errors
import pyx12.segment
from pyx12.rawx12file import RawX12File

from workers.x12.limits import DEFAULT_LIMITS, Limits

PROFESSIONAL = ("005010X222A1", "005010X222A2")
"""837P versions we read. pyx12 4.0.0 knows the A1 guide only: A2 (the errata) is validated against the A1 map."""
VALIDATED_AS = "005010X222A1"
_KNOWN_OTHERS = {
    "005010X223": "an 837I (institutional claim)",
    "005010X224": "an 837D (dental claim)",
    "005010X221": "an 835 (payment/remittance advice)",
    "005010X231": "a 999 (implementation acknowledgment)",
    "005010X212": "a 276/277 (claim status)",
    "005010X279": "a 270/271 (eligibility)",
    "005010X220": "an 834 (benefit enrollment)",
}
_BOM = "\ufeff"


class X12FileError(ValueError):
    """The file as a whole cannot be read as an 837P; the message names the segment where it can."""

    def __init__(self, message: str, segment: int | None = None) -> None:
        super().__init__(message)
        self.segment = segment


def looks_like_x12(head: bytes) -> bool:
    """True when the bytes start with `ISA`, after optional whitespace and a UTF-8 byte order mark."""
    text = head.lstrip()
    if text.startswith(_BOM.encode()):
        text = text[len(_BOM.encode()) :].lstrip()
    return text.startswith(b"ISA")


def is_x12_file(path: Path) -> bool:
    try:
        with path.open("rb") as file:
            return looks_like_x12(file.read(64))
    except OSError:
        return False


@dataclass
class Prepared:
    """The file's text as handed to the validator, and what the first pass learnt about it."""

    text: str
    segments: int
    claims: int
    group_versions: dict[str, str] = field(default_factory=dict)
    """GS06 -> GS08 as received, so the 999 can echo A2 where the file said A2."""


def read_text(path: Path, limits: Limits = DEFAULT_LIMITS) -> str:
    """The file as text, refused when over `max_bytes` (checked on the size before reading) or not ASCII-compatible."""
    try:
        size = path.stat().st_size
        if size > limits.max_bytes:
            raise X12FileError(f"the file is {size:,} bytes, over the limit of {limits.max_bytes:,}")
        with path.open("rb") as file:
            raw = file.read(limits.max_bytes + 1)  # a file that grows while we read is still bounded
    except OSError as error:
        raise X12FileError(f"cannot read it: {error.strerror}") from None
    if len(raw) > limits.max_bytes:
        raise X12FileError(f"the file is over the limit of {limits.max_bytes:,} bytes")
    return decode_text(raw)


def decode_text(raw: bytes) -> str:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        # X12 5010 is the basic or extended character set: never arbitrary binary.
        raise X12FileError(f"byte {error.start} is not text (0x{raw[error.start]:02x}): this is not an X12 file") from None
    return text.lstrip().removeprefix(_BOM).lstrip()


def prepare(text: str, limits: Limits = DEFAULT_LIMITS) -> Prepared:
    """Check the file is an 837P within the limits; rewrite A2 to A1 in GS08/ST03 for the validator (see PROFESSIONAL)."""
    if not text.startswith("ISA"):
        raise X12FileError(f"it does not start with an ISA segment (starts with {text[:3]!r}): this is not an X12 file", 1)
    try:
        raw = RawX12File(io.StringIO(text))
    except pyx12.errors.X12Error as error:
        raise X12FileError(f"the ISA segment is malformed ({_isa_problem(text) or error}); "
                           "the ISA is 106 characters and fixes the delimiters", 1) from None
    term, ele, sub = raw.seg_term, raw.ele_term, raw.subele_term
    delimiters = (term, ele, sub, raw.repetition_term or "")
    if len(set(delimiters)) < 4 or any(c.isalnum() or c == " " for c in delimiters):
        raise X12FileError(f"the ISA's delimiters are not usable (element {ele!r}, component {sub!r}, repetition "
                           f"{raw.repetition_term!r}, segment {term!r}): each must be different, and not a letter, digit or space", 1)
    out: list[str] = []
    groups: dict[str, str] = {}
    shape = _Shape(limits)
    for number, line in enumerate(raw, start=1):
        if number > limits.max_segments:
            raise X12FileError(f"more than {limits.max_segments:,} segments (the limit)", number)
        seg_id = line.split(ele, 1)[0]
        if not (2 <= len(seg_id) <= 3 and seg_id.isascii() and seg_id.isalnum() and seg_id.isupper()):
            raise X12FileError(f"{line[:12]!r} does not start with a segment id and the element separator {ele!r} the ISA "
                               f"sets (segment terminator {term!r}): wrong delimiters, or not X12", number)
        shape.see(seg_id, line, ele, number)
        out.append(_check_version(line, number, ele, sub, term, groups) if seg_id in ("GS", "ST") else line)
    if len(out) < 2:
        raise X12FileError(f"no segment after the ISA ends with the terminator {term!r} the ISA sets: "
                           "truncated, or wrong delimiters", 2)
    return Prepared(text=term.join(out) + term, segments=len(out), claims=shape.claims, group_versions=groups)


class _Shape:
    """Counts that bound the validator's work: claims, lines per claim, HL nesting."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.claims = 0
        self.lines = 0
        self.depth: dict[str, int] = {}

    def see(self, seg_id: str, line: str, ele: str, number: int) -> None:
        limits = self.limits
        if seg_id == "CLM":
            self.claims += 1
            self.lines = 0
            if self.claims > limits.max_claims:
                raise X12FileError(f"more than {limits.max_claims:,} claims (the limit)", number)
        elif seg_id == "LX":
            self.lines += 1
            if self.lines > limits.max_lines_per_claim:
                raise X12FileError(f"more than {limits.max_lines_per_claim:,} service lines (LX) in one claim (the limit; "
                                   "the guide allows 50)", number)
        elif seg_id == "HL":
            fields = line.split(ele)
            own, parent = [*fields, "", ""][1:3]
            depth = self.depth.get(parent, 0) + 1 if parent else 1
            if depth > limits.max_hl_depth:
                raise X12FileError(f"HL {own[:20]!r} is nested {depth} levels deep (the limit is {limits.max_hl_depth}; "
                                   "an 837P nests 3)", number)
            self.depth[own] = depth
        elif seg_id == "ST":
            self.depth.clear()


def _isa_problem(text: str) -> str | None:
    """Why the first 106 characters are not an ISA, in words (pyx12's error quotes the whole segment)."""
    if len(text) < 106:
        return f"the file ends after {len(text)} characters"
    ele = text[3]
    fields = text[:106].split(ele)
    if len(fields) != 17:
        return f"{len(fields) - 1} element separators {ele!r} where the ISA has 16"
    if fields[12] not in ("00401", "00501"):
        return f"ISA12 version {fields[12]!r} is not 00501"
    return None


def _check_version(line: str, number: int, ele: str, sub: str, term: str, groups: dict[str, str]) -> str:
    seg = pyx12.segment.Segment(line, term, ele, sub)
    seg_id = seg.get_seg_id()
    version = (seg.get_value("GS08") if seg_id == "GS" else seg.get_value("ST03")) or ""
    if seg_id == "GS":
        if version not in PROFESSIONAL or seg.get_value("GS01") != "HC":
            raise X12FileError(f"GS: functional group {seg.get_value('GS01')!r} version {version!r} is {_what(version)}, "
                               f"not an 837P ({' or '.join(PROFESSIONAL)})", number)
        groups[seg.get_value("GS06") or ""] = version
    elif seg.get_value("ST01") != "837" or (version and version not in PROFESSIONAL):
        raise X12FileError(f"ST: transaction set {seg.get_value('ST01')!r} version {version!r} is {_what(version)}, "
                           "not an 837P", number)
    if version == PROFESSIONAL[1]:
        return line[: -len(version)] + VALIDATED_AS if line.endswith(version) else line
    return line


def _what(version: str) -> str:
    return next((name for prefix, name in _KNOWN_OTHERS.items() if version.startswith(prefix)), "not an 837P version")
