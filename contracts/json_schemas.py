"""JSON Schemas of the wire types, generated from the Structs.

`python -m contracts.json_schemas` rewrites `contracts/schema/*.json`; a test fails when they are stale.
`components()` gives the same schemas as one set of named definitions, for documents that collect
several messages (the AsyncAPI document, workers/asyncapi.py).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable
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


def widen_decimals(node: Any) -> Any:
    """msgspec describes a Decimal as `{"type": "string", "format": "decimal"}`, but its decoder takes a
    JSON number too (money: `contracts.claim.Money`). Say so: type string or number, without the format
    (the field's own `pattern` constrains strings and `minimum`/`maximum` numbers)."""
    if isinstance(node, dict):
        widened = {key: widen_decimals(value) for key, value in node.items()}
        if widened.get("format") == "decimal" and widened.get("type") == "string":
            del widened["format"]
            widened["type"] = ["string", "number"]
        return widened
    if isinstance(node, (list, tuple)):  # msgspec writes a tuple field's default as a tuple: make it JSON's list
        return [widen_decimals(item) for item in node]
    return node


def schema(kind: type[msgspec.Struct]) -> dict[str, Any]:
    """The JSON Schema of one wire type, with its own `$defs`."""
    result: dict[str, Any] = widen_decimals(msgspec.json.schema(kind))
    return result


def components(kinds: Iterable[type[msgspec.Struct]], ref_template: str) -> tuple[tuple[dict[str, Any], ...], dict[str, Any]]:
    """A schema per kind (a `$ref` to it) and the named definitions they share, references made with `ref_template`."""
    refs, definitions = msgspec.json.schema_components(tuple(kinds), ref_template=ref_template)
    return tuple(widen_decimals(ref) for ref in refs), widen_decimals(definitions)


def render(kind: type[msgspec.Struct]) -> str:
    return json.dumps(schema(kind), indent=2, sort_keys=True) + "\n"


def main() -> int:
    SCHEMA_DIR.mkdir(exist_ok=True)
    for name, kind in TYPES.items():
        (SCHEMA_DIR / f"{name}.schema.json").write_text(render(kind))
    print(f"wrote {len(TYPES)} schemas to {SCHEMA_DIR}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
