"""Counts read as French: « 1 fichier », « 2 fichiers » (0 and 1 singular), never « fichier(s) ».

The commands a trainer or HR person runs say « 1 scénario valide » and « 2 scénarios
valides », « 1 enregistrement » and « 2 enregistrements »…; and the shorthand « (s) » does
not come back in the string literals of the modules that word those messages.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

import scenarios.wording
from attest import AttestationStore, fr_ca, init_keys, load_directive, load_form, load_private_key
from formation_tic.cli import main
from formation_tic.hr.wording import agree, plural
from formation_tic.settings import SettingsError, load_settings
from scenarios.bank import BankError
from scenarios.build import BuildError, build
from scenarios.check import check_paths
from scenarios.profile import Profile, ProfileError, load_profile
from tests.hr.hr_support import ROSTER_HEADER, roster_csv, sign

ROOT = Path(__file__).resolve().parents[2]
BANK = ROOT / "scenarios" / "bank"
BROKEN = ROOT / "tests" / "scenarios" / "broken"
PROFILE = ROOT / "scenarios" / "profiles" / "cisss-laurentides.yaml"

WORDED = sorted(
    [
        *(ROOT / "formation_tic" / "hr").glob("*.py"),
        *(
            ROOT / "formation_tic" / "commands" / name
            for name in ("attest.py", "content.py", "hr.py", "lrs.py", "lti.py")
        ),
        ROOT / "attest" / "verify.py",
        ROOT / "attest" / "widgets.py",
        ROOT / "formation_tic" / "settings.py",
        *(ROOT / "scenarios" / f"{name}.py" for name in ("audit", "bank", "build", "check", "profile")),
    ]
)
"""The modules that word the HR, trainer and command-line messages checked here (the settings
root and the scenario checker, audit and book build included)."""

SHORTHAND = re.compile(r"\w\((?:s|x|e|es)\)")
"""« fichier(s) », « nouveau(x) », « refusé(e) », « lue(s) »: a count not agreed."""


def _cli(*args: str, data: Path) -> tuple[str, str]:
    result = CliRunner().invoke(main, ["--data-dir", str(data), *args])
    return result.stdout, result.stderr


def test_plural_helper_zero_and_one_are_singular() -> None:
    assert plural(0, "fichier") == "0\u00a0fichier"
    assert plural(1, "ligne lue", "lignes lues") == "1\u00a0ligne lue"
    assert plural(2, "ligne lue", "lignes lues") == "2\u00a0lignes lues"
    assert plural(12345, "nouveau", "nouveaux").endswith("\u00a0nouveaux")
    assert [agree(n, "concorde", "concordent") for n in (0, 1, 2)] == ["concorde", "concorde", "concordent"]


def test_the_app_and_the_content_library_share_one_helper() -> None:
    """``scenarios`` may not import the app: the helpers live there and HR re-exports them."""
    assert plural is scenarios.wording.plural and agree is scenarios.wording.agree
    assert plural(12345, "personne") == f"{fr_ca.integer(12345)}\u00a0personnes"


def test_scenarios_check_agrees_with_the_count(tmp_path: Path) -> None:
    files = sorted(BANK.glob("*.yaml"))[:2]
    _out, one = _cli("scenarios", "check", str(files[0]), data=tmp_path)
    _out, two = _cli("scenarios", "check", *map(str, files), data=tmp_path)
    assert one.strip().endswith("1\u00a0scénario valide.")
    assert two.strip().endswith("2\u00a0scénarios valides.")

    _out, bad = _cli("scenarios", "check", str(BROKEN / "theme-inconnu.yaml"), data=tmp_path)
    assert "1\u00a0problème dans 1\u00a0fichier sur 1." in bad
    _out, bads = _cli(
        "scenarios",
        "check",
        str(BROKEN / "theme-inconnu.yaml"),
        str(BROKEN / "champ-inconnu.yaml"),
        str(files[0]),
        data=tmp_path,
    )
    assert "2\u00a0problèmes dans 2\u00a0fichiers sur 3." in bads
    assert not SHORTHAND.search(one + two + bad + bads)


@pytest.fixture(scope="module")
def signing(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(private key, certificate) of a test establishment."""
    d = tmp_path_factory.mktemp("keys")
    files = init_keys(d / "key.pem", d / "cert.pem", d / "pub.pem", establishment="CISSS", key_size=2048)
    return files.private_key, files.certificate


