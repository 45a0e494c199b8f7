"""JSON Schemas of the wire types, generated from the Structs.

`python -m contracts.json_schemas` rewrites `contracts/schema/*.json`; a test fails when they are stale.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import msgspec

from contracts.events import ClaimEdited, ClaimSubmitted, DeadLetter

SCHEMA_DIR = Path(__file__).parent / "schema"
TYPES: dict[str, type[msgspec.Struct]] = {
    "claim.submitted": ClaimSubmitted,
    "claim.edited": ClaimEdited,
    "claim.deadletter": DeadLetter,
}


def render(kind: type[msgspec.Struct]) -> str:
    schema: dict[str, Any] = msgspec.json.schema(kind)
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"


def main() -> int:
    SCHEMA_DIR.mkdir(exist_ok=True)
    for name, kind in TYPES.items():
        (SCHEMA_DIR / f"{name}.schema.json").write_text(render(kind))
    print(f"wrote {len(TYPES)} schemas to {SCHEMA_DIR}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
