"""The quiz runtime's answers, for every scenario of the bank, become valid xAPI statements."""

from __future__ import annotations

from pathlib import Path

from ralph.models.xapi.base.statements import BaseXapiStatement

from lrs_export import statements as S
from lrs_export import vocabulary as V
from lrs_export.outbox import Outbox
from scenarios.bank import load_bank
from scenarios.model import Branching, MultipleChoice, SingleChoice
from scenarios.profile import load_profile
from scenarios.quiz import QuizWidget

ROOT = Path(__file__).parent.parent.parent


def test_every_bank_scenario_answered_in_the_widget_reaches_the_outbox(tmp_path: Path) -> None:
    bank = load_bank([ROOT / "scenarios" / "bank"], load_profile())
    outbox = Outbox(tmp_path / "outbox.db")
    attempt = S.Attempt(
        employee_number="123456", homepage="https://ena.example.org", directive_version="2023-05-05"
    )
    on_answer = S.answer_callback(outbox, attempt, {s.id: s for s in bank})
    expected = 0
    for scenario in bank:
        widget = QuizWidget(scenario, on_answer=on_answer)
        q = scenario.question
        if isinstance(q, SingleChoice):
            assert widget.selector is not None
            widget.selector.value = q.correct_ids[0]
            assert widget.answer_selected() is True
            expected += 1
        elif isinstance(q, MultipleChoice):
            for choice, box in zip(q.choices, widget.boxes, strict=True):
                box.value = not choice.correct  # exactly the wrong set
            assert widget.answer_selected() is False
            expected += 1
        else:
            assert isinstance(q, Branching)
            while not widget.finished:
                assert widget.selector is not None
                widget.selector.value = widget.selector.options[0][1]
                widget.take_decision()
                expected += 1
        assert widget.finished
    assert outbox.counts()["pending"] == expected
    bodies = [outbox.get(i)["body"] for i in outbox.ids("pending")]
    for body in bodies:
        BaseXapiStatement.model_validate(body)
        assert body["actor"]["account"] == {"homePage": "https://ena.example.org", "name": "123456"}
        assert "mbox" not in body["actor"] and "name" not in body["actor"]
        assert body["context"]["registration"] == str(attempt.registration)
    answered = {b["object"]["id"] for b in bodies if b["verb"]["id"] == V.VERBS["answered"][0]}
    assert {V.scenario_iri(s.id) for s in bank} <= answered