@pytest.mark.parametrize(
    ("count", "expected"), [(1, "1\u00a0enregistrement,"), (2, "2\u00a0enregistrements,")]
)
def test_attest_verify_agrees_with_the_count(
    signing: tuple[Path, Path], tmp_path: Path, count: int, expected: str
) -> None:
    key, certificate = signing
    store_path = tmp_path / "attestations.db"
    form, directive = load_form(), load_directive()
    with AttestationStore(store_path) as store:
        for n in range(count):
            sign(store, load_private_key(key), f"700{n}", form, directive)
    out, err = _cli(
        "attest", "verify", "--attestations", str(store_path), "--public-key", str(certificate), data=tmp_path
    )
    assert f"Registre intègre : {expected} aucune anomalie." in out, out + err
    assert not SHORTHAND.search(out + err)


def test_roster_import_agrees_with_the_count(tmp_path: Path) -> None:
    one = roster_csv(tmp_path / "un.csv", ["0001;Tremblay;Marie;;DSI;;;;actif"])
    out, _err = _cli("roster", "import", str(one), data=tmp_path / "a")
    assert "1\u00a0ligne lue : 1\u00a0ajoutée, 0\u00a0mise à jour, 0\u00a0inchangée, 0\u00a0refusée." in out

    two = roster_csv(
        tmp_path / "deux.csv",
        ["0001;Tremblay;Marie;;DSI;;;;actif", "0002;Roy;Luc;;DSI;;;;actif", "12;Nom;Court;;;;;;actif"],
        header=ROSTER_HEADER,
    )
    out, err = _cli("roster", "import", str(two), data=tmp_path / "a")
    assert "3\u00a0lignes lues : 1\u00a0ajoutée, 0\u00a0mise à jour, 1\u00a0inchangée, 1\u00a0refusée." in out
    out, err = _cli("roster", "import", str(two), "--complete", data=tmp_path / "b")
    assert (
        "3\u00a0lignes lues : 2\u00a0ajoutées, 0\u00a0mise à jour, 0\u00a0inchangée, 1\u00a0refusée." in out
    )
    assert not SHORTHAND.search(out + err)


