"""Grading is done in the kernel from the scenario, never from what the browser claims."""

from __future__ import annotations

from pathlib import Path

import pytest
from jupyter_client.manager import start_new_kernel

from scenarios.bank import load_bank
from scenarios.grading import BranchingRun, GradingError, grade_attempt, grade_choice, passes
from scenarios.model import Branching, MultipleChoice, Scenario, SingleChoice, Theme
from scenarios.profile import load_profile

BANK = Path(__file__).parent.parent.parent / "scenarios" / "bank"


@pytest.fixture(scope="module")
def bank() -> list[Scenario]:
    return load_bank([BANK], load_profile())


def first(bank: list[Scenario], kind: type) -> Scenario:
    return next(s for s in bank if isinstance(s.question, kind))


def test_single_choice_right_and_wrong(bank: list[Scenario]) -> None:
    s = first(bank, SingleChoice)
    q = s.question
    assert isinstance(q, SingleChoice)
    right = q.correct_ids[0]
    wrong = next(c.id for c in q.choices if not c.correct)
    assert grade_choice(q, [right]).correct
    graded = grade_choice(q, [wrong])
    assert not graded.correct
    # the learner sees why the chosen answer is wrong and which one was right
    assert [f[0] for f in graded.feedback] == [wrong, right]


def test_single_choice_refuses_two_answers_and_unknown_ids(bank: list[Scenario]) -> None:
    q = first(bank, SingleChoice).question
    assert isinstance(q, SingleChoice)
    with pytest.raises(GradingError):
        grade_choice(q, [c.id for c in q.choices[:2]])
    with pytest.raises(GradingError):
        grade_choice(q, ["n-existe-pas"])


def test_multiple_choice_needs_exactly_the_correct_set(bank: list[Scenario]) -> None:
    q = first(bank, MultipleChoice).question
    assert isinstance(q, MultipleChoice)
    correct = q.correct_ids
    assert grade_choice(q, correct).correct
    assert not grade_choice(q, correct[:-1] or [q.choices[-1].id]).correct
    wrong = [c.id for c in q.choices if not c.correct]
    assert not grade_choice(q, [*correct, *wrong]).correct


def test_branching_every_path_ends_with_its_verdict(bank: list[Scenario]) -> None:
    for s in (s for s in bank if isinstance(s.question, Branching)):
        q = s.question
        assert isinstance(q, Branching)
        # walk every path depth-first; each ending's verdict decides the grade
        stack: list[list[str]] = [[]]
        outcomes = set()
        while stack:
            choices = stack.pop()
            run = BranchingRun(s)
            event = None
            for c in choices:
                _, _, event = run.choose(c)
            if run.finished:
                assert event is not None and event.final
                assert event.correct == run.passed
                assert event.path[-1] == run.current.id
                outcomes.add(run.passed)
                continue
            step = run.current
            stack.extend([*choices, c.id] for c in step.choices)  # type: ignore[union-attr]
        assert outcomes == {True, False}, s.id


def test_attempt_grade_score_themes_and_pass_rule() -> None:
    ids = ["a", "b", "c", "d", "e"]
    theme_of = {
        "a": Theme.TELETRAVAIL,
        "b": Theme.URGENCE,
        "c": Theme.TELETRAVAIL,
        "d": Theme.ROLES,
        "e": Theme.URGENCE,
    }
    # "e" unanswered counts as wrong; an answer outside the draw is ignored.
    grade = grade_attempt(ids, {"a": True, "b": True, "c": False, "d": True, "zz": True}, theme_of, 0.6)
    assert (grade.right, grade.total, grade.score) == (3, 5, 0.6)
    assert grade.passed  # exactly at the pass mark
    assert [(t.theme, t.right, t.total, t.mastered) for t in grade.themes] == [
        (Theme.TELETRAVAIL, 1, 2, False),  # themes in the order of the draw
        (Theme.URGENCE, 1, 2, False),
        (Theme.ROLES, 1, 1, True),
    ]
    assert grade.to_review == (Theme.TELETRAVAIL, Theme.URGENCE)
    assert not grade_attempt(ids, {"a": True, "b": True, "c": True}, theme_of, 0.8).passed
    assert grade_attempt(ids, dict.fromkeys(ids, True), theme_of, 1.0).passed
    empty = grade_attempt([], {}, {}, 0.8)
    assert (empty.score, empty.passed, empty.themes) == (0.0, False, ())


def test_pass_rule_tolerates_float_rounding_only() -> None:
    assert passes(3 / 10, 0.1 * 3)  # 0.3 < 0.30000000000000004, still a pass
    assert not passes(0.79, 0.8)
    assert passes(0.8, 0.8) and passes(1.0, 0.8)


KERNEL_CODE = """
import json
from scenarios.quiz import show_scenario
events = []
w = show_scenario({data!r}, on_answer=events.append)
w.selector.value = {wrong!r}
print(json.dumps([w.answer_selected(), events[-1].correct, events[-1].response]))
try:
    w2 = show_scenario({data!r})
    w2.selector.value = "reponse-forgee-par-le-navigateur"
    print("accepted")
except Exception as exc:
    print("refused", type(exc).__name__)
"""


def test_widget_grades_in_a_real_kernel(bank: list[Scenario]) -> None:
    s = first(bank, SingleChoice)
    q = s.question
    assert isinstance(q, SingleChoice)
    wrong = next(c.id for c in q.choices if not c.correct)
    km, kc = start_new_kernel(kernel_name="python3")
    try:
        out: list[str] = []
        reply = kc.execute_interactive(
            KERNEL_CODE.format(data=s.model_dump(mode="json"), wrong=wrong),
            output_hook=lambda m: (
                out.append(m["content"].get("text", "")) if m["msg_type"] == "stream" else None
            ),
            timeout=60,
        )
        assert reply["content"]["status"] == "ok", reply["content"]
        lines = "".join(out).splitlines()
        assert lines[0] == f'[false, false, ["{wrong}"]]'
        assert lines[1] == "refused TraitError"
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
