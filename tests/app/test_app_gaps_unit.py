"""What a learner meets when the bank changed under a stored attempt, and after a granted attempt.

No browser: the real progress store, outbox and attestation store in a temporary folder, the
real scenario bank, the journey's widgets driven in the kernel (as in
:mod:`tests.app.test_journey_unit`). A trainer removing or renaming a scenario is a context
whose bank no longer holds it; a grant is recorded as ``formation-tic attempts grant`` does.
"""

from __future__ import annotations

import dataclasses
import html
import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import ipywidgets as w
import pytest

import localdb
from attest import load_directive
from formation_tic import attempt_grants
from formation_tic.app.identity import Identity
from formation_tic.app.journey import Journey, JourneyContext
from scenarios.quiz import QuizWidget
from tests.app import unit_support
from tests.app.unit_support import answer_events

VERSION = load_directive().version


@pytest.fixture
def ctx(tmp_path: Path) -> Iterator[JourneyContext]:
    # default settings: 1 scenario per theme (13), pass mark 80 %, 3 attempts; a copy of the bank
    with unit_support.journey_context(tmp_path, seed=11, scenarios=dict(unit_support.bank())) as context:
        yield context


def _walk(box: w.Widget) -> Iterator[w.Widget]:
    yield box
    for child in getattr(box, "children", ()):
        yield from _walk(child)


def _press(journey: Journey, label: str) -> None:
    [button] = [b for b in _walk(journey.shell.main) if isinstance(b, w.Button) and b.description == label]
    button.click()


def _page_text(journey: Journey) -> str:
    """The text of the page shown (header excluded), as a person reads it."""
    markup = " ".join(c.value for c in _walk(journey.shell.main) if isinstance(c, w.HTML))
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", markup)).split())


def _shown_id(journey: Journey) -> str:
    assert journey.question is not None
    return journey.question.quiz.scenario.id


def _answer(journey: Journey, correct: bool) -> str:
    """Answer the question shown in the page's widgets, then go on; returns its scenario id."""
    assert journey.question is not None
    quiz: QuizWidget = journey.question.quiz
    for event in answer_events(quiz.scenario, correct):
        if quiz.selector is not None:
            quiz.selector.value = event.response[-1] if event.kind == "branching" else event.response[0]
        else:
            choices = quiz.scenario.question.choices  # type: ignore[union-attr]
            for choice, box in zip(choices, quiz.boxes, strict=True):
                box.value = choice.id in event.response
        quiz.submit.click()
    sid = quiz.scenario.id
    _press(journey, "Voir mon résultat" if journey.flow.is_last else "Question suivante")
    return sid


def _trainer_removes(ctx: JourneyContext, *ids: str) -> JourneyContext:
    """The same site once a trainer removed (or renamed) these scenarios of the bank."""
    return dataclasses.replace(ctx, scenarios={k: v for k, v in ctx.scenarios.items() if k not in ids})


def _come_back(ctx: JourneyContext, number: str) -> Journey:
    """The person opens the app again (a new page, a new kernel)."""
    return Journey(ctx, identity=Identity(number, "sso-header"))


# --- 1. the bank changed under a stored attempt --------------------------------------------


def test_a_quiz_resumed_after_scenarios_left_the_bank_goes_on_same_length_answers_kept(
    ctx: JourneyContext,
) -> None:
    number = "40000001"
    journey = _come_back(ctx, number)
    _press(journey, "Commencer le questionnaire")
    answered = [_answer(journey, correct=True) for _ in range(4)]
    [attempt] = ctx.progress.attempts(number)
    waiting = attempt.scenario_ids[6]  # not answered yet
    short = {ctx.scenarios[waiting].theme, ctx.scenarios[answered[0]].theme}
    # The tab is closed; a trainer removes one answered scenario and one still to answer.
    changed = _trainer_removes(ctx, answered[0], waiting)
    page = _come_back(changed, number)
    text = _page_text(page)
    assert "Vous reprenez le questionnaire à la question 5 sur 13." in text
    assert "Une mise en situation de votre questionnaire a été retirée" in text
    assert "une autre la remplace" in text
    assert "votre réponse est conservée et compte dans votre note" in text
    assert "Votre questionnaire compte toujours 13 mises en situation." in text
    _press(page, "Reprendre le questionnaire")
    assert "5 / 13" in _page_text(page)
    shown = []
    while page.flow.step == "question":
        shown.append(_answer(page, correct=True))
    assert len(shown) == 9 and waiting not in shown
    stand_in = next(s for s in shown if s not in attempt.scenario_ids)
    assert changed.scenarios[stand_in].theme in short  # a theme the draw is now short of
    text = _page_text(page)
    assert "Votre note : 100 % (13 bonnes réponses sur 13)" in text
    assert "Bravo, vous avez réussi!" in text
    assert "Votre note compte aussi une réponse à une mise en situation retirée" in text
    [stored] = ctx.progress.attempts(number)
    assert (stored.state, stored.score) == ("passed", 1.0)


def test_the_stand_in_is_the_same_on_every_visit_and_keeps_its_answer(ctx: JourneyContext) -> None:
    number = "40000002"
    journey = _come_back(ctx, number)
    _press(journey, "Commencer le questionnaire")
    _answer(journey, correct=True)
    [attempt] = ctx.progress.attempts(number)
    gone = attempt.scenario_ids[1:3]  # the next two questions
    changed = _trainer_removes(ctx, *gone)
    first = _come_back(changed, number)
    _press(first, "Reprendre le questionnaire")
    stand_in = _shown_id(first)
    assert changed.scenarios[stand_in].theme in {ctx.scenarios[g].theme for g in gone}
    again = _come_back(changed, number)  # closed before answering: the same question again
    _press(again, "Reprendre le questionnaire")
    assert _shown_id(again) == stand_in
    _answer(again, correct=False)
    later = _come_back(changed, number)  # the second stand-in now, the first one's answer kept
    assert "Vous reprenez le questionnaire à la question 3 sur 13." in _page_text(later)
    _press(later, "Reprendre le questionnaire")
    assert _shown_id(later) not in (stand_in, *gone, *attempt.scenario_ids[:1])


