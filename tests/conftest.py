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

    Layout: ``bank/`` (the scenarios built), ``book/`` (the sources, left untouched),
    ``var/`` (the data directory: ``var/livre/_build/html`` is the book,
    ``var/build/notebooks`` the generated notebooks).
    """
    work = tmp_path_factory.mktemp("build")
    book = work / "book"
    shutil.copytree(ROOT / "book", book, ignore=shutil.ignore_patterns("_build", "banque"))
    shutil.copytree(ROOT / "scenarios" / "bank", work / "bank")
    env = {"FORMATION_TIC_BANK": str(work / "bank"), "FORMATION_TIC_BOOK": str(book)}
    result = CliRunner().invoke(main, ["--data-dir", str(work / "var"), "build"], env=env)
    assert result.exit_code == 0, result.output
    assert "4/4 Construction du livre HTML" in result.stderr
    assert sorted(p.name for p in book.iterdir()) == sorted(
        p.name for p in (ROOT / "book").iterdir() if p.name not in ("_build", "banque")
    ), "the build wrote into the book sources"
    return work


BOOK_HTML = "var/livre/_build/html"
"""The built book's HTML folder under :func:`built_book`."""
NOTEBOOKS = "var/build/notebooks"
"""The generated notebooks under :func:`built_book`."""
