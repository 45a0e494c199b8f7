"""deploy/Dockerfile read as text (no Docker engine here): its shape, and that what it copies exists."""

from __future__ import annotations

import fnmatch
import json
import tomllib

from tests.deploy.tools import DEPLOY, REPO

LINES = [line.strip() for line in (DEPLOY / "Dockerfile").read_text(encoding="utf-8").replace("\\\n", " ").splitlines()]
INSTRUCTIONS = [line for line in LINES if line and not line.startswith("#")]
_IGNORE_LINES = (REPO / ".dockerignore").read_text(encoding="utf-8").splitlines()
IGNORED = [line.strip() for line in _IGNORE_LINES if line.strip() and not line.startswith("#")]


def stages() -> list[list[str]]:
    result: list[list[str]] = []
    for line in INSTRUCTIONS:
        if line.upper().startswith("FROM "):
            result.append([])
        if result:
            result[-1].append(line)
    return result


def keyword(line: str) -> str:
    return line.split(maxsplit=1)[0].upper()


def test_multi_stage_on_slim_python_311() -> None:
    assert len(stages()) >= 2
    args = {line.split()[1].split("=")[0]: line.split("=", 1)[1] for line in INSTRUCTIONS if keyword(line) == "ARG" and "=" in line}
    base = args["PYTHON_IMAGE"]
    assert base.startswith("python:3.11-slim")
    assert all(stage[0].split()[1] == "${PYTHON_IMAGE}" for stage in stages())


def test_runtime_stage_copies_the_built_venv_and_runs_as_non_root() -> None:
    runtime = stages()[-1]
    assert any(line.startswith("COPY --from=build ") for line in runtime)
    (user,) = [line.split()[1] for line in runtime if keyword(line) == "USER"]
    uid = user.split(":")[0]
    assert uid.isdigit(), "a numeric uid lets Kubernetes' runAsNonRoot verify it"
    assert int(uid) != 0


def test_only_runtime_dependencies_are_installed() -> None:
    installs = [line for line in INSTRUCTIONS if "pip install" in line]
    assert installs
    assert not any("[test]" in line or "[demo]" in line or " -e " in line for line in installs)


def test_healthcheck_asks_healthz_and_entrypoint_is_the_worker() -> None:
    runtime = stages()[-1]
    (healthcheck,) = [line for line in runtime if keyword(line) == "HEALTHCHECK"]
    assert "/healthz" in healthcheck
    (entrypoint,) = [line for line in runtime if keyword(line) == "ENTRYPOINT"]
    assert json.loads(entrypoint.split(maxsplit=1)[1]) == ["claim-edit", "worker"]


def test_every_copied_path_exists_and_is_not_dockerignored() -> None:
    build_copies = [line for line in stages()[0] if keyword(line) == "COPY"]
    sources = [source for line in build_copies for source in line.split()[1:-1]]
    assert sources
    for source in sources:
        assert (REPO / source).exists(), f"Dockerfile copies {source}, which is not in the repository"
        assert not any(fnmatch.fnmatch(source, pattern) for pattern in IGNORED), f".dockerignore excludes {source}"


def test_the_image_gets_every_package_the_project_installs() -> None:
    packages = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]["packages"]
    # Either an explicit list or `find` with include patterns such as "workers*".
    names = packages["find"]["include"] if isinstance(packages, dict) else packages
    tops = {name.rstrip("*").split(".")[0] for name in names}
    copied = {line.split()[1] for line in stages()[0] if keyword(line) == "COPY"}
    assert tops
    assert tops <= copied


def test_dockerignore_keeps_local_state_out_of_the_context() -> None:
    assert {".git", ".venv", "tests"} <= set(IGNORED)
