"""The graded bank covers every rule of the sources, every theme, every kind of question, and
casts the people the directive applies to; a practice set is published for each theme."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
import yaml

from scenarios.bank import graded, load_bank, practice
from scenarios.model import Branching, Role, Scenario, Theme
from scenarios.profile import load_profile
from scenarios.sources import STATUS_OF_DOCUMENT, RuleStatus, load_registry, load_rules

ROOT = Path(__file__).parent.parent.parent
RULES = load_rules()


@pytest.fixture(scope="module")
def bank() -> list[Scenario]:
    return load_bank([ROOT / "scenarios" / "bank"], load_profile())


@pytest.fixture(scope="module")
def exam(bank: list[Scenario]) -> list[Scenario]:
    """The graded scenarios: the only ones the quiz draws, the only ones that cover a rule."""
    return graded(bank)


def test_bank_size_and_kinds(bank: list[Scenario], exam: list[Scenario]) -> None:
    assert len(exam) >= 60
    assert len(bank) == len(exam) + len(practice(bank))
    assert sum(isinstance(s.question, Branching) for s in exam) >= 8
    assert {s.question.kind for s in exam} == {"single", "multiple", "branching"}


@pytest.mark.parametrize("theme", list(Theme), ids=lambda t: t.value)
def test_every_theme_has_three_graded_scenarios_and_a_practice_one(
    bank: list[Scenario], exam: list[Scenario], theme: Theme
) -> None:
    assert Counter(s.theme for s in exam)[theme] >= 3
    assert Counter(s.theme for s in practice(bank))[theme] >= 1


def test_the_practice_set_has_a_branching_scenario(bank: list[Scenario]) -> None:
    assert any(isinstance(s.question, Branching) for s in practice(bank))


def test_the_rule_file_is_fine_grained_and_cites_real_sections() -> None:
    registry = load_registry()
    raw = yaml.safe_load((ROOT / "scenarios/data/obligations.yaml").read_text("utf-8"))
    assert raw["schema_version"] == 2
    assert len(RULES.regles) >= 100, "une règle par « doit », interdiction, condition ou exception"
    for rule in RULES.regles:
        assert all(registry.exists(c) for c in rule.sources), rule.id
        assert len(rule.texte) >= 30, rule.id
    # each source document contributes rules, with the status its origin gives them
    by_document = Counter(registry.split(r.sources[0])[0] for r in RULES.regles)
    assert set(by_document) == set(STATUS_OF_DOCUMENT), by_document
    for rule in RULES.regles:
        key = registry.split(rule.sources[0])[0]
        assert rule.statut == STATUS_OF_DOCUMENT[key], rule.id
    assert {r.statut for r in RULES.regles} == set(RuleStatus)


def test_every_directive_section_is_ruled_or_explicitly_left_out() -> None:
    registry = load_registry()
    directive = registry.document("dir")
    assert directive is not None
    ruled = {c for r in RULES.regles for c in r.sources}
    excluded = {c for item in RULES.hors_champ for c in item.sources}
    chapters = {"4", "5", "8"}  # headings whose content is in their subsections
    missing = [s for s in directive.sections if s not in ruled | excluded | chapters]
    assert missing == []


def test_the_texting_rule_says_the_sources_differ() -> None:
    rule = RULES.rule("faq15-texto-usager")
    assert rule is not None
    assert {"faq-tt:15", "guide-ts:2", "annexe-3"} <= set(rule.sources)
    assert "dernier recours" in rule.texte and "divergent" in rule.texte


@pytest.mark.parametrize("rule_id", [r.id for r in RULES.regles])
def test_every_rule_is_tested_by_a_graded_scenario(exam: list[Scenario], rule_id: str) -> None:
    covering = [s.id for s in exam if rule_id in s.regles]
    assert covering, f"aucun scénario noté n'évalue la règle {rule_id}"


def test_a_scenario_cites_the_source_of_each_rule_it_tests(bank: list[Scenario]) -> None:
    for scenario in bank:
        for rule_id in scenario.regles:
            rule = RULES.rule(rule_id)
            assert rule is not None and set(rule.sources) & set(scenario.sections), (scenario.id, rule_id)


def test_the_people_the_directive_applies_to_are_cast(exam: list[Scenario]) -> None:
    roles = {r for s in exam for r in s.audience}
    assert {
        Role.INFIRMIERE,
        Role.MEDECIN,
        Role.RESIDENT,
        Role.PHARMACIEN,
        Role.MAIN_OEUVRE_INDEPENDANTE,
        Role.FOURNISSEUR,
        Role.TRAVAILLEUR_SOCIAL,
        Role.COMMIS,
        Role.GESTIONNAIRE,
        Role.ETUDIANT,
        Role.BENEVOLE,
    } <= roles
    assert {"clsc", "hopital", "domicile", "teletravail", "chsld", "gmf"} <= {
        s.setting.value for s in exam if s.setting
    }
