"""``formation-tic build``: check, compile notebooks, stage the book, build HTML offline."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from .bank import BankError, load_bank, practice
from .book_config import harden_config_file, refusals
from .model import Scenario, Theme
from .notebooks import write_notebooks
from .pages import bank_index, expand_scenario_lists, scenario_page, typographic_apostrophes
from .profile import Profile, placeholder_values, render
from .wording import agree, plural

Progress = Callable[[str], None]

BANK_DIR = "banque"
_STAGED_SUFFIXES = {".md", ".yml", ".yaml"}
_EXTERNAL_REF = re.compile(
    r"""<(?:script|link|img|iframe|source)\b[^>]*?\b(?:src|href)\s*=\s*["']((?:https?:)?//[^"']+)""",
    re.IGNORECASE,
)


class BuildError(RuntimeError):
    """The book could not be built."""


@dataclass(frozen=True)
class BuildResult:
    """What a build produced."""

    scenarios: list[Scenario]
    notebooks: list[Path]
    html_dir: Path


def stage_book(source: Path, staging: Path, scenarios: list[Scenario], profile: Profile) -> None:
    """Copy the book sources to ``staging``, apply the profile, and generate the bank pages.

    Every scenario given gets a page: :func:`build` gives only the practice set.
    """
    if staging.exists():
        shutil.rmtree(staging)
    shutil.copytree(source, staging, ignore=shutil.ignore_patterns("_build", BANK_DIR))
    for path in staging.rglob("*"):
        if path.suffix in _STAGED_SUFFIXES and path.is_file():
            text = path.read_text(encoding="utf-8")
            try:
                prefix = "../" * (len(path.relative_to(staging).parts) - 1) + f"{BANK_DIR}/"
                text = expand_scenario_lists(text, scenarios, prefix)
                text = render(text, profile)
                if path.suffix == ".md":
                    text = typographic_apostrophes(text)
            except ValueError as exc:
                raise BuildError(f"{source / path.relative_to(staging)} : {exc}") from exc
            path.write_text(text, encoding="utf-8")
    _add_bank_to_toc(staging / "_toc.yml", scenarios)
    harden_config_file(staging / "_config.yml")
    bank = staging / BANK_DIR
    bank.mkdir()
    (bank / "index.md").write_text(bank_index(scenarios), encoding="utf-8")
    for scenario in scenarios:
        (bank / f"{scenario.id}.md").write_text(scenario_page(scenario), encoding="utf-8")


def _add_bank_to_toc(toc_path: Path, scenarios: list[Scenario]) -> None:
    """List every generated scenario page under the ``banque/index`` entry of the staged toc."""
    toc = yaml.safe_load(toc_path.read_text(encoding="utf-8"))
    entries = [s.id for s in sorted(scenarios, key=lambda s: (list(Theme).index(s.theme), s.id))]

    def visit(node: Any) -> bool:
        if isinstance(node, dict):
            if node.get("file") == f"{BANK_DIR}/index":
                node["sections"] = [{"file": f"{BANK_DIR}/{sid}"} for sid in entries]
                return True
            return any(visit(v) for v in node.values())
        if isinstance(node, list):
            return any(visit(v) for v in node)
        return False

    if not visit(toc):
        raise BuildError(f"la table des matières ({toc_path.name}) doit contenir « file: {BANK_DIR}/index »")
    toc_path.write_text(yaml.safe_dump(toc, allow_unicode=True, sort_keys=False), encoding="utf-8")


def external_references(html_dir: Path) -> list[tuple[Path, str]]:
    """Scripts, styles, images or frames that a built page would fetch from another host."""
    found = []
    for page in html_dir.rglob("*.html"):
        for url in _EXTERNAL_REF.findall(page.read_text(encoding="utf-8", errors="replace")):
            found.append((page.relative_to(html_dir), url))
    return found


def run_jupyter_book(staging: Path, output: Path) -> None:
    """Build HTML with Jupyter Book 1.x into ``output/_build/html``.

    Fails if the content guard (:mod:`scenarios.book_guard`) had to neutralise anything.
    """
    exe = Path(sys.executable).with_name("jupyter-book")
    command = [
        str(exe) if exe.exists() else "jupyter-book",
        "build",
        str(staging),
        "--path-output",
        str(output),
        "--builder",
        "html",
        "--quiet",
    ]
    proc = subprocess.run(command, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise BuildError("échec de Jupyter Book :\n" + _sphinx_problems(proc.stdout + proc.stderr))
    refused = refusals(proc.stdout + proc.stderr)
    if refused:
        raise BuildError(
            "contenu refusé dans le livre (la vérification des scénarios aurait dû l'arrêter) :\n"
            + "\n".join(_ANSI.sub("", line) for line in refused[:20])
        )


_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _sphinx_problems(output: str) -> str:
    """The lines of a Sphinx log that say what went wrong (without the traceback)."""
    lines = [_ANSI.sub("", line) for line in output.splitlines()]
    keep = []
    for i, line in enumerate(lines):
        if "WARNING" in line or "ERROR" in line or line.endswith("error:"):
            keep.append(line.strip())
            if line.endswith("error:") and i + 1 < len(lines):
                keep.append("  " + lines[i + 1].strip())
    return "\n".join(keep[-20:]) or "\n".join(lines[-15:])


def build(
    bank_paths: list[Path],
    book_dir: Path,
    work_dir: Path,
    profile: Profile,
    progress: Progress = lambda _m: None,
    *,
    output_dir: Path,
) -> BuildResult:
    """Check the bank (refuse on any problem), write notebooks and build the book offline.

    ``book_dir`` (the sources) is only read; notebooks and staged sources go to ``work_dir``,
    the HTML to ``output_dir/_build/html``.
    """
    provisional = placeholder_values(profile.model_dump())
    if provisional:  # load_profile already refuses them with file:line; a Profile built in code too
        listed = ", ".join(f"{'.'.join(map(str, where))} = « {value} »" for where, value in provisional)
        values = agree(len(provisional), "valeur provisoire", "valeurs provisoires")
        raise BuildError(f"profil d'établissement : {values} qu'un livre ne doit pas montrer : {listed}")
    progress("1/4 Vérification des scénarios…")
    scenarios = load_bank(bank_paths, profile)  # raises BankError
    progress(f"2/4 Compilation de {plural(len(scenarios), 'carnet Jupyter', 'carnets Jupyter')}…")
    notebooks = write_notebooks(scenarios, work_dir / "notebooks")
    progress("3/4 Préparation des pages du livre…")
    staging = work_dir / "book-src"
    # Only the practice set is published: the graded scenarios' answers never reach the book.
    stage_book(book_dir, staging, practice(scenarios), profile)
    progress("4/4 Construction du livre HTML (Jupyter Book)…")
    run_jupyter_book(staging, output_dir)
    html_dir = output_dir / "_build" / "html"
    leaks = external_references(html_dir)
    if leaks:
        listed = "\n".join(f"  {page} → {url}" for page, url in leaks[:10])
        raise BuildError(f"le livre ferait des requêtes externes (hors ligne impossible) :\n{listed}")
    return BuildResult(scenarios, notebooks, html_dir)


__all__ = ["BankError", "BuildError", "BuildResult", "build", "external_references", "stage_book"]
