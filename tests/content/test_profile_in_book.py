"""Another establishment reuses the course by editing one profile file."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from formation_tic.cli import main
from scenarios.profile import ProfileError, load_profile

ROOT = Path(__file__).parent.parent.parent
BUNDLED = ROOT / "scenarios/profiles/cisss-laurentides.yaml"


def bundled() -> dict:
    return yaml.safe_load(BUNDLED.read_text("utf-8"))


def write(tmp_path: Path, profile: dict, name: str = "autre.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(profile, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def test_changing_the_profile_changes_the_built_book(tmp_path: Path) -> None:
    profile = bundled()
    profile["etablissement"]["nom"] = "CIUSSS du Bout-du-Monde"
    profile["etablissement"]["nom_long"] = "Centre intégré universitaire du Bout-du-Monde"
    profile["etablissement"]["region"] = "Bout-du-Monde"
    profile["directive"]["numero"] = "DIR-TEST-999"
    profile["directive"]["responsable"] = "Direction de l'essai"
    for contact in profile["contacts"].values():
        for key in ("telephone", "courriel", "adresse"):
            if contact.get(key) and contact[key]["valeur"]:
                contact[key]["valeur"] = f"{key}-essai-777"
    # a long establishment name must work as is (X.509 names are limited to 64 characters)
    profile["etablissement"]["nom"] = "CIUSSS du Bout-du-Monde-et-de-l'Île-de-la-Longue-Dénomination"

    other = write(tmp_path, profile)
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


def test_every_bundled_contact_value_names_its_source() -> None:
    profile = load_profile()
    for path, value in profile.contact_values().items():
        if value.valeur is None:
            assert value.source == "aucune" and value.formulation_neutre, path
        else:
            assert value.source != "aucune", path


@pytest.mark.parametrize(
    "value",
    [
        "450 432-2777, poste 0000 (à adapter)",
        "telesante@exemple.ssss.gouv.qc.ca",
        "archives@example.org",
        "poste 0000",
    ],
)
def test_a_provisional_value_is_refused_with_file_and_line(tmp_path: Path, value: str) -> None:
    profile = bundled()
    profile["contacts"]["centre_de_services"]["telephone"]["valeur"] = value
    path = write(tmp_path, profile)
    with pytest.raises(ProfileError, match=r"valeur provisoire") as caught:
        load_profile(path)
    line = next(
        n
        for n, text in enumerate(path.read_text("utf-8").splitlines(), start=1)
        if value in text or value.replace("'", "''") in text
    )
    assert str(caught.value).startswith(f"{path}:{line}:")
    result = CliRunner().invoke(main, ["scenarios", "check"], env={"FORMATION_TIC_PROFILE": str(path)})
    assert result.exit_code != 0 and f"{path}:{line}:" in result.output
    result = CliRunner().invoke(
        main, ["--data-dir", str(tmp_path / "d"), "build"], env={"FORMATION_TIC_PROFILE": str(path)}
    )
    assert result.exit_code != 0 and f"{path}:{line}:" in result.output
    assert not (tmp_path / "d" / "livre").exists()


def test_a_value_without_source_is_refused(tmp_path: Path) -> None:
    profile = bundled()
    profile["contacts"]["archives"]["telephone"] = {"valeur": "450-555-0199", "source": "aucune"}
    with pytest.raises(ProfileError, match="doit venir d'un document source"):
        load_profile(write(tmp_path, profile))
    profile["contacts"]["archives"]["telephone"] = {"valeur": "450-555-0199", "source": "5.99"}
    with pytest.raises(ProfileError, match="source inconnue"):
        load_profile(write(tmp_path, profile))


@pytest.mark.parametrize(("version", "says"), [(1, "trop ancien"), (3, "trop récent")])
def test_other_profile_versions_say_what_to_do(tmp_path: Path, version: int, says: str) -> None:
    profile = bundled()
    profile["schema_version"] = version
    path = write(tmp_path, profile)
    with pytest.raises(ProfileError, match=says) as caught:
        load_profile(path)
    assert str(caught.value).startswith(f"{path}:1:")
    if version == 1:
        assert "source" in str(caught.value) and "cisss-laurentides.yaml" in str(caught.value)
    else:
        assert "mettez formation-tic à jour" in str(caught.value)