def test_answers_to_scenarios_gone_still_count_no_free_pass(ctx: JourneyContext) -> None:
    """Three wrong answers whose scenarios are removed: graded on what is left, 10/10 would
    pass; out of the whole draw, 10/13 (77 %) stays under the 80 % pass mark."""
    number = "40000003"
    journey = _come_back(ctx, number)
    _press(journey, "Commencer le questionnaire")
    wrong = [_answer(journey, correct=False) for _ in range(3)]
    changed = _trainer_removes(ctx, *wrong)
    page = _come_back(changed, number)
    assert "3 mises en situation auxquelles vous avez déjà répondu ont été retirées" in _page_text(page)
    _press(page, "Reprendre le questionnaire")
    while page.flow.step == "question":
        _answer(page, correct=True)
    text = _page_text(page)
    assert "Votre note : 77 % (10 bonnes réponses sur 13)" in text
    assert "le seuil de réussite n'est pas atteint" in text
    assert "Votre note compte aussi 3 réponses à des mises en situation retirées" in text
    assert "Recommencer avec de nouvelles questions" in [
        b.description for b in _walk(page.shell.main) if isinstance(b, w.Button)
    ]
    [stored] = ctx.progress.attempts(number)
    assert stored.state == "failed" and stored.score == pytest.approx(10 / 13)


def test_a_failed_result_shown_again_after_a_scenario_left_the_bank(ctx: JourneyContext) -> None:
    number = "40000004"
    journey = _come_back(ctx, number)
    _press(journey, "Commencer le questionnaire")
    answers = [_answer(journey, correct=i % 2 == 0) for i in range(13)]  # 7 right of 13
    [failed] = ctx.progress.attempts(number)
    assert failed.state == "failed"
    page = _come_back(_trainer_removes(ctx, answers[0], answers[1]), number)
    text = _page_text(page)
    assert page.flow.step == "resultat"
    assert "Votre note : 54 % (7 bonnes réponses sur 13)" in text  # as recorded, not 6 of 11
    assert "Votre note compte aussi 2 réponses à des mises en situation retirées" in text
    _press(page, "Recommencer avec de nouvelles questions")  # a retry draws from the bank as it is
    assert page.flow.step == "question" and page.flow.total == 13


# --- 2. the welcome page of a granted attempt ---------------------------------------------


def _fail_every_attempt(ctx: JourneyContext, number: str) -> None:
    ids = sorted({s.theme: s.id for s in ctx.scenarios.values()}.values())
    for attempt_no in (1, 2, 3):
        attempt = ctx.progress.create(number, str(uuid.uuid4()), VERSION, ids, attempt_no)
        for sid in ids:
            ctx.progress.record_answer(attempt.registration, sid, False)
        ctx.progress.set_state(attempt.registration, "failed" if attempt_no == 3 else "closed", score=0.0)


def _grant(ctx: JourneyContext, number: str) -> None:
    conn = localdb.connect(ctx.progress.path)
    try:
        attempt_grants.record_grant(
            conn,
            employee_number=number,
            directive_version=VERSION,
            granted_by="20000001",
            reason="Matière revue avec la gestionnaire",
            max_attempts=ctx.settings.max_attempts,
        )
    finally:
        conn.close()


def test_the_welcome_page_of_a_granted_attempt_tells_the_truth_about_attempts(ctx: JourneyContext) -> None:
    number = "40000011"
    _fail_every_attempt(ctx, number)
    _grant(ctx, number)
    journey = _come_back(ctx, number)
    text = _page_text(journey)
    assert "Un essai supplémentaire vous a été accordé." in text
    assert "jusqu'à 3 essais" not in text and "il vous reste" not in text
    assert "Cet essai vous a été accordé en plus des 3 essais prévus" in text
    assert "s'il n'est pas réussi, communiquez de nouveau avec votre gestionnaire" in text
    # Resumed later, the granted attempt is still said to be one beyond the three.
    _press(journey, "Commencer le questionnaire")
    _answer(journey, correct=True)
    again = _page_text(_come_back(ctx, number))
    assert "Bon retour!" in again and "Cet essai vous a été accordé en plus des 3 essais prévus" in again
    assert "Un essai supplémentaire vous a été accordé." in again
    assert "avec de nouvelles mises en situation" not in again  # the same questions go on
    # A first attempt, by comparison: two more after it.
    first = _page_text(_come_back(ctx, "40000010"))
    assert "il vous reste 2 essais après celui-ci" in first


def test_the_welcome_page_of_the_last_regular_attempt_says_it_is_the_last(ctx: JourneyContext) -> None:
    number = "40000012"
    ids = sorted({s.theme: s.id for s in ctx.scenarios.values()}.values())
    for attempt_no in (1, 2):
        attempt = ctx.progress.create(number, str(uuid.uuid4()), VERSION, ids, attempt_no)
        ctx.progress.set_state(attempt.registration, "closed", score=0.0)
    third = ctx.progress.create(number, str(uuid.uuid4()), VERSION, ids, 3)
    ctx.progress.record_answer(third.registration, ids[0], True)
    text = _page_text(_come_back(ctx, number))
    assert "Bon retour!" in text
    assert "C'est votre dernier essai : s'il n'est pas réussi, votre gestionnaire" in text
    assert "jusqu'à 3 essais" not in text
