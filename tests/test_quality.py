"""The engineering bar as tests: ruff clean, mypy strict clean (the tests too), graphql-core
never shadowed."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
PACKAGES = ["events", "services", "projections", "graphql", "bench", "examples"]


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=ROOT, capture_output=True, text=True, check=False, env=env)


@pytest.fixture(scope="module")
def linked(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """An environment whose import path holds ``carecoord/<folder>`` links to the folders:
    the checkers read the packages as Python imports them, and a new module is seen at once
    (the editable install's import hook is invisible to them)."""
    root = tmp_path_factory.mktemp("linked")
    (root / "carecoord").mkdir()
    for folder in PACKAGES:
        (root / "carecoord" / folder).symlink_to(ROOT / folder)
    return {**os.environ, "MYPYPATH": str(root), "PYTHONPATH": str(root)}


def test_ruff_finds_nothing() -> None:
    result = run(str(BIN / "ruff"), "check", ".")
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_strict_finds_nothing(linked: dict[str, str]) -> None:
    targets = [arg for pkg in PACKAGES for arg in ("-p", f"carecoord.{pkg}")]
    result = run(str(BIN / "mypy"), *targets, env=linked)
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_strict_finds_nothing_in_the_tests(linked: dict[str, str]) -> None:
    """The tests are held to the same bar as the code they test. They are files, not a
    package (mypy takes packages or files, not both, hence a run of their own): each one's
    module is named as pytest imports it, from its own folder (``support``, ``conftest``,
    ``medication_story``), and the packages they import are checked again through them."""
    result = run(str(BIN / "mypy"), "tests", env=linked)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_layers_import_only_downwards(linked: dict[str, str]) -> None:
    """pyproject's import-linter contracts: a wrong arrow between layers fails here."""
    result = run(str(BIN / "lint-imports"), str(ROOT / "pyproject.toml"), env=linked)
    assert result.returncode == 0, result.stdout + result.stderr


def test_import_graphql_from_the_repo_root_is_graphql_core() -> None:
    for command in (
        [sys.executable, "-c", "import graphql, strawberry; print(graphql.__file__)"],
        [sys.executable, "-m", "carecoord.services.runtime.cli", "--help"],
    ):
        result = run(*command)
        assert result.returncode == 0, result.stderr
    printed = run(sys.executable, "-c", "import graphql; print(graphql.__file__)").stdout
    assert "site-packages" in printed
    assert not (ROOT / "graphql" / "__init__.py").exists()


def test_our_graphql_package_is_the_mapped_folder() -> None:
    import carecoord.graphql.schema as ours
    import graphql

    assert Path(ours.__file__).resolve().parent == (ROOT / "graphql").resolve()
    assert hasattr(graphql, "GraphQLSchema")
