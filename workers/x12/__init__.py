"""837P (X12 005010X222A1/A2) files to `claim.submitted` events, validated by pyx12 against the implementation guide.

`read_837p(path)` returns the events, the refusals (each naming the segment and the reason) and the 999
acknowledgment. docs/x12.md has the mapping table, the limits and why pyx12.
"""

from workers.x12.envelope import is_x12_file, looks_like_x12
from workers.x12.limits import DEFAULT_LIMITS, Limits
from workers.x12.reader import Refusal, X12Result, map_bytes, map_text, read_837p, read_if_x12, write_ack

__all__ = [
    "DEFAULT_LIMITS",
    "Limits",
    "Refusal",
    "X12Result",
    "is_x12_file",
    "looks_like_x12",
    "map_bytes",
    "map_text",
    "read_837p",
    "read_if_x12",
    "write_ack",
]
