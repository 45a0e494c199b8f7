"""How much Redis memory claim history takes: patients, stored lines, and bytes per line (MEMORY USAGE of the values)."""

from __future__ import annotations

from typing import Any, cast

import msgspec
import redis

from bench.streams import INPUT
from edits.history.model import ClaimLines
from workers.history.patient_keys import HISTORY_INFIX
from workers.history.redis_store import VERSION_WIDTH

CHUNK = 1000
_decode = msgspec.msgpack.Decoder(list[ClaimLines]).decode


def history_size(client: redis.Redis, stream: str = INPUT) -> dict[str, Any]:
    """Every patient value of `stream`: count them, their lines and claims, and their memory (MEMORY USAGE, all samples)."""
    keys = [cast(bytes, key) for key in client.scan_iter(match=stream + HISTORY_INFIX + "*", count=CHUNK)]
    patients = claims = lines = memory = value_bytes = 0
    for start in range(0, len(keys), CHUNK):
        chunk = keys[start : start + CHUNK]
        pipe = client.pipeline(transaction=False)
        for key in chunk:
            pipe.get(key)
            pipe.memory_usage(key, samples=0)
        replies = pipe.execute()
        for value, used in zip(replies[::2], replies[1::2], strict=True):
            if value is None:  # expired between SCAN and GET
                continue
            patients += 1
            memory += int(used or 0)
            stored = _decode(cast(bytes, value)[VERSION_WIDTH:])
            claims += len(stored)
            value_bytes += len(value) - VERSION_WIDTH
            lines += sum(len(claim.lines) for claim in stored)
    return {
        "patients": patients,
        "claims": claims,
        "lines": lines,
        "memory_bytes": memory,
        "bytes_per_line": memory / lines if lines else 0.0,
        "value_bytes_per_line": value_bytes / lines if lines else 0.0,
        "bytes_per_patient": memory / patients if patients else 0.0,
    }
