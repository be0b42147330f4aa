"""The quiz widget in the kernel: labelled groups of options, feedback written for people,
and in a branching scenario each decision's feedback shown before the next decision."""

from __future__ import annotations

import re
from pathlib import Path

import ipywidgets as w
import pytest

from scenarios.bank import load_bank
from scenarios.model import Branching, MultipleChoice, Scenario, SingleChoice, Step
from scenarios.profile import load_profile
from scenarios.quiz import QuizWidget

BANK = Path(__file__).parent.parent.parent / "scenarios" / "bank"


@pytest.fixture(scope="module")
def bank() -> list[Scenario]:
    return load_bank([BANK], load_profile())


def _labelled_by(widget: w.Widget) -> str:
    [label] = [
        c.removeprefix("ftic-labelledby--") for c in widget._dom_classes if c.startswith("ftic-labelledby--")
    ]
    return label


def _text(html: str) -> str:
    return re.sub(r"<[^>]+>", "", html)


def test_single_choice_is_a_radio_group_labelled_by_its_prompt(bank: list[Scenario]) -> None:
    scenario = next(s for s in bank if isinstance(s.question, SingleChoice))
    quiz = QuizWidget(scenario, heading_level=1)
    assert quiz.children[0].value.startswith("<h1>")
    prompt, group, _button = quiz.body.children
    assert isinstance(group, w.RadioButtons) and "ftic-radiogroup" in group._dom_classes
    assert f'id="{_labelled_by(group)}"' in prompt.value
    assert group.description == ""  # the prompt is the group's name, not « Réponse »
    other = QuizWidget(scenario)
    assert _labelled_by(other.body.children[1]) != _labelled_by(group)  # ids unique in the page


def test_multiple_choice_is_a_group_and_feedback_says_what_was_checked(bank: list[Scenario]) -> None:
    scenario = next(s for s in bank if isinstance(s.question, MultipleChoice))
    q = scenario.question
    assert isinstance(q, MultipleChoice)
    quiz = QuizWidget(scenario)
    prompt, group, _button = quiz.body.children
    assert "ftic-group" in group._dom_classes and list(group.children) == quiz.boxes
    assert f'id="{_labelled_by(group)}"' in prompt.value
    wrong = next(i for i, c in enumerate(q.choices) if not c.correct)
    quiz.boxes[wrong].value = True
    quiz.submit.click()
    shown = _text(quiz.feedback.value)
    assert "Vous avez coché, à tort" in shown and "Il fallait aussi cocher" in shown
    assert "non cochée" not in shown


def test_single_choice_feedback_names_your_answer_and_the_right_one(bank: list[Scenario]) -> None:
    scenario = next(s for s in bank if isinstance(s.question, SingleChoice))
    q = scenario.question
    assert isinstance(q, SingleChoice)
    quiz = QuizWidget(scenario)
    wrong = next(c for c in q.choices if not c.correct)
    assert quiz.selector is not None
    quiz.selector.value = wrong.id
    quiz.submit.click()
    shown = _text(quiz.feedback.value)
    assert f"Votre réponse : « {wrong.text} »" in shown.replace("&#x27;", "'")
    assert "La bonne réponse :" in shown and "non cochée" not in shown
    assert "annexe-" not in shown and "Sources :" in shown


def test_branching_feedback_on_a_decision_comes_before_the_next_decision(bank: list[Scenario]) -> None:
    def has_feedback_then_step(s: Scenario) -> bool:
        q = s.question
        if not isinstance(q, Branching):
            return False
        start = q.node(q.start)
        return isinstance(start, Step) and any(
            c.feedback and isinstance(q.node(c.goto), Step) for c in start.choices
        )

    scenario = next(s for s in bank if has_feedback_then_step(s))
    q = scenario.question
    assert isinstance(q, Branching)
    start = q.node(q.start)
    assert isinstance(start, Step)
    choice = next(c for c in start.choices if c.feedback and isinstance(q.node(c.goto), Step))
    quiz = QuizWidget(scenario)
    assert quiz.selector is not None
    quiz.selector.value = choice.id
    quiz.submit.click()
    first, prompt, selector, button = quiz.body.children
    assert first is quiz.step_feedback and "Votre décision 1" in quiz.step_feedback.value
    assert "Décision 2" in prompt.value
    assert f'id="{_labelled_by(selector)}"' in prompt.value
    assert button.description == "Continuer"
    assert quiz.feedback.value == ""  # nothing below the next decision's button
