"""deploy/ci/install-system-deps.sh: idempotent, says what is missing where it cannot install, and CI runs it."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from tests.deploy.tools import INSTALL_SCRIPT, REPO, require_tool, run


def test_does_nothing_when_prometheus_is_present() -> None:
    require_tool("promtool")
    require_tool("prometheus")
    result = run(["bash", str(INSTALL_SCRIPT)])
    assert result.returncode == 0, result.stderr
    assert "present" in result.stdout
    assert "installing" not in result.stdout


def test_names_what_is_missing_where_it_cannot_install(tmp_path: Path) -> None:
    # A PATH with neither promtool, prometheus nor apt-get: the script must say so, not try.
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    id_path = shutil.which("id")
    assert id_path is not None
    (bin_dir / "id").symlink_to(id_path)
    bash = shutil.which("bash")
    assert bash is not None
    env = {"PATH": str(bin_dir), "HOME": os.environ.get("HOME", "/tmp")}
    result = run([bash, str(INSTALL_SCRIPT)], env=env)
    assert result.returncode == 0, result.stderr
    assert "MISSING promtool prometheus" in result.stderr
    assert "needs root and apt-get" in result.stderr


def test_ci_and_make_run_it_before_the_tests() -> None:
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    script_line = next(i for i, line in enumerate(ci) if "deploy/ci/install-system-deps.sh" in line and not line.startswith("#"))
    make_line = next(i for i, line in enumerate(ci) if line.strip().startswith("make test"))
    assert script_line < make_line
    makefile = (REPO / "Makefile").read_text(encoding="utf-8")
    unit = next(line for line in makefile.splitlines() if line.startswith("unit:"))
    assert "system-deps" in unit.split(":", 1)[1]
    assert "\tbash deploy/ci/install-system-deps.sh" in makefile
