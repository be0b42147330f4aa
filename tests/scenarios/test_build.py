"""``formation-tic build``: notebooks that validate and run, and an offline French book."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import nbformat
import pytest
from click.testing import CliRunner
from nbclient import NotebookClient

from formation_tic.cli import main
from scenarios.bank import graded, load_bank, practice
from scenarios.build import external_references
from scenarios.model import Branching
from scenarios.profile import load_profile

ROOT = Path(__file__).parent.parent.parent
BANK = ROOT / "scenarios" / "bank"


@pytest.fixture(scope="module")
def built(built_book: Path) -> Path:
    return built_book


def test_every_notebook_validates_and_runs_headless(built: Path) -> None:
    notebooks = sorted((built / "var" / "build" / "notebooks").glob("*.ipynb"))
    assert len(notebooks) == len(list((built / "bank").glob("*.yaml")))
    for path in notebooks:
        nb = nbformat.read(path, as_version=4)
        nbformat.validate(nb)
        assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code")
        NotebookClient(nb, timeout=60, kernel_name="python3").execute()
        quiz = next(c for c in nb.cells if c.cell_type == "code")
        assert not any(o.get("output_type") == "error" for o in quiz.outputs), path.name
        views = [o for o in quiz.outputs if "application/vnd.jupyter.widget-view+json" in o.get("data", {})]
        assert views, f"{path.name} shows no widget"


def test_book_has_a_page_per_practice_scenario_and_is_french(built: Path) -> None:
    html_dir = built / "var" / "livre" / "_build" / "html"
    scenarios = load_bank([built / "bank"], load_profile())
    for s in graded(scenarios):  # the graded quiz's answers are never published
        assert not (html_dir / "banque" / f"{s.id}.html").exists(), s.id
    for s in practice(scenarios):
        page = html_dir / "banque" / f"{s.id}.html"
        assert page.exists(), s.id
        text = page.read_text(encoding="utf-8")
        assert 'lang="fr"' in text
        if not isinstance(s.question, Branching):
            # the answer is hidden in a <details> element: readable with no script at all
            assert re.search(r"<details[^>]*>\s*<summary[^>]*>.*Voir la réponse", text, re.S)
    index = (html_dir / "intro.html").read_text(encoding="utf-8")
    assert "Banque de scénarios" in index


def test_built_html_references_no_external_url(built: Path) -> None:
    html_dir = built / "var" / "livre" / "_build" / "html"
    assert external_references(html_dir) == []
    for page in html_dir.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        assert not re.search(r"""(src|href)=["']https?://(cdn|unpkg|fonts\.)""", text), page


def test_branching_page_links_every_step_and_ending(built: Path) -> None:
    scenarios = practice(load_bank([built / "bank"], load_profile()))
    s = next(s for s in scenarios if isinstance(s.question, Branching))
    q = s.question
    assert isinstance(q, Branching)
    text = (built / "var" / "livre" / "_build" / "html" / "banque" / f"{s.id}.html").read_text("utf-8")
    for node in [*q.steps, *q.endings]:
        assert f'id="{s.id}-{node.id}"' in text
        if node.id != q.start:
            assert f'href="#{s.id}-{node.id}"' in text


def test_build_refuses_a_bank_with_problems(tmp_path: Path) -> None:
    bank = tmp_path / "bank"
    bank.mkdir()
    shutil.copy(Path(__file__).parent / "broken" / "theme-inconnu.yaml", bank)
    data = tmp_path / "donnees"
    result = CliRunner().invoke(main, ["--data-dir", str(data), "build", "--bank", str(bank)])
    assert result.exit_code == 1
    assert "construction refusée : 1\u00a0problème " in result.output
    assert "valeur inconnue « courriel »" in result.stdout
    assert not (data / "livre").exists()
