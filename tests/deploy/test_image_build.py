"""What the image's build stage installs, built here without Docker: a regular (non-editable) wheel of
exactly the files the Dockerfile copies. A module left out of the wheel would break `claim-edit worker`
only in the container, never in the editable dev install."""

from __future__ import annotations

import os
import shutil
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

from tests.deploy.test_dockerfile import keyword, stages
from tests.deploy.tools import REPO, run


@pytest.fixture(scope="module")
def unpacked_wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    context = tmp_path_factory.mktemp("context")
    copies = [line.split()[1:-1] for line in stages()[0] if keyword(line) == "COPY"]
    for source in (item for sources in copies for item in sources):
        path = REPO / source
        ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
        if path.is_dir():
            shutil.copytree(path, context / source, ignore=ignore)
        else:
            shutil.copy2(path, context / source)
    out = tmp_path_factory.mktemp("wheel")
    # No build isolation: setuptools comes from the test venv, so this needs no index.
    result = run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation", "-w", str(out), str(context)],
                 timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    (wheel,) = out.glob("claim_edit-*.whl")
    unpacked = tmp_path_factory.mktemp("unpacked")
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(unpacked)
    return unpacked


def test_every_module_in_the_source_is_in_the_wheel(unpacked_wheel: Path) -> None:
    modules = [path.relative_to(REPO) for top in ("contracts", "edits", "workers") for path in (REPO / top).rglob("*.py")]
    assert len(modules) > 10
    missing = sorted({str(module.parent) for module in modules if not (unpacked_wheel / module).is_file()})
    assert not missing, f"packages missing from the wheel (and so from the image): {missing}; list them in pyproject [tool.setuptools]"


def test_the_wheel_carries_its_data_and_the_entry_point(unpacked_wheel: Path) -> None:
    assert list((unpacked_wheel / "edits" / "reference" / "data").glob("*.snapshot")), "the bundled reference snapshot"
    assert list((unpacked_wheel / "contracts" / "schema").glob("*.json"))
    (entry_points,) = unpacked_wheel.glob("claim_edit-*.dist-info/entry_points.txt")
    assert "claim-edit = workers.cli:main" in entry_points.read_text(encoding="utf-8")


def test_the_worker_command_runs_from_the_wheel_alone(unpacked_wheel: Path, tmp_path: Path) -> None:
    # -S skips site-packages' .pth files, and with them the editable install's import hook: the
    # project's code comes from the wheel only, its dependencies from the venv's site-packages.
    code = (
        "import sys, workers, workers.cli; "
        f"assert workers.__file__.startswith({str(unpacked_wheel)!r}), workers.__file__; "
        "sys.exit(workers.cli.main(['worker', '--help']))"
    )
    site_packages = {sysconfig.get_paths()[key] for key in ("purelib", "platlib")}
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(unpacked_wheel), *sorted(site_packages)])}
    result = run([sys.executable, "-S", "-c", code], cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "--redis-url" in result.stdout
