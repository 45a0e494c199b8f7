"""Per-deployment policy: which edits run, at which severity, with which options (a TOML file).

    [edits.modifier-51-on-addon]
    enabled = false

    [edits.mue-units-exceeded]
    severity = "review"

    [edits.addon-without-primary.contractor_primaries]
    "0596T" = ["0594T"]
"""

from __future__ import annotations

import hashlib
import json
import tomllib
from pathlib import Path
from typing import Any

import msgspec

from contracts import SEVERITIES, Severity


class PolicyError(ValueError):
    """A policy file that cannot be used; the message names the file and the key."""


class EditPolicy(msgspec.Struct, frozen=True, kw_only=True):
    enabled: bool = True
    severity: Severity | None = None
    options: dict[str, Any] = {}


class Policy(msgspec.Struct, frozen=True, kw_only=True):
    edits: dict[str, EditPolicy] = {}
    source: str = "default"

    def for_edit(self, name: str) -> EditPolicy:
        return self.edits.get(name, _DEFAULT)

    def fingerprint(self) -> str:
        body = json.dumps(msgspec.to_builtins(self.edits), sort_keys=True, default=str)
        return hashlib.sha256(body.encode()).hexdigest()[:12]


_DEFAULT = EditPolicy()
DEFAULT_POLICY = Policy()


def parse_policy(text: str, source: str = "<policy>") -> Policy:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise PolicyError(f"{source}: not valid TOML: {error}") from None
    unknown = set(data) - {"edits"}
    if unknown:
        raise PolicyError(f"{source}: unknown top-level keys {sorted(unknown)}; only [edits.<name>] tables are allowed")
    edits: dict[str, EditPolicy] = {}
    for name, given in data.get("edits", {}).items():
        if not isinstance(given, dict):
            raise PolicyError(f"{source}: edits.{name} must be a table")
        table = dict(given)
        enabled = table.pop("enabled", True)
        if not isinstance(enabled, bool):
            raise PolicyError(f"{source}: edits.{name}.enabled must be true or false")
        severity = table.pop("severity", None)
        if severity is not None and severity not in SEVERITIES:
            raise PolicyError(f"{source}: edits.{name}.severity is {severity!r}; use one of {', '.join(SEVERITIES)}")
        edits[name] = EditPolicy(enabled=enabled, severity=severity, options=table)
    return Policy(edits=edits, source=source)


def load_policy(path: str | Path | None) -> Policy:
    if path is None:
        return DEFAULT_POLICY
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise PolicyError(f"{path}: cannot read policy file: {error.strerror}") from None
    return parse_policy(text, source=str(path))