def _literals(path: Path) -> list[tuple[int, str]]:
    """(line, text) of every string literal of a module, f-string parts and docstrings included."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
    ]


def test_no_shorthand_plural_in_the_worded_modules() -> None:
    assert len(WORDED) > 10
    found = [
        f"{path.relative_to(ROOT)}:{line}: {text.strip()[:80]}"
        for path in WORDED
        for line, text in _literals(path)
        if SHORTHAND.search(text)
    ]
    assert found == [], "write the agreement (formation_tic.hr.wording.plural / agree):\n" + "\n".join(found)


@pytest.mark.parametrize(
    ("names", "expected"),
    [
        (["FORMATION_TIC_DATADIR"], "variable d'environnement inconnue : FORMATION_TIC_DATADIR (faute"),
        (
            ["FORMATION_TIC_DATADIR", "FORMATION_TIC_PROFIL"],
            "variables d'environnement inconnues : FORMATION_TIC_DATADIR, FORMATION_TIC_PROFIL (faute",
        ),
    ],
)
def test_unknown_variables_agree_with_the_count(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, names: list[str], expected: str
) -> None:
    for name in names:
        monkeypatch.setenv(name, "x")
    with pytest.raises(SettingsError) as caught:
        load_settings(None, data_dir=tmp_path)
    assert str(caught.value).startswith(expected), caught.value


def test_checker_and_bank_agree_with_the_count() -> None:
    result = check_paths([BROKEN / "plusieurs-problemes.yaml"], load_profile())
    assert any(p.message.endswith("au moins 1\u00a0élément requis") for p in result.problems), result.problems
    assert str(BankError(result)) == f"{plural(len(result.problems), 'problème')} dans les scénarios"
    one = check_paths([BROKEN / "theme-inconnu.yaml"], load_profile())
    assert str(BankError(one)) == "1\u00a0problème dans les scénarios"
    assert not SHORTHAND.search(" ".join(p.message for p in result.problems))


def _profile_data() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(PROFILE.read_text(encoding="utf-8"))
    return data


@pytest.mark.parametrize(
    ("extra", "more"), [(1, ""), (2, " (et 1\u00a0autre problème)"), (3, " (et 2\u00a0autres problèmes)")]
)
def test_profile_errors_agree_with_the_count(tmp_path: Path, extra: int, more: str) -> None:
    data = _profile_data()
    for n in range(extra):
        data[f"champ_en_trop_{n}"] = "x"
    path = tmp_path / "profil.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    with pytest.raises(ProfileError) as caught:
        load_profile(path)
    assert str(caught.value).endswith(f"champ inconnu{more}"), caught.value


@pytest.mark.parametrize(
    ("count", "more"), [(1, "neutre"), (2, "neutre (et 1\u00a0autre)"), (3, "neutre (et 2\u00a0autres)")]
)
def test_provisional_profile_values_agree_with_the_count(tmp_path: Path, count: int, more: str) -> None:
    data = _profile_data()
    fields = [("etablissement", "nom"), ("etablissement", "region"), ("directive", "numero")][:count]
    for section, key in fields:
        data[section][key] = "À adapter"
    path = tmp_path / "profil.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    with pytest.raises(ProfileError) as caught:
        load_profile(path)
    assert str(caught.value).endswith(more), caught.value
    assert not SHORTHAND.search(str(caught.value))


@pytest.mark.parametrize(
    ("count", "expected"),
    [(1, "valeur provisoire qu'un livre"), (2, "valeurs provisoires qu'un livre")],
)
def test_book_build_refusal_agrees_with_the_count(tmp_path: Path, count: int, expected: str) -> None:
    data = _profile_data()
    for section, key in [("etablissement", "nom"), ("directive", "numero")][:count]:
        data[section][key] = "À adapter"
    with pytest.raises(BuildError) as caught:
        build([], tmp_path / "livre", tmp_path / "travail", Profile.model_validate(data), output_dir=tmp_path)
    assert str(caught.value).startswith(f"profil d'établissement : {expected} ne doit pas montrer : ")


def test_scenario_audit_agrees_with_the_count(tmp_path: Path) -> None:
    bank = tmp_path / "banque"
    bank.mkdir()
    source = yaml.safe_load(sorted(BANK.glob("*.yaml"))[0].read_text(encoding="utf-8"))
    source["usage"] = "evaluation"
    (bank / "un.yaml").write_text(yaml.safe_dump(source, allow_unicode=True), encoding="utf-8")
    one = CliRunner().invoke(main, ["scenarios", "audit", str(bank), "--attempts", "1"])
    three = CliRunner().invoke(main, ["scenarios", "audit", str(bank)])
    assert one.exit_code == 0 and three.exit_code == 0, one.output + three.output
    assert (
        "Banque : 1\u00a0scénario noté, 1\u00a0thème. Examen : 1\u00a0scénario par thème, soit 1 ; "
        "note de passage 80 % (1\u00a0bonne réponse sur 1) ; 1\u00a0essai." in one.stdout
    )
    assert "En 1\u00a0essai" in one.stdout and "en 1\u00a0essai) :" in one.stdout
    assert "; 3\u00a0essais." in three.stdout and "En 3\u00a0essais" in three.stdout
    assert "en 3\u00a0essais) :" in three.stdout
    assert not SHORTHAND.search(one.stdout + three.stdout)
