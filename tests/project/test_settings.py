"""The settings root: sources and precedence, paths, and French errors before anything starts."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from formation_tic.cli import main
from formation_tic.settings import DataPaths, SettingsError, load_settings


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("FORMATION_TIC_"):
            monkeypatch.delenv(name)


def run(args: list[str], env: dict[str, str] | None = None, cwd: Path | None = None) -> tuple[int, str]:
    runner = CliRunner()
    if cwd is not None:
        with runner.isolated_filesystem(temp_dir=cwd):
            result = runner.invoke(main, args, env=env)
    else:
        result = runner.invoke(main, args, env=env)
    return result.exit_code, result.output


def test_every_path_derives_from_the_data_directory(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path / "donnees")
    paths = settings.paths
    assert paths == DataPaths(tmp_path / "donnees")
    derived = [
        getattr(paths, name) for name in dir(DataPaths) if isinstance(getattr(DataPaths, name), property)
    ]
    assert derived and all(p.is_relative_to(tmp_path / "donnees") for p in derived)
    assert (tmp_path / "donnees").is_dir()  # a missing data directory is created


def test_environment_beats_the_config_file_which_beats_the_defaults(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "formation.toml"
    config.write_text(
        f'data_dir = "{tmp_path / "du-fichier"}"\n'
        "[app]\nport = 9001\npass_mark = 0.9\n[lrs]\nbatch_size = 7\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("FORMATION_TIC_APP_PORT", "9002")
    settings = load_settings(config)
    assert settings.app.port == 9002  # environment
    assert settings.app.pass_mark == 0.9 and settings.lrs.batch_size == 7  # file
    assert settings.data_dir == tmp_path / "du-fichier"
    assert settings.app.max_attempts == 3  # default
    assert load_settings(config, data_dir=tmp_path / "option").data_dir == tmp_path / "option"  # option


def test_relative_paths_are_made_absolute_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("FORMATION_TIC_DATA_DIR", "relatif")
    assert load_settings().data_dir == tmp_path / "relatif"


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"FORMATION_TIC_DATADIR": "x"}, "FORMATION_TIC_DATADIR"),
        ({"FORMATION_TIC_LRS_ENDPONT": "x"}, "réglage inconnu"),
        ({"FORMATION_TIC_APP_PORT": "abc"}, "nombre entier attendu"),
        ({"FORMATION_TIC_APP_PASS_MARK": "2"}, "doit être au plus 1"),
        ({"FORMATION_TIC_LRS_ENDPOINT": "http://"}, "ne nomme aucun serveur"),
        ({"FORMATION_TIC_LRS_ENDPOINT": "ftp://lrs.exemple.qc.ca/"}, "http:// ou https://"),
        ({"FORMATION_TIC_CONFIG": "/nulle/part.toml"}, "fichier de configuration introuvable"),
        ({"FORMATION_TIC_PROFILE": "/nulle/part.yaml"}, "profil d'établissement"),
    ],
)
def test_bad_settings_are_french_errors_before_anything_runs(
    tmp_path: Path, env: dict[str, str], expected: str
) -> None:
    env = {"FORMATION_TIC_DATA_DIR": str(tmp_path / "donnees"), **env}
    code, output = run(["lrs", "status"], env)
    assert code == 1 and expected in output and "Traceback" not in output
    assert output.startswith("Erreur : ")


def test_credentials_in_the_endpoint_are_refused_and_never_printed(tmp_path: Path) -> None:
    env = {
        "FORMATION_TIC_DATA_DIR": str(tmp_path),
        "FORMATION_TIC_LRS_ENDPOINT": "https://agent:motdepasse-secret@lrs.exemple.qc.ca/xAPI/",
    }
    code, output = run(["lrs", "status"], env)
    assert code == 1 and "identifiants" in output
    assert "motdepasse-secret" not in output and "agent:" not in output


def test_status_shows_the_endpoint_without_credentials(tmp_path: Path) -> None:
    env = {
        "FORMATION_TIC_DATA_DIR": str(tmp_path),
        "FORMATION_TIC_LRS_ENDPOINT": "https://lrs.exemple.qc.ca:8443/xAPI",
        "FORMATION_TIC_LRS_USERNAME": "agent",
        "FORMATION_TIC_LRS_PASSWORD": "motdepasse-secret",
    }
    code, output = run(["lrs", "status"], env)
    assert code == 0, output
    assert "LRS : https://lrs.exemple.qc.ca:8443/xAPI/ (configuré)" in output
    assert "motdepasse-secret" not in output and "agent" not in output


def test_a_data_directory_that_cannot_be_created_is_a_french_error(tmp_path: Path) -> None:
    blocker = tmp_path / "fichier"
    blocker.write_text("pas un dossier", encoding="utf-8")
    with pytest.raises(SettingsError, match="dossier de données impossible à créer"):
        load_settings(data_dir=blocker / "donnees")


def test_nothing_is_written_to_the_current_directory(tmp_path: Path) -> None:
    work, data = tmp_path / "travail", tmp_path / "donnees"
    work.mkdir()
    code, output = run(["--data-dir", str(data), "lrs", "status"], cwd=work)
    assert code == 0, output
    assert [p for p in work.rglob("*") if p.is_file()] == []
    assert (data / "outbox.db").exists()
