"""The learner flow as a plain state machine: transitions, stored progress and xAPI order.

No widgets and no browser: the real progress store, outbox and attestation store in a
temporary folder, the real scenario bank, answers graded by :mod:`scenarios.grading`.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from attest import (
    AttestationStore,
    DirectiveInfo,
    FormContent,
    Submission,
    attestation_status,
    available_forms,
    load_directive,
    load_form,
    validate_submission,
)
from attest.identity import IdentificationMethod
from attest.record import AttestationRecord
from attest.status import EmployeeStatus
from attest.store import QuizResult
from formation_tic.app.delivery import OutboxDelivery
from formation_tic.app.flow import FlowError, LearnerFlow, QuizRules
from formation_tic.app.identity import Identity
from formation_tic.app.progress import ProgressStore
from lrs_export.outbox import Outbox
from lrs_export.settings import LrsSettings
from scenarios.model import Scenario
from tests.app import unit_support
from tests.app.unit_support import answer_events


@pytest.fixture(scope="module")
def bank() -> dict[str, Scenario]:
    return unit_support.bank()


@pytest.fixture(scope="module")
def private_key() -> rsa.RSAPrivateKey:
    return unit_support.private_key()


@pytest.fixture(scope="module")
def form() -> FormContent:
    return load_form()


@pytest.fixture(scope="module")
def directive() -> DirectiveInfo:
    return load_directive()


@dataclass
class World:
    """The stores of one site, shared by every page (flow) opened on it."""

    bank: dict[str, Scenario]
    form: FormContent
    directive: DirectiveInfo
    key: rsa.RSAPrivateKey
    progress: ProgressStore
    outbox: Outbox
    store: AttestationStore
    rules: QuizRules

    def flow(self, seed: int = 1) -> LearnerFlow:
        """A new page (a new kernel) on this site."""

        def signer(sub: Submission, quiz: QuizResult, method: IdentificationMethod) -> AttestationRecord:
            return self.store.sign(sub, self.form, self.directive, quiz, method, self.key)

        delivery = OutboxDelivery(
            self.outbox, LrsSettings(statement_mode="jws-extension"), self.directive.version, self.key
        )
        return LearnerFlow(
            scenarios=self.bank,
            directive_version=self.directive.version,
            rules=self.rules,
            progress=self.progress,
            reporter=delivery,
            signer=signer,
            rng=random.Random(seed),
        )

    def identify(self, flow: LearnerFlow, number: str) -> str:
        status = attestation_status(self.store, number, self.directive, available_forms())
        return flow.identify(Identity(number, "typed"), status)

    def verbs(self, registration: str | None = None) -> list[str]:
        """Verbs of the statements in the outbox, in the order they were enqueued."""
        found = []
        for sid in self.outbox.ids("pending"):
            row = self.outbox.get(sid)
            assert row is not None
            statement: dict[str, Any] = row["body"]
            if registration is None or statement.get("context", {}).get("registration") == registration:
                found.append(statement["verb"]["id"].rsplit("/", 1)[-1])
        return found


@pytest.fixture
def world(
    tmp_path: Path,
    bank: dict[str, Scenario],
    form: FormContent,
    directive: DirectiveInfo,
    private_key: rsa.RSAPrivateKey,
) -> Iterator[World]:
    with (
        ProgressStore(tmp_path / "progress.db") as progress,
        Outbox(tmp_path / "outbox.db") as outbox,
        AttestationStore(tmp_path / "attestations.db") as store,
    ):
        yield World(bank, form, directive, private_key, progress, outbox, store, QuizRules(1, 0.8, 3))


def _answer(flow: LearnerFlow, correct: bool) -> str:
    """Answer the question shown, then press « Question suivante » / « Voir mon résultat »."""
    scenario = flow.scenario
    for event in answer_events(scenario, correct):
        flow.answer(event)
    flow.advance()
    return scenario.id


def _answer_all(flow: LearnerFlow, correct: bool, upto: int | None = None) -> list[str]:
    seen: list[str] = []
    while flow.step == "question" and (upto is None or len(seen) < upto):
        seen.append(_answer(flow, correct))
    return seen


def _submission(world: World, number: str) -> Submission:
    name = "Camille Tremblay"
    return validate_submission(
        world.form,
        {
            "employee_number": number,
            "full_name": name,
            "job_title": "Infirmière clinicienne",
            "direction": "Direction des soins infirmiers",
            "establishment": world.directive.etablissement,
            "signature": name,
            "consent_electronic_signature": True,
            "commitments": {c.id: True for c in world.form.engagements},
        },
    )


def test_pass_sign_and_the_statements_in_order(world: World) -> None:
    flow = world.flow()
    assert world.identify(flow, "10000001") == "accueil"
    assert not flow.resumed and flow.renew_reasons == ()
    assert flow.attempt is not None and flow.total == 13 and flow.attempt.state == "welcome"
    assert flow.begin_quiz() == "question"
    with pytest.raises(FlowError):
        flow.begin_quiz()  # « Commencer » pressed twice
    with pytest.raises(FlowError):
        flow.advance()  # « Question suivante » before answering
    _answer_all(flow, correct=True)
    assert flow.step == "resultat" and flow.passed
    grade = flow.grade
    assert (grade.right, grade.total, grade.score, grade.passed) == (13, 13, 1.0, True)
    assert all(t.mastered for t in grade.themes)
    with pytest.raises(FlowError):
        flow.advance()  # « Voir mon résultat » pressed twice: graded once only
    with pytest.raises(FlowError):
        flow.retry()  # a pass is not retried
    with pytest.raises(FlowError, match="réussi avant de signer"):
        flow.sign(_submission(world, "10000001"))  # not on the form yet
    assert flow.to_form() == "formulaire" and not flow.resumed
    record = flow.sign(_submission(world, "10000001"))
    assert flow.step == "accuse" and flow.record == record and not flow.already_signed
    assert record.employee_number == "10000001" and record.quiz_score == 1.0
    with pytest.raises(FlowError):
        flow.sign(_submission(world, "10000001"))  # a second click never signs twice
    [attempt] = world.progress.attempts("10000001")
    assert (attempt.state, attempt.attestation_id, attempt.score) == ("signed", record.id, 1.0)
    verbs = world.verbs(attempt.registration)
    answered = len(verbs) - 6
    assert answered >= 13
    assert verbs == [
        "initialized",
        "experienced",
        *["answered"] * answered,
        "completed",
        "passed",
        "accept",
        "terminated",
    ]


def test_fail_then_retry_with_a_fresh_draw(world: World) -> None:
    flow = world.flow()
    world.identify(flow, "10000002")
    flow.begin_quiz()
    first = _answer_all(flow, correct=False)
    assert flow.step == "resultat" and not flow.passed
    grade = flow.grade
    assert grade.right == 0 and not grade.passed and len(grade.to_review) == len(grade.themes)
    assert flow.attempts_used == 1 and flow.attempts_left == 2
    with pytest.raises(FlowError):
        flow.to_form()
    assert flow.retry() == "question"
    with pytest.raises(FlowError):
        flow.retry()  # « Recommencer » pressed twice: one new attempt only
    second = _answer_all(flow, correct=True)
    assert flow.step == "resultat" and flow.passed
    assert not set(first) & set(second)  # every theme of the bank has another scenario
    closed, current = world.progress.attempts("10000002")
    assert (closed.state, current.state) == ("closed", "passed")
    assert (closed.attempt_no, current.attempt_no) == (1, 2)
    assert closed.registration != current.registration
    old, new = world.verbs(closed.registration), world.verbs(current.registration)
    assert old[:2] == ["initialized", "experienced"] and old[-3:] == ["completed", "failed", "terminated"]
    assert old.count("terminated") == 1  # terminated when graded, not once more by the retry
    assert new[0] == "initialized" and "experienced" not in new  # a retry skips the welcome page
    assert new[-2:] == ["completed", "passed"]


def test_max_attempts_reached(world: World) -> None:
    world.rules = QuizRules(1, 0.8, 2)
    flow = world.flow()
    world.identify(flow, "10000003")
    flow.begin_quiz()
    _answer_all(flow, correct=False)
    flow.retry()
    _answer_all(flow, correct=False)
    assert flow.step == "resultat" and flow.attempts_left == 0
    # Every registration ends with « terminated », the last allowed attempt too: once each.
    for attempt in world.progress.attempts("10000003"):
        verbs = world.verbs(attempt.registration)
        assert verbs[-3:] == ["completed", "failed", "terminated"], verbs
        assert verbs.count("terminated") == 1
    outbox_before = world.verbs()
    with pytest.raises(FlowError):
        flow.retry()
    assert [a.state for a in world.progress.attempts("10000003")] == ["closed", "failed"]
    assert world.verbs() == outbox_before  # nothing more terminated, nothing initialized
    # Coming back later: the failed result again, still no retry.
    again = world.flow(seed=2)
    assert world.identify(again, "10000003") == "resultat"
    assert not again.passed and again.attempts_left == 0
    with pytest.raises(FlowError):
        again.retry()
    assert len(world.progress.attempts("10000003")) == 2
    assert world.verbs() == outbox_before  # coming back reports nothing again


def test_resume_mid_quiz_then_form_then_receipt(world: World) -> None:
    flow = world.flow()
    world.identify(flow, "10000004")
    flow.begin_quiz()
    done = _answer_all(flow, correct=True, upto=4)
    assert flow.step == "question"
    waiting = flow.scenario.id
    [attempt] = world.progress.attempts("10000004")
    before = world.verbs(attempt.registration)
    # The tab is closed; a new page resumes at question 5 of the same draw.
    page = world.flow(seed=99)
    assert world.identify(page, "10000004") == "accueil" and page.resumed
    assert page.attempt is not None and page.attempt.registration == attempt.registration
    assert page.position == 4 and sorted(page.attempt.answers) == sorted(done)
    assert world.verbs(attempt.registration) == before  # no new initialized nor experienced
    page.begin_quiz()
    assert page.scenario.id == waiting
    _answer_all(page, correct=True)
    assert page.passed
    # Closed again before signing: straight back to the form.
    page = world.flow()
    assert world.identify(page, "10000004") == "formulaire" and page.resumed
    record = page.sign(_submission(world, "10000004"))
    # Another day: already up to date, the receipt is shown and no attempt is started.
    page = world.flow()
    assert world.identify(page, "10000004") == "accuse"
    assert page.already_signed and page.record is not None and page.record.id == record.id
    assert len(world.progress.attempts("10000004")) == 1


def test_renewal_reasons_and_stale_answers(world: World) -> None:
    flow = world.flow()
    status = EmployeeStatus(
        employee_number="10000005",
        state="a-renouveler",
        label="À renouveler",
        reasons=["Nouvelle version de la directive"],
    )
    assert flow.identify(Identity("10000005", "sso-header"), status) == "accueil"
    assert flow.renew_reasons == ("Nouvelle version de la directive",)
    with pytest.raises(FlowError):
        flow.identify(Identity("10000005", "sso-header"), status)  # « Continuer » twice
    flow.begin_quiz()
    shown = flow.scenario
    other = next(s for s in world.bank.values() if s.id != shown.id and s.question.kind != "branching")
    with pytest.raises(FlowError):
        flow.answer(answer_events(other, True)[0])  # not the question on screen
    assert flow.attempt is not None and flow.attempt.answers == {}
