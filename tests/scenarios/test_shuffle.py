"""Options in the learner's own order: stable within an attempt, different across attempts."""

from __future__ import annotations

import uuid
from pathlib import Path

from lrs_export.statements import Attempt, answered
from scenarios.bank import load_graded_bank
from scenarios.model import Branching, Scenario
from scenarios.profile import load_profile
from scenarios.shuffle import shuffled

BANK = load_graded_bank([Path(__file__).resolve().parents[2] / "scenarios" / "bank"], load_profile())


def _orders(scenario: Scenario) -> list[tuple[str, ...]]:
    q = scenario.question
    if isinstance(q, Branching):
        return [tuple(c.id for c in step.choices) for step in q.steps]
    return [tuple(c.id for c in q.choices)]


def test_the_same_attempt_always_shows_the_same_order() -> None:
    registration = str(uuid.UUID(int=7))
    for scenario in BANK:
        assert _orders(shuffled(scenario, registration)) == _orders(shuffled(scenario, registration))


def test_other_attempts_see_other_orders_and_the_answers_do_not_move() -> None:
    registrations = [str(uuid.UUID(int=n)) for n in range(1, 25)]
    for scenario in BANK:
        seen = {tuple(_orders(shuffled(scenario, r))) for r in registrations}
        assert len(seen) > 1, scenario.id  # 24 attempts never all share one order
        q = scenario.question
        if not isinstance(q, Branching):
            for r in registrations:
                mixed = shuffled(scenario, r).question
                assert not isinstance(mixed, Branching)
                assert sorted(mixed.correct_ids) == sorted(q.correct_ids)
                assert {c.id for c in mixed.choices} == {c.id for c in q.choices}


def test_first_position_is_spread_over_the_options() -> None:
    scenario = next(s for s in BANK if not isinstance(s.question, Branching) and len(s.question.choices) >= 4)
    firsts = {_orders(shuffled(scenario, str(uuid.UUID(int=n))))[0][0] for n in range(200)}
    assert len(firsts) == len(_orders(scenario)[0])


def test_the_answered_statement_describes_the_options_as_shown() -> None:
    scenario = next(s for s in BANK if not isinstance(s.question, Branching))
    registration = uuid.UUID(int=42)
    shown = shuffled(scenario, str(registration))
    attempt = Attempt(
        employee_number="10000001",
        homepage="https://ena.example",
        registration=registration,
        directive_version="1",
    )
    q = shown.question
    assert not isinstance(q, Branching)
    statement = answered(attempt, shown, list(q.correct_ids), success=True, score_raw=1, score_max=1)
    listed = [c["id"] for c in statement["object"]["definition"]["choices"]]
    assert listed == [c.id for c in q.choices]
