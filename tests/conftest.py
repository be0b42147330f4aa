"""Fixtures shared across test folders: one real build of the book and bank per session."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from formation_tic.cli import main

ROOT = Path(__file__).parent.parent


@pytest.fixture(scope="session")
def built_book(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A snapshot of book/ and scenarios/bank/ built with ``formation-tic build``.

    Layout: ``bank/`` (the scenarios built), ``book/_build/html`` (the book),
    ``out/notebooks`` (the generated notebooks).
    """
    work = tmp_path_factory.mktemp("build")
    book = work / "book"
    shutil.copytree(ROOT / "book", book, ignore=shutil.ignore_patterns("_build", "banque"))
    shutil.copytree(ROOT / "scenarios" / "bank", work / "bank")
    result = CliRunner().invoke(
        main,
        ["build", "--bank", str(work / "bank"), "--book", str(book), "--work-dir", str(work / "out")],
    )
    assert result.exit_code == 0, result.output
    assert "4/4 Construction du livre HTML" in result.stderr
    return work
