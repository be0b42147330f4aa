"""Grading is done in the kernel from the scenario, never from what the browser claims."""

from __future__ import annotations

from pathlib import Path

import pytest
from jupyter_client.manager import start_new_kernel

from scenarios.bank import load_bank
from scenarios.grading import BranchingRun, GradingError, grade_choice
from scenarios.model import Branching, MultipleChoice, Scenario, SingleChoice
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
