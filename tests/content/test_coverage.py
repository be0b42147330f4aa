"""The bank covers the whole directive: every obligation, every theme, every kind of question."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
import yaml

from scenarios.bank import load_bank
from scenarios.model import Branching, Scenario, Theme
from scenarios.profile import load_profile
from scenarios.sources import load_registry

ROOT = Path(__file__).parent.parent.parent
OBLIGATIONS = yaml.safe_load((ROOT / "scenarios/data/obligations.yaml").read_text("utf-8"))


@pytest.fixture(scope="module")
def bank() -> list[Scenario]:
    return load_bank([ROOT / "scenarios" / "bank"], load_profile())


def test_bank_size_and_branching(bank: list[Scenario]) -> None:
    assert len(bank) >= 36
    assert sum(isinstance(s.question, Branching) for s in bank) >= 8
    assert {s.question.kind for s in bank} == {"single", "multiple", "branching"}


@pytest.mark.parametrize("theme", list(Theme), ids=lambda t: t.value)
def test_every_theme_has_three_scenarios(bank: list[Scenario], theme: Theme) -> None:
    assert Counter(s.theme for s in bank)[theme] >= 3


def test_obligations_are_real_sections() -> None:
    registry = load_registry()
    assert OBLIGATIONS["schema_version"] == 1
    for item in OBLIGATIONS["obligations"]:
        assert registry.exists(item["section"]), item
        assert item["summary"].strip()


@pytest.mark.parametrize(
    "section", [o["section"] for o in OBLIGATIONS["obligations"]], ids=lambda s: f"section-{s}"
)
def test_every_obligation_is_covered_by_a_scenario(bank: list[Scenario], section: str) -> None:
    covering = [s.id for s in bank if section in s.sections]
    assert covering, f"aucun scénario ne couvre la section {section}"


def test_roles_and_settings_are_varied(bank: list[Scenario]) -> None:
    roles = {r.value for s in bank for r in s.audience}
    assert {"infirmiere", "medecin", "travailleur-social", "commis", "gestionnaire",
            "etudiant", "benevole"} <= roles
    assert {"clsc", "hopital", "domicile", "teletravail"} <= {
        s.setting.value for s in bank if s.setting
    }
