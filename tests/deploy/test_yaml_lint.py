"""yamllint, with deploy/.yamllint, over every YAML file in deploy/."""

from __future__ import annotations

from pathlib import Path

import pytest
from yamllint import linter  # type: ignore[import-untyped]
from yamllint.config import YamlLintConfig  # type: ignore[import-untyped]

from tests.deploy.tools import DEPLOY, REPO

CONFIG = YamlLintConfig(file=str(DEPLOY / ".yamllint"))
FILES = sorted(path for pattern in ("*.yaml", "*.yml") for path in DEPLOY.rglob(pattern))


def test_there_is_yaml_to_lint() -> None:
    assert len(FILES) >= 10
    assert DEPLOY / "k8s" / "base" / "deployment.yaml" in FILES


@pytest.mark.parametrize("path", FILES, ids=[str(path.relative_to(REPO)) for path in FILES])
def test_yamllint_is_clean(path: Path) -> None:
    problems = list(linter.run(path.read_text(encoding="utf-8"), CONFIG, str(path)))
    assert not problems, "\n".join(f"{path.relative_to(REPO)}:{p.line}:{p.column} {p.rule}: {p.desc}" for p in problems)


def test_the_config_catches_a_real_problem() -> None:
    problems = list(linter.run("key: value\nkey: other\n", CONFIG))
    assert [problem.rule for problem in problems] == ["key-duplicates"]
