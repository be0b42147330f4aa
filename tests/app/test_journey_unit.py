"""The journey's widgets wired to the flow, driven in-process (no Voilà, no browser).

Proves that the pages appear in order, that buttons pressed twice do nothing more, and that
the engagement form of :mod:`attest.widgets` signs through the flow. Messages from the page
are simulated as Voilà delivers them (``Widget._handle_msg``): a press in the page acts only
once the kernel's token came back, so a change still on its way when the person pressed is
read (see :class:`scenarios.quiz.SubmitButton`).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import ipywidgets as w
import pytest

from attest.receipt import signed_on, version_words
from attest.record import AttestationRecord
from formation_tic.app.identity import Identity
from formation_tic.app.journey import Journey, JourneyContext
from formation_tic.app.settings import LearnerAppSettings
from formation_tic.app.shell import SELF_DECLARED_NOTICE
from scenarios.quiz import QuizWidget
from scenarios.submit import SubmitButton
from tests.app import unit_support
from tests.app.unit_support import answer_events


@pytest.fixture
def ctx(tmp_path: Path) -> Iterator[JourneyContext]:
    with unit_support.journey_context(tmp_path, seed=7) as context:
        yield context


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
    # The number signed for is shown, and confirming it is required.
    assert any(
        "Vous signez pour le numéro d'employé <strong>10000009</strong>" in c.value
        for c in form.children
        if isinstance(c, w.HTML)
    )
    _press(journey, "Signer mon engagement")
    assert "Confirmez que ce numéro d&#x27;employé est le vôtre" in form.errors["identity_confirmation"].value
    assert pages[-1] == "formulaire" and ctx.store.for_employee("10000009") == []
    assert form.identity_confirmation is not None
    form.identity_confirmation.value = True
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
    # the page's note describes the heading that takes the focus: read once, not a live region
    assert 'id="ftic-page-note"' in journey.shell.announce.value and code in journey.shell.announce.value
    assert 'role="status"' not in journey.shell.announce.value
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


# --- messages from the page ------------------------------------------------------------------


def _from_page(widget: w.Widget, data: dict[str, object]) -> None:
    """A comm message from the page, delivered as Voilà's kernel does."""
    widget._handle_msg({"content": {"data": data}, "buffers": []})


def _typed_in_page(field: w.Widget, value: object, name: str = "value") -> None:
    """A field's change arriving from the page (``update``)."""
    _from_page(field, {"method": "update", "state": {name: value}, "buffer_paths": []})


def _pressed_in_page(button: SubmitButton) -> None:
    """The person clicks ``button`` in the page (a ``custom`` click message)."""
    _from_page(button, {"method": "custom", "content": {"event": "click"}})


def _token_back(button: SubmitButton, token: int | None = None) -> None:
    """The page sends back the token (its link copied it in the browser)."""
    _typed_in_page(button._echo, button._sent.value if token is None else token)


def _submit_button(journey: Journey, label: str) -> SubmitButton:
    [found] = [b for b in _walk(journey.shell.main) if isinstance(b, SubmitButton) and b.description == label]
    return found


def test_a_press_in_the_page_acts_once_every_earlier_change_has_arrived(ctx: JourneyContext) -> None:
    journey = Journey(ctx)
    view = journey.identification
    assert view is not None
    # « 1000 » arrived; the person typed on to 1000000003 and pressed Continuer: the click
    # overtook the held-back end of the number.
    _typed_in_page(view.number, "1000")
    _pressed_in_page(view.go)
    assert journey.identity is None  # nothing read yet: the kernel waits for its token
    _typed_in_page(view.number, "1000000003")  # the held-back change, released before the token
    _token_back(view.go)
    assert journey.identity is not None and journey.identity.employee_number == "1000000003"
    assert ctx.progress.attempts("1000") == [] and len(ctx.progress.attempts("1000000003")) == 1


def test_enter_in_the_number_field_continues_and_presses_in_transit_act_once(ctx: JourneyContext) -> None:
    journey = Journey(ctx)
    view = journey.identification
    assert view is not None
    _typed_in_page(view.number, "2000000004")
    _from_page(view.number, {"method": "custom", "content": {"event": "submit"}})  # Enter
    first = view.go._sent.value
    _pressed_in_page(view.go)  # and a click right after
    _token_back(view.go, first)  # the first token is not the last press: wait on
    assert journey.identity is None
    _token_back(view.go)
    assert journey.identity is not None and journey.identity.employee_number == "2000000004"
    _token_back(view.go)  # an echo again: nothing more
    assert len(ctx.progress.attempts("2000000004")) == 1 and journey.flow.step == "accueil"


