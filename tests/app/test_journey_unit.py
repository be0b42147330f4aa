"""The journey's widgets wired to the flow, driven in-process (no Voilà, no browser).

Proves that the pages appear in order, that buttons pressed twice do nothing more, and that
the engagement form of :mod:`attest.widgets` signs through the flow.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path

import ipywidgets as w
import pytest

from attest import AttestationStore, available_forms, load_directive, load_form
from formation_tic.app.identity import Identity
from formation_tic.app.journey import Journey, JourneyContext
from formation_tic.app.progress import ProgressStore
from formation_tic.app.settings import LearnerAppSettings
from lrs_export.outbox import Outbox
from lrs_export.settings import LrsSettings
from scenarios.quiz import QuizWidget
from tests.app import unit_support
from tests.app.unit_support import answer_events


@pytest.fixture
def ctx(tmp_path: Path) -> Iterator[JourneyContext]:
    with (
        ProgressStore(tmp_path / "progress.db") as progress,
        Outbox(tmp_path / "outbox.db") as outbox,
        AttestationStore(tmp_path / "attestations.db") as store,
    ):
        yield JourneyContext(
            settings=LearnerAppSettings(),
            scenarios=unit_support.bank(),
            form=load_form(),
            forms=available_forms(),
            directive=load_directive(),
            progress=progress,
            outbox=outbox,
            store=store,
            private_key=unit_support.private_key(),
            lrs=LrsSettings(statement_mode="jws-extension"),
            rng=random.Random(7),
        )


def _press(journey: Journey, label: str, times: int = 1) -> None:
    [button] = [b for b in _walk(journey.shell.main) if isinstance(b, w.Button) and b.description == label]
    for _ in range(times):
        button.click()


def _walk(box: w.Widget) -> Iterator[w.Widget]:
    yield box
    for child in getattr(box, "children", ()):
        yield from _walk(child)


def _answer_shown(journey: Journey, correct: bool) -> None:
    assert journey.question is not None
    quiz: QuizWidget = journey.question.quiz
    for event in answer_events(quiz.scenario, correct):
        if event.kind == "branching":
            assert quiz.selector is not None
            quiz.selector.value = event.response[-1]
            quiz.submit.click()
        elif quiz.selector is not None:
            quiz.selector.value = event.response[0]
            quiz.submit.click()
        else:
            choices = quiz.scenario.question.choices  # type: ignore[union-attr]
            for choice, box in zip(choices, quiz.boxes, strict=True):
                box.value = choice.id in event.response
            quiz.submit.click()


def _verbs(ctx: JourneyContext) -> list[str]:
    rows = [ctx.outbox.get(sid) for sid in ctx.outbox.ids("pending")]
    return [row["body"]["verb"]["id"].rsplit("/", 1)[-1] for row in rows if row is not None]


def test_typed_journey_pages_double_clicks_and_signature(ctx: JourneyContext) -> None:
    journey = Journey(ctx)
    pages: list[str] = []
    journey.on_page = pages.append
    assert journey.identification is not None
    journey.identification.number.value = "12a"
    _press(journey, "Continuer")
    assert "4 à 10 chiffres" in journey.identification.error.value
    assert 'role="alert"' in journey.identification.error.value
    journey.identification.number.value = " 10000009 "
    _press(journey, "Continuer", times=2)
    assert journey.identity is not None and journey.identity.employee_number == "10000009"
    _press(journey, "Commencer le questionnaire", times=2)
    while journey.flow.step == "question":
        _answer_shown(journey, correct=True)
        label = "Voir mon résultat" if journey.flow.is_last else "Question suivante"
        _press(journey, label, times=2)
    assert "Bravo, vous avez réussi!" in journey.shell.main.children[0].value
    _press(journey, "Passer à l'engagement", times=2)
    form = journey.form
    assert form is not None and form.fields["employee_number"].disabled
    _press(journey, "Signer mon engagement")
    assert "Nom complet" in form.errors["full_name"].value and pages[-1] == "formulaire"
    for name, value in [("full_name", "Alex Roy"), ("job_title", "Agent"), ("direction", "DSI")]:
        form.fields[name].value = value
    form.signature.value = "Alex Roy"
    form.consent.value = True
    for box in form.commitments.values():
        box.value = True
    _press(journey, "Signer mon engagement", times=2)
    assert pages == [
        "accueil",
        *["question"] * 13,
        "resultat",
        "formulaire",
        "accuse",
    ]
    code = journey.flow.record.verification_code if journey.flow.record else ""
    assert f'data-code="{code}"' in journey.shell.main.children[0].value
    assert 'role="status"' in journey.shell.announce.value and code in journey.shell.announce.value
    verbs = _verbs(ctx)
    assert verbs[:2] == ["initialized", "experienced"]
    assert verbs[-4:] == ["completed", "passed", "accept", "terminated"]
    assert verbs.count("completed") == 1 and verbs.count("accept") == 1
    [record] = ctx.store.for_employee("10000009")
    assert record.verification_code == code and record.full_name == "Alex Roy"


def test_identity_error_page_and_sso_identity(ctx: JourneyContext) -> None:
    refused = Journey(ctx, error="Nous n'avons pas pu vous identifier.")
    assert 'role="alert"' in refused.shell.main.children[0].value
    assert "Étape 1 sur 6" in refused.shell.header.value
    journey = Journey(ctx, identity=Identity("20000001", "sso-header"))
    assert journey.flow.step == "accueil" and journey.identification is None
    assert "Ce qui vous attend" in journey.shell.main.children[0].value
