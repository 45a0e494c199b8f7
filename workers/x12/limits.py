"""Bounds on what one 837P file may hold, so a huge or hostile file costs bounded memory and time."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Limits:
    """Checked before the implementation-guide validation runs (it costs about 0.1 ms per segment)."""

    max_bytes: int = 16 * 1024 * 1024
    """Bounds memory: the file is read whole, and mapping it peaks at about 23 times its size (322 MB for the
    14 MB, 50,000-claim benchmark file), so 16 MiB is under 400 MB."""
    max_segments: int = 1_000_000
    """Bounds time: validation runs at about 6,000 segments per CPU second (bench.x12_throughput), so under 3 CPU minutes."""
    max_claims: int = 100_000
    """CLM segments in the whole file (a 50,000-claim file is about 13 MB and 600,000 segments)."""
    max_lines_per_claim: int = 1_000
    """LX segments after one CLM. The guide allows 50 (more are refused with the guide's error); far more is an attack on
    the validator, which slows down on long runs of one loop."""
    max_hl_depth: int = 10
    """HL parent chain length. An 837P nests three levels (billing provider, subscriber, patient); the validator's loop
    counters cost grows with the depth, so a chain of thousands is refused before it runs."""


DEFAULT_LIMITS = Limits()
