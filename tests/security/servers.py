"""What the security tests add to tests/processes.py: the shipped ACL file with test passwords filled in, and `claim-edit`
commands run with a clean environment, their whole output kept so a test can search it for what must never be printed."""

from __future__ import annotations

import hashlib
import re
import subprocess
import sys
from pathlib import Path

from tests.processes import ROOT, clean_environment

USERS_ACL = ROOT / "deploy" / "redis" / "users.acl"
PASSWORDS = {role: f"test-{role}-pw-{i}" for i, role in enumerate(("admin", "worker", "producer", "reader"))}


def render_users_acl(directory: Path) -> Path:
    """The shipped ACL file with each REPLACE_WITH_SHA256_OF_<ROLE>_PASSWORD placeholder filled in from PASSWORDS."""
    def fill(match: re.Match[str]) -> str:
        return "#" + hashlib.sha256(PASSWORDS[match.group(1).lower()].encode()).hexdigest()

    text = re.sub(r"#REPLACE_WITH_SHA256_OF_([A-Z]+)_PASSWORD", fill, USERS_ACL.read_text(encoding="utf-8"))
    path = directory / "users.acl"
    path.write_text(text, encoding="utf-8")
    return path


def cli(*args: str, env: dict[str, str] | None = None, stdin: bytes | None = None, timeout_s: float = 60,
        ) -> subprocess.CompletedProcess[str]:
    """Run `claim-edit ARGS` with a clean CLAIMEDIT_* environment plus `env`."""
    return subprocess.run([sys.executable, "-m", "workers.cli", *args], cwd=ROOT, env=clean_environment(**(env or {})),
                          input=stdin.decode() if stdin is not None else None, capture_output=True, text=True, timeout=timeout_s,
                          check=False)
