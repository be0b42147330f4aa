"""Another establishment reuses the course by editing one profile file."""

from __future__ import annotations

import shutil
from pathlib import Path

import yaml
from click.testing import CliRunner

from formation_tic.cli import main

ROOT = Path(__file__).parent.parent.parent


def test_changing_the_profile_changes_the_built_book(tmp_path: Path) -> None:
    profile = yaml.safe_load((ROOT / "scenarios/profiles/cisss-laurentides.yaml").read_text("utf-8"))
    profile["etablissement"]["nom"] = "CIUSSS du Bout-du-Monde"
    profile["etablissement"]["nom_long"] = "Centre intégré universitaire du Bout-du-Monde"
    profile["etablissement"]["region"] = "Bout-du-Monde"
    profile["directive"]["numero"] = "DIR-TEST-999"
    profile["directive"]["responsable"] = "Direction de l'essai"
    for contact in profile["contacts"].values():
        for key in ("telephone", "courriel", "adresse"):
            if contact.get(key):
                contact[key] = f"{key}-essai-777"
    other = tmp_path / "autre.yaml"
    other.write_text(yaml.safe_dump(profile, allow_unicode=True), encoding="utf-8")
    book = tmp_path / "book"
    shutil.copytree(ROOT / "book", book, ignore=shutil.ignore_patterns("_build", "banque"))
    shutil.copytree(ROOT / "scenarios" / "bank", tmp_path / "bank")

    result = CliRunner().invoke(main, ["build", "--bank", str(tmp_path / "bank"), "--book", str(book),
                                       "--work-dir", str(tmp_path / "w"), "--profile", str(other)])
    assert result.exit_code == 0, result.output

    pages = {p: p.read_text("utf-8") for p in (book / "_build" / "html").rglob("*.html")}
    everything = "\n".join(pages.values())
    assert "CIUSSS du Bout-du-Monde" in everything
    assert "DIR-TEST-999" in everything
    assert "telephone-essai-777" in everything
    # nothing of the bundled institution is hard-coded in chapters or scenarios
    assert not [p.name for p, text in pages.items() if "Laurentides" in text]
    assert "DQEPE 054" not in everything
