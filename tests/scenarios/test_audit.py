"""The answer-cue audit: exact odds of naive strategies, the length warning of ``check``, the CLI.

The last tests guard the real bank: no naive strategy may pass within the allowed attempts
with a probability of 1 % or more.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from formation_tic.app.draw import draw_quiz
from formation_tic.app.settings import LearnerAppSettings
from formation_tic.cli import main
from scenarios.audit import (
    DEFAULT_ATTEMPTS,
    DEFAULT_PASS_MARK,
    DEFAULT_PER_THEME,
    STRATEGIES,
    TARGET,
    ExamRules,
    Strategy,
    audit,
    exam_odds,
    length_warnings,
    needed,
    overlap,
    simulate,
    strategy_probabilities,
    success_probability,
    to_json,
    tokens,
)
from scenarios.bank import load_bank
from scenarios.check import check_paths
from scenarios.model import Scenario
from scenarios.profile import load_profile

ROOT = Path(__file__).parent.parent.parent
BANK = ROOT / "scenarios" / "bank"
THEMES = ["urgence", "consentement", "roles"]


# --- synthetic scenarios ----------------------------------------------------------------------


def single(sid: str, theme: str, texts: list[str], right: int) -> dict[str, Any]:
    """A single-choice scenario whose choice ``right`` (0-based) is the correct one."""
    return {
        "schema_version": 1,
        "id": sid,
        "title": "Titre neutre",
        "theme": theme,
        "sections": ["5.8"],
        "audience": ["tous"],
        "situation": "Une situation.",
        "question": {
            "kind": "single",
            "prompt": "Que faites-vous ?",
            "choices": [
                {"id": f"c{i}", "text": t, "correct": i == right, "feedback": "Parce que (section 5.8)."}
                for i, t in enumerate(texts)
            ],
        },
    }


def multiple(sid: str, theme: str, texts: list[str], right: set[int]) -> dict[str, Any]:
    """A multiple-choice scenario whose choices in ``right`` are correct."""
    data = single(sid, theme, texts, -1)
    data["question"]["kind"] = "multiple"
    for i, choice in enumerate(data["question"]["choices"]):
        choice["correct"] = i in right
    return data


def branching(sid: str, theme: str) -> dict[str, Any]:
    """Two steps; the longest choice wins at the first, the shortest at the second."""
    return {
        "schema_version": 1,
        "id": sid,
        "title": "Titre neutre",
        "theme": theme,
        "sections": ["5.8"],
        "audience": ["tous"],
        "situation": "Une situation.",
        "question": {
            "kind": "branching",
            "start": "un",
            "steps": [
                {
                    "id": "un",
                    "prompt": "Première décision ?",
                    "choices": [
                        {"id": "a", "text": "Court", "goto": "perdu"},
                        {"id": "b", "text": "Nettement plus long", "goto": "deux"},
                    ],
                },
                {
                    "id": "deux",
                    "prompt": "Deuxième décision ?",
                    "choices": [
                        {"id": "c", "text": "Bref", "goto": "gagne"},
                        {"id": "d", "text": "Beaucoup plus long", "goto": "perdu"},
                        {"id": "e", "text": "Moyennement", "goto": "perdu"},
                    ],
                },
            ],
            "endings": [
                {"id": "gagne", "verdict": "pass", "feedback": "Bien (section 5.8)."},
                {"id": "perdu", "verdict": "fail", "feedback": "Non (section 5.8)."},
            ],
        },
    }


def scenario(data: dict[str, Any]) -> Scenario:
    return Scenario.model_validate(data)


LONG_WINS = ["Non.", "Pas du tout.", "Oui, et voici pourquoi en détail."]
LONG_LOSES = ["Oui, la bonne.", "Une réponse fausse bien plus longue que les autres.", "Non."]
RANDOM = next(s for s in STRATEGIES if s.id == "random")
LONGEST = next(s for s in STRATEGIES if s.id == "longest")
SHORTEST = next(s for s in STRATEGIES if s.id == "shortest")


def by_id(strategy_id: str) -> Strategy:
    return next(s for s in STRATEGIES if s.id == strategy_id)


# --- exact computation --------------------------------------------------------------------------


def test_defaults_are_the_apps() -> None:
    app = LearnerAppSettings()
    assert (app.per_theme, app.pass_mark, app.max_attempts) == (
        DEFAULT_PER_THEME,
        DEFAULT_PASS_MARK,
        DEFAULT_ATTEMPTS,
    )


def test_needed_follows_the_pass_rule() -> None:
    assert needed(13, 0.8) == 11
    assert needed(5, 0.8) == 4  # 4/5 is 0.8 within the grading tolerance
    assert needed(2, 0.8) == 2
    assert needed(10, 1.0) == 10


def test_longest_always_wins_passes_surely() -> None:
    bank = [scenario(single("a", "urgence", LONG_WINS, 2)), scenario(single("b", "roles", LONG_WINS, 2))]
    odds = exam_odds(bank, strategy_probabilities(bank, LONGEST), ExamRules())
    assert odds.first_attempt == pytest.approx(1.0)
    assert odds.within_attempts == pytest.approx(1.0)
    shortest = exam_odds(bank, strategy_probabilities(bank, SHORTEST), ExamRules())
    assert shortest.within_attempts == 0.0


def test_longest_never_wins_never_passes() -> None:
    bank = [scenario(single("a", "urgence", LONG_LOSES, 0)), scenario(single("b", "roles", LONG_LOSES, 0))]
    odds = exam_odds(bank, strategy_probabilities(bank, LONGEST), ExamRules())
    assert (odds.first_attempt, odds.within_attempts) == (0.0, 0.0)
    result = audit(bank)
    assert result.meets_target is False  # the right option always comes first, as written
    first = next(r for r in result.strategies if r.strategy.id == "first-as-written")
    assert first.odds.within_attempts == pytest.approx(1.0)
    shuffled = next(r for r in result.strategies if r.strategy.id == "first-shuffled")
    assert shuffled.odds.within_attempts == pytest.approx(1 - (1 - (1 / 3) ** 2) ** 3)


def test_random_guessing_exact_value() -> None:
    bank = [scenario(single("a", "urgence", LONG_WINS, 2)), scenario(single("b", "roles", LONG_WINS, 0))]
    odds = exam_odds(bank, strategy_probabilities(bank, RANDOM), ExamRules(attempts=3))
    one = (1 / 3) ** 2  # both right (2 of 2 needed at 80 %)
    assert odds.first_attempt == pytest.approx(one)
    assert odds.within_attempts == pytest.approx(1 - (1 - one) ** 3)


def test_retry_avoids_the_previous_draw() -> None:
    """One theme, one sure and one lost scenario: the retry draws the other one, as the app does."""
    bank = [scenario(single("a", "urgence", LONG_WINS, 2)), scenario(single("b", "urgence", LONG_LOSES, 0))]
    probabilities = strategy_probabilities(bank, LONGEST)
    assert probabilities == {"a": 1.0, "b": 0.0}
    rules = ExamRules(pass_mark=1.0, attempts=2)
    odds = exam_odds(bank, probabilities, rules)
    assert odds.first_attempt == pytest.approx(0.5)
    assert odds.within_attempts == pytest.approx(1.0)  # independent draws would give 0.75
    simulated = simulate(bank, {"longest": probabilities}, rules, draw_quiz, runs=200, seed=1)
    assert simulated["longest"].within_attempts == pytest.approx(1.0)
    assert simulated["longest"].first_attempt == pytest.approx(0.5, abs=0.1)


def test_per_theme_draws_sets() -> None:
    bank = [
        scenario(single("a", "urgence", LONG_WINS, 2)),
        scenario(single("b", "urgence", LONG_LOSES, 0)),
        scenario(single("c", "urgence", LONG_WINS, 2)),
    ]
    odds = exam_odds(bank, {"a": 1.0, "b": 0.0, "c": 1.0}, ExamRules(per_theme=2, pass_mark=1.0, attempts=1))
    assert odds.first_attempt == pytest.approx(1 / 3)  # only the pair {a, c} of three pairs


def test_branching_follows_the_rule_step_by_step() -> None:
    s = scenario(branching("x", "urgence"))
    assert success_probability(s, "longest", True) == 0.0
    assert success_probability(s, "shortest", True) == 0.0
    assert success_probability(s, "random", True) == pytest.approx(1 / 2 * 1 / 3)
    assert success_probability(s, "first", False) == 0.0
    assert success_probability(s, "first", True) == pytest.approx(1 / 6)


def test_multiple_choice_is_all_or_nothing() -> None:
    texts = ["Un", "Deux", "Trois", "Quatre choix"]
    first_three = scenario(multiple("m", "urgence", texts, {0, 1, 2}))
    assert success_probability(first_three, "first", False) == 1.0
    assert success_probability(first_three, "first", True) == pytest.approx(1 / math.comb(4, 3))
    assert success_probability(first_three, "random", True) == pytest.approx(1 / 15)
    texts = ["Un", "Deux", "Beaucoup plus long", "Très long aussi"]
    longest = scenario(multiple("n", "urgence", texts, {2, 3}))
    assert success_probability(longest, "longest", True) == 1.0
    assert success_probability(longest, "shortest", True) == 0.0


def test_cue_words_measure() -> None:
    assert tokens("Le chiffrement des courriels de l'usager") == {"chiffr", "courri", "usager"}
    assert tokens("Chiffrée, chiffrés !") == {"chiffr"}
    assert overlap("Vous chiffrez le courriel.", "Un courriel chiffré") == pytest.approx(1.0)
    assert overlap("Rien à voir", "Un courriel chiffré") == 0.0


# --- check warns, never fails, on a right option much longer than the others -------------------


def test_check_warns_on_a_much_longer_right_option(tmp_path: Path) -> None:
    data = single("trop-long", "urgence", ["Non.", "Pas ça.", "La bonne réponse, longue et détaillée."], 2)
    path = tmp_path / "trop-long.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    result = check_paths([path], load_profile())
    assert result.ok and not result.problems
    (warning,) = result.warnings
    line = next(
        n for n, text in enumerate(path.read_text("utf-8").splitlines(), 1) if "longue et détaillée" in text
    )
    assert (warning.path, warning.position.line) == (path, line)
    assert warning.field == "question.choices[2].text"
    assert str(warning).startswith(f"{path}:{line}:")
    assert "avertissement" in str(warning)
    run = CliRunner().invoke(main, ["scenarios", "check", str(path)])
    assert run.exit_code == 0
    assert run.stdout == ""
    assert f"{path}:{line}:" in run.stderr
    assert "1\u00a0scénario valide, 1\u00a0avertissement." in run.stderr


def test_check_does_not_warn_within_the_margin() -> None:
    s = scenario(single("ok", "urgence", ["Une réponse fausse.", "La réponse juste."], 1))
    assert length_warnings(s) == []


# --- the CLI ------------------------------------------------------------------------------------


def write_bank(folder: Path, scenarios: list[dict[str, Any]]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for data in scenarios:
        text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
        (folder / f"{data['id']}.yaml").write_text(text, encoding="utf-8")
    return folder


def test_cli_audit_text_and_json(tmp_path: Path) -> None:
    bank = write_bank(
        tmp_path / "banque",
        [single("a", "urgence", LONG_WINS, 2), single("b", "roles", LONG_WINS, 2)],
    )
    text = CliRunner().invoke(main, ["scenarios", "audit", str(bank)])
    assert text.exit_code == 0, text.output
    assert "Audit des indices de réponse" in text.stdout
    assert "la plus longue" in text.stdout
    assert "Cible (chaque stratégie naïve < 1 % en 3\u00a0essais) : NON atteinte" in text.stdout
    assert "a : la plus longue" in text.stdout
    run = CliRunner().invoke(main, ["scenarios", "audit", str(bank), "--json", "--attempts", "2"])
    assert run.exit_code == 0, run.output
    data = json.loads(run.stdout)
    assert data["rules"] == {"per_theme": 1, "pass_mark": 0.8, "attempts": 2}
    assert data["bank"]["exam_size"] == 2
    assert data["method"] == "exact"
    longest = next(s for s in data["strategies"] if s["id"] == "longest")
    assert longest["within_attempts"] == pytest.approx(1.0)
    assert data["meets_target"] is False
    assert data["offenders"]["a"] == ["longest"]


def test_cli_audit_simulates_with_the_apps_draw(tmp_path: Path) -> None:
    bank = write_bank(
        tmp_path / "banque",
        [single("a", "urgence", LONG_WINS, 2), single("b", "roles", LONG_LOSES, 0)],
    )
    run = CliRunner().invoke(main, ["scenarios", "audit", str(bank), "--json", "--simulations", "50"])
    assert run.exit_code == 0, run.output
    data = json.loads(run.stdout)
    assert data["simulation"] == {"runs": 50, "seed": 13}
    for strategy in data["strategies"]:
        assert strategy["simulated"]["within_attempts"] == pytest.approx(strategy["within_attempts"], abs=0.2)


def test_cli_audit_refuses_a_broken_bank(tmp_path: Path) -> None:
    data = single("casse", "urgence", LONG_WINS, 2)
    data["sections"] = ["99.9"]
    bank = write_bank(tmp_path / "banque", [data])
    run = CliRunner().invoke(main, ["scenarios", "audit", str(bank)])
    assert run.exit_code == 1
    assert "audit impossible" in run.output


# --- the real bank meets the target --------------------------------------------------------------


@pytest.fixture(scope="module")
def real_bank() -> list[Scenario]:
    return load_bank([BANK], load_profile())


def test_real_bank_naive_strategies_fail(real_bank: list[Scenario]) -> None:
    result = audit(real_bank)
    report = {r.strategy.id: r.odds.within_attempts for r in result.strategies}
    assert result.meets_target, f"stratégies naïves trop payantes : {report} ; {result.offenders}"
    assert all(p < TARGET for p in report.values())
    assert to_json(result)["meets_target"] is True


def test_real_bank_target_holds_with_the_apps_draw(real_bank: list[Scenario]) -> None:
    """The exact model leaves out the app's kind rebalancing; the real draw agrees."""
    result = audit(real_bank, draw=draw_quiz, runs=300, seed=7)
    for r in result.strategies:
        assert r.simulated is not None
        assert r.simulated.within_attempts < TARGET, r.strategy.id
