"""Another establishment reuses the course by editing one profile file."""

from __future__ import annotations

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
    # a long establishment name must work as is (X.509 names are limited to 64 characters)
    profile["etablissement"]["nom"] = "CIUSSS du Bout-du-Monde-et-de-l'Île-de-la-Longue-Dénomination"

    other = tmp_path / "autre.yaml"
    other.write_text(yaml.safe_dump(profile, allow_unicode=True), encoding="utf-8")
    data = tmp_path / "donnees"
    env = {"FORMATION_TIC_PROFILE": str(other), "FORMATION_TIC_DATA_DIR": str(data)}
    result = CliRunner().invoke(main, ["build"], env=env)
    assert result.exit_code == 0, result.output
    keys = CliRunner().invoke(main, ["keys", "init"], env={**env, "FORMATION_TIC_ATTEST_KEY_SIZE": "2048"})
    assert keys.exit_code == 0, keys.output

    pages = {p: p.read_text("utf-8") for p in (data / "livre" / "_build" / "html").rglob("*.html")}
    everything = "\n".join(pages.values())
    assert "CIUSSS du Bout-du-Monde-et-de-l" in everything
    assert "DIR-TEST-999" in everything
    assert "telephone-essai-777" in everything
    # nothing of the bundled institution is hard-coded in chapters or scenarios
    assert not [p.name for p, text in pages.items() if "Laurentides" in text]
    assert "DQEPE 054" not in everything