def test_quiz_and_form_read_what_the_page_showed_at_the_press(ctx: JourneyContext) -> None:
    journey = Journey(ctx, identity=Identity("20000005", "sso-header"))
    _press(journey, "Commencer le questionnaire")
    # A radio button changed, then « Valider » at once: the answer graded is the last one.
    while journey.question is not None and journey.question.quiz.scenario.question.kind != "single":
        _answer_shown(journey, correct=True)
        _press(journey, "Voir mon résultat" if journey.flow.is_last else "Question suivante")
    assert journey.question is not None
    quiz = journey.question.quiz
    question = quiz.scenario.question
    assert quiz.selector is not None
    options = [v for _label, v in quiz.selector.options]
    right = next(i for i, c in enumerate(question.choices) if c.correct)  # type: ignore[union-attr]
    wrong = next(i for i, c in enumerate(question.choices) if not c.correct)  # type: ignore[union-attr]
    _typed_in_page(quiz.selector, wrong, "index")
    _pressed_in_page(quiz.submit)
    _typed_in_page(quiz.selector, right, "index")
    _token_back(quiz.submit)
    assert quiz.events[-1].correct and list(quiz.events[-1].response) == [options[right]]
    while journey.flow.step == "question":
        if not quiz.finished:
            _answer_shown(journey, correct=True)
        _press(journey, "Voir mon résultat" if journey.flow.is_last else "Question suivante")
        if journey.question is not None:
            quiz = journey.question.quiz
    _press(journey, "Passer à l'engagement")
    form = journey.form
    assert form is not None and form.identity_confirmation is not None
    for box in [*form.commitments.values(), form.consent, form.identity_confirmation]:
        _typed_in_page(box, True)
    for name, value in [("job_title", "Agente"), ("direction", "DSI")]:
        _typed_in_page(form.fields[name], value)
    _typed_in_page(form.fields["full_name"], "Alex")
    _typed_in_page(form.signature, "Alex")
    _pressed_in_page(form.button)
    _typed_in_page(form.fields["full_name"], "Alex Gagnon-Roy")
    _typed_in_page(form.signature, "Alex Gagnon-Roy")
    _token_back(form.button)
    [record] = ctx.store.for_employee("20000005")
    assert record.full_name == "Alex Gagnon-Roy" and record.typed_signature == "Alex Gagnon-Roy"


def _sign(ctx: JourneyContext, number: str) -> AttestationRecord:
    """The whole typed journey for ``number``, signed (kernel-side presses)."""
    journey = Journey(ctx)
    assert journey.identification is not None
    journey.identification.number.value = number
    _press(journey, "Continuer")
    _press(journey, "Commencer le questionnaire")
    while journey.flow.step == "question":
        _answer_shown(journey, correct=True)
        _press(journey, "Voir mon résultat" if journey.flow.is_last else "Question suivante")
    _press(journey, "Passer à l'engagement")
    form = journey.form
    assert form is not None and form.identity_confirmation is not None
    for name, value in [("full_name", "Maude Leclerc"), ("job_title", "Archiviste"), ("direction", "DRF")]:
        form.fields[name].value = value
    form.signature.value = "Maude Leclerc"
    for box in [*form.commitments.values(), form.consent, form.identity_confirmation]:
        box.value = True
    _press(journey, "Signer mon engagement")
    assert journey.flow.record is not None
    return journey.flow.record


def test_typed_revisit_shows_that_the_number_signed_and_the_receipt_only_with_its_code(
    ctx: JourneyContext,
) -> None:
    record = _sign(ctx, "30000007")
    other = Journey(ctx)  # someone else, on another day, types that number
    pages: list[str] = []
    other.on_page = pages.append
    assert other.identification is not None
    other.identification.number.value = "30000007"
    _press(other, "Continuer")
    shown = other.shell.main.children[0].value
    assert pages == ["deja-signe"] and "Ce numéro d'employé a déjà signé l'engagement" in shown
    assert version_words(record.directive_version) in shown and signed_on(record) in shown
    assert record.signed_at[:10] not in shown  # dates written for people, not ISO
    for private in ("Maude", "Leclerc", "Archiviste", "DRF", record.verification_code, "data:text/html"):
        assert private not in _all_text(other), private
    assert other.locked is not None
    other.locked.code.value = "ABCDE-12345"
    _press(other, "Afficher l'accusé de réception")
    assert 'role="alert"' in other.locked.error.value and "ne correspond pas" in other.locked.error.value
    assert pages == ["deja-signe"] and "Maude" not in _all_text(other)
    # The code as a person may type it: lower case, no dash.
    other.locked.code.value = record.verification_code.lower().replace("-", "")
    _press(other, "Afficher l'accusé de réception", times=2)
    assert pages == ["deja-signe", "accuse"]
    assert "Maude Leclerc" in _all_text(other) and f'data-code="{record.verification_code}"' in _all_text(
        other
    )
    assert "Identité déclarée par la personne (non vérifiée)" in _all_text(other)
    # Through the trusted header, the owner is known: the receipt at once.
    ctx.settings = LearnerAppSettings(identification="sso-header")
    owner = Journey(ctx, identity=Identity("30000007", "sso-header"))
    assert owner.flow.step == "accuse" and not owner.flow.receipt_locked
    assert "Maude Leclerc" in _all_text(owner)


def _all_text(journey: Journey) -> str:
    return " ".join(
        str(getattr(x, "value", "")) + str(getattr(x, "description", "")) for x in _walk(journey.shell.widget)
    )


def test_the_self_declared_notice_is_in_every_page_header_in_typed_mode_only(ctx: JourneyContext) -> None:
    journey = Journey(ctx)
    headers: list[str] = []
    journey.on_page = lambda _name: headers.append(journey.shell.header.value)
    assert SELF_DECLARED_NOTICE.split(":")[0] in journey.shell.header.value  # identification
    _sign(ctx, "30000008")
    journey = Journey(ctx)
    journey.on_page = lambda _name: headers.append(journey.shell.header.value)
    assert journey.identification is not None
    journey.identification.number.value = "30000009"
    _press(journey, "Continuer")
    _press(journey, "Commencer le questionnaire")
    _answer_shown(journey, correct=True)
    _press(journey, "Question suivante")
    assert len(headers) == 3 and all('class="ftic-self-declared"' in h for h in headers)
    ctx.settings = LearnerAppSettings(identification="sso-header")
    sso = Journey(ctx, identity=Identity("30000008", "sso-header"))
    assert "ftic-self-declared" not in sso.shell.header.value
