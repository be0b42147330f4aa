"""The checker names file, line, column, scenario id and field, in French, for every problem."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from formation_tic.cli import main
from scenarios.check import check_paths
from scenarios.profile import load_profile
from scenarios.schema import scenario_json_schema

HERE = Path(__file__).parent
ROOT = HERE.parent.parent
BROKEN = sorted((HERE / "broken").glob("*.yaml"))
BANK = ROOT / "scenarios" / "bank"


def expected_lines(path: Path) -> list[str]:
    """The ``# expect:`` header lines of a broken fixture, with the file path prefixed."""
    return [
        f"{path}:{line.removeprefix('# expect: ')}"
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.startswith("# expect: ")
    ]


@pytest.mark.parametrize("path", BROKEN, ids=lambda p: p.stem)
def test_broken_file_gives_its_exact_errors(path: Path) -> None:
    expected = expected_lines(path)
    assert expected, f"{path.name} must declare the errors it expects"
    result = CliRunner().invoke(main, ["scenarios", "check", str(path)])
    assert result.exit_code == 1
    assert result.stdout.splitlines() == expected


def test_all_broken_files_reported_in_one_run() -> None:
    result = check_paths([HERE / "broken"], load_profile())
    assert {p.path for p in result.problems} == set(BROKEN)
    assert len(result.problems) == sum(len(expected_lines(p)) for p in BROKEN)


def test_duplicate_ids_across_files_name_both_files() -> None:
    result = CliRunner().invoke(main, ["scenarios", "check", str(HERE / "broken-duplicate")])
    assert result.exit_code == 1
    dup = HERE / "broken-duplicate"
    assert result.stdout.splitlines() == [
        f"{dup / 'b.yaml'}:2:5: scénario « meme-id », champ « id » : identifiant en double : "
        f"déjà utilisé dans {dup / 'a.yaml'}"
    ]


def test_the_bank_checks_clean() -> None:
    result = CliRunner().invoke(main, ["scenarios", "check", str(BANK)])
    assert result.stdout == ""
    assert result.exit_code == 0, result.output


def test_fixing_a_file_clears_its_error(tmp_path: Path) -> None:
    src = HERE / "broken" / "single-zero-correct.yaml"
    fixed = tmp_path / src.name
    text = src.read_text(encoding="utf-8").replace(
        "      text: Réponse A\n", "      text: Réponse A\n      correct: true\n"
    )
    fixed.write_text(text, encoding="utf-8")
    assert CliRunner().invoke(main, ["scenarios", "check", str(fixed)]).exit_code == 0


def test_empty_folder_is_an_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["scenarios", "check", str(tmp_path)])
    assert result.exit_code == 1
    assert "aucun fichier de scénario" in result.stdout


def test_not_a_mapping(tmp_path: Path) -> None:
    bad = tmp_path / "liste.yaml"
    bad.write_text("- a\n- b\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["scenarios", "check", str(bad)])
    assert result.exit_code == 1
    assert result.stdout.strip().endswith("le fichier doit décrire un scénario (un dictionnaire YAML)")


def test_check_does_not_modify_files(tmp_path: Path) -> None:
    copy = tmp_path / "bank"
    shutil.copytree(HERE / "broken", copy)
    before = {p.name: p.read_bytes() for p in copy.iterdir()}
    CliRunner().invoke(main, ["scenarios", "check", str(copy)])
    assert {p.name: p.read_bytes() for p in copy.iterdir()} == before


def test_committed_json_schema_is_current() -> None:
    committed = json.loads((ROOT / "scenarios/schema/scenario-v1.schema.json").read_text("utf-8"))
    assert committed == scenario_json_schema()
    assert committed["additionalProperties"] is False
    assert "theme" in committed["required"]


def test_trainer_guide_examples_check_clean(tmp_path: Path) -> None:
    """The complete examples of the « Guide du formateur » are valid scenario files."""
    guide = (ROOT / "book" / "guide-formateur.md").read_text(encoding="utf-8")
    blocks = [
        b.split("\n", 1)[1]
        for b in guide.split("```")[1::2]
        if b.startswith("yaml") and "schema_version:" in b
    ]
    assert len(blocks) >= 3
    for n, block in enumerate(blocks):
        (tmp_path / f"exemple-{n}.yaml").write_text(block.replace("\\{{", "{{"), encoding="utf-8")
    result = CliRunner().invoke(main, ["scenarios", "check", str(tmp_path)])
    assert result.exit_code == 0, result.stdout
    kinds = {yaml.safe_load(b)["question"]["kind"] for b in blocks}
    assert kinds == {"single", "multiple", "branching"}
