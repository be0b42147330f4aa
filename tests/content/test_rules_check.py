"""``scenarios check`` validates what a scenario says it tests (``regles``), what it is for
(``usage``), the new roles, and refuses a contact written out instead of taken from the profile."""

from __future__ import annotations

from pathlib import Path

import pytest

from scenarios.check import check_paths
from scenarios.profile import load_profile

SCENARIO = """\
schema_version: 1
id: essai-regles
title: Essai
theme: urgence
usage: {usage}
sections: ["5.8"]
regles: [{regles}]
audience: [{audience}]
situation: {situation}
question:
  kind: single
  prompt: Quoi ?
  choices:
    - id: a
      text: A
      correct: true
      feedback: Parce que (section 5.8).
    - id: b
      text: B
      feedback: Non (section 5.8).
"""


def problems(tmp_path: Path, **fields: str) -> list[str]:
    values = {
        "usage": "evaluation",
        "regles": "5.8-premier-contact",
        "audience": "fournisseur, main-oeuvre-independante, pharmacien, resident",
        "situation": "Une situation.",
        **fields,
    }
    path = tmp_path / "essai.yaml"
    path.write_text(SCENARIO.format(**values), encoding="utf-8")
    return [str(p) for p in check_paths([path], load_profile()).problems]


def test_a_valid_scenario_with_rules_and_new_roles_passes(tmp_path: Path) -> None:
    assert problems(tmp_path) == []
    assert problems(tmp_path, usage="pratique") == []


@pytest.mark.parametrize(
    ("fields", "where", "message"),
    [
        ({"regles": "5.8-premier-contact, regle-inventee"}, "7:31", "règle inconnue « regle-inventee »"),
        ({"regles": "5.3.1-crise"}, "7:9", "la règle « 5.3.1-crise » s'appuie sur 5.3.1"),
        ({"regles": "5.8-premier-contact, 5.8-premier-contact"}, "7:9", "règle en double"),
        ({"usage": "examen"}, "5:8", "valeur inconnue « examen » ; valeurs permises : evaluation, pratique"),
        ({"situation": "Appelez le 450 555-0199, poste 12."}, "9:12", "coordonnée écrite en clair"),
        ({"situation": "Écrivez à archives@cisss.example.ca."}, "9:12", "coordonnée écrite en clair"),
    ],
)
def test_problems_name_file_line_and_field(
    tmp_path: Path, fields: dict[str, str], where: str, message: str
) -> None:
    found = problems(tmp_path, **fields)
    assert len(found) == 1, found
    assert found[0].startswith(f"{tmp_path / 'essai.yaml'}:{where}:") and message in found[0]
