"""The learner's journey in Debian Chromium, against real Voilà, SQLite stores and Ralph LRS.

Every non-local request is blocked and counted: there must be none.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from attest.keys import load_public_key, public_keys_by_id
from attest.store import AttestationStore
from attest.verify import verify_store
from lrs_export.local_lrs import LocalLrs
from scenarios.model import Scenario
from tests.app.conftest import AppServer, lrs_statements, verbs_for
from tests.app.pilot import TIMEOUT, Learner
from tests.browser import Blocked, guard
from tests.live import learner_context

pytestmark = pytest.mark.slow


def _verify_code(server: AppServer, code: str, employee: str) -> None:
    with AttestationStore(server.attestations, create=False) as store:
        record = store.find_by_code(code)
    assert record.employee_number == employee
    report = verify_store(server.attestations, public_keys_by_id([load_public_key(server.certificate)]))
    assert report.ok, report.findings


def test_new_employee_passes_signs_and_lrs_has_everything(
    app_server: AppServer,
    app_lrs: LocalLrs,
    page: Page,
    bank: dict[str, Scenario],
    wait_for: Callable[..., Any],
) -> None:
    learner = Learner(page, bank, shots="parcours")
    learner.open(app_server.url)
    # A wrong number is refused next to its field.
    page.get_by_label("Numéro d'employé", exact=True).wait_for()
    learner.type_in("Numéro d'employé", "12a")
    learner.press("Continuer")
    expect(page.get_by_role("alert")).to_contain_text("4 à 10 chiffres")
    learner.shot("1-identification-erreur")
    learner.identify("10000001")
    # Welcome: a link to each chapter of the book, served alongside.
    chapters = page.locator(".ftic-chapters a")
    expect(chapters.first).to_be_visible(timeout=TIMEOUT)
    assert chapters.count() >= 17
    href = chapters.nth(1).get_attribute("href")
    assert href and href.startswith("/livre/chapitres/")
    assert page.request.get(app_server.url.rstrip("/") + href).status == 200
    learner.start_quiz()
    _n, total, _s = learner.current()
    assert total == 13  # one per theme
    learner.answer_all(correct=True)
    expect(page.get_by_text("Bravo, vous avez réussi!")).to_be_visible(timeout=TIMEOUT)
    expect(page.locator(".ftic-score")).to_contain_text("100 %")
    learner.shot("4-resultat")
    kinds = {bank_s.question.kind for bank_s in bank.values() if bank_s.id in learner.seen}
    assert kinds == {"single", "multiple", "branching"}
    learner.press("Passer à l'engagement")
    # An empty form: each error is shown next to its field, one summary is announced.
    expect(page.get_by_text("Mes engagements")).to_be_visible(timeout=TIMEOUT)
    learner.press("Signer mon engagement")
    expect(page.get_by_role("alert")).to_contain_text("champs à corriger")
    expect(page.locator("#ftic-error-full_name")).to_contain_text("Nom complet")
    expect(page.locator("#ftic-error-commitments")).to_contain_text("doit être coché")
    learner.shot("5-formulaire-erreurs")
    code = learner.sign()
    _verify_code(app_server, code, "10000001")
    # The LRS holds the expected statements for that registration.
    [attempt] = app_server.attempts("10000001")
    app_server.wait_flushed()
    verbs = wait_for(lambda: (v := verbs_for(app_lrs, attempt.registration)).get("terminated") and v)
    assert verbs["initialized"] == 1
    assert verbs["experienced"] == 1
    assert verbs["answered"] >= 13
    assert verbs["completed"] == 1 and verbs["passed"] == 1
    assert verbs["accept"] == 1 and verbs["terminated"] == 1
    assert "failed" not in verbs


def test_fail_then_retry_with_a_fresh_draw_then_pass(
    app_server: AppServer, page: Page, bank: dict[str, Scenario]
) -> None:
    learner = Learner(page, bank, shots="echec")
    learner.open(app_server.url)
    learner.identify("10000002")
    learner.start_quiz()
    learner.answer_all(correct=False)
    expect(page.get_by_text("le seuil de réussite n'est pas atteint")).to_be_visible(timeout=TIMEOUT)
    expect(page.get_by_role("heading", name="À revoir")).to_be_visible()
    learner.shot("4-resultat")
    first = list(learner.seen)
    learner.seen.clear()
    learner.press("Recommencer avec de nouvelles questions")
    learner.answer_all(correct=True)
    expect(page.get_by_text("Bravo, vous avez réussi!")).to_be_visible(timeout=TIMEOUT)
    assert set(learner.seen) != set(first)
    assert len(set(learner.seen) & set(first)) == 0  # every theme has another scenario
    attempts = app_server.attempts("10000002")
    assert [a.state for a in attempts] == ["closed", "passed"]
    assert attempts[0].registration != attempts[1].registration
    learner.press("Passer à l'engagement")
    learner.sign("Alex Gagnon")


def test_whole_journey_with_the_keyboard_only(
    app_server: AppServer, page: Page, bank: dict[str, Scenario]
) -> None:
    learner = Learner(page, bank, keyboard=True, shots="clavier")
    learner.open(app_server.url)
    learner.identify("10000003")
    learner.start_quiz()
    learner.answer_all(correct=True)
    expect(page.get_by_text("Bravo, vous avez réussi!")).to_be_visible(timeout=TIMEOUT)
    learner.press("Passer à l'engagement")
    code = learner.sign("Dominique Roy")
    _verify_code(app_server, code, "10000003")


def test_reload_mid_quiz_resumes_and_a_second_visit_shows_the_receipt_only_with_its_code(
    app_server: AppServer, page: Page, bank: dict[str, Scenario], browser: tuple[Browser, Blocked]
) -> None:
    learner = Learner(page, bank, shots="reprise")
    learner.open(app_server.url)
    learner.identify("10000004")
    learner.start_quiz()
    learner.answer_all(correct=True, upto=4)
    n, _total, scenario = learner.current()
    assert n == 5
    page.reload()
    learner.identify("10000004")
    expect(page.get_by_text("Vous reprenez le questionnaire à la question 5 sur 13")).to_be_visible(
        timeout=TIMEOUT
    )
    learner.shot("2-reprise")
    learner.press("Reprendre le questionnaire")
    n2, _t, scenario2 = learner.current()
    assert (n2, scenario2.id) == (5, scenario.id)
    learner.answer_all(correct=True)
    learner.press("Passer à l'engagement")
    code = learner.sign("Sam Pelletier")
    # Another day, in another browser: whoever types that number (typed identification
    # proves nothing) learns only that it has signed, and when; not who, nor the code.
    b, blocked = browser
    other = learner_context(b)
    visitor = Learner(guard(other.new_page(), blocked), bank, shots="reprise-autre")
    visitor.open(app_server.url)
    visitor.identify("10000004")
    seen = visitor.page
    expect(seen.get_by_role("heading", name="Ce numéro d'employé a déjà signé l'engagement")).to_be_visible(
        timeout=TIMEOUT
    )
    expect(seen.locator(".ftic-attested")).to_contain_text("pour la version")
    shown = seen.locator(".ftic-main").inner_text()
    for private in ("Sam Pelletier", "Infirmière clinicienne", "Direction des soins infirmiers", code):
        assert private not in shown, private
    expect(seen.locator(".ftic-download")).to_have_count(0)
    expect(seen.locator(".ftic-code")).to_have_count(0)
    visitor.shot("7-deja-signe")
    # A wrong code: a French error, still no receipt.
    visitor.type_in("Code de vérification", "ABCDE-12345")
    visitor.press("Afficher l'accusé de réception")
    expect(seen.get_by_role("alert")).to_contain_text("ne correspond pas", timeout=TIMEOUT)
    assert "Sam Pelletier" not in seen.locator(".ftic-main").inner_text()
    visitor.shot("7-deja-signe-code-refuse")
    # The right code (typed as a person may: lower case, no dash, then Enter): the receipt.
    field = seen.get_by_label("Code de vérification", exact=True)
    field.fill(code.lower().replace("-", ""))
    field.press("Enter")
    expect(seen.get_by_role("heading", name="Votre engagement est déjà signé")).to_be_visible(timeout=TIMEOUT)
    expect(seen.locator(".ftic-code")).to_have_attribute("data-code", code)
    expect(seen.locator(".ftic-receipt")).to_contain_text("Sam Pelletier")
    visitor.shot("7-deja-signe-accuse")
    other.close()
    assert len(app_server.attempts("10000004")) == 1


def test_with_the_lrs_stopped_the_learner_finishes_and_statements_arrive_once(
    app_server: AppServer,
    app_lrs: LocalLrs,
    page: Page,
    bank: dict[str, Scenario],
    wait_for: Callable[..., Any],
) -> None:
    app_server.wait_flushed()
    app_lrs.stop()
    try:
        learner = Learner(page, bank, shots="lrs-arrete")
        learner.open(app_server.url)
        learner.identify("10000005")
        learner.start_quiz()
        learner.answer_all(correct=True)
        learner.press("Passer à l'engagement")
        learner.sign("Charlie Côté")
        assert app_server.outbox_counts()["pending"] >= 17
    finally:
        app_lrs.start()
    app_server.wait_flushed(timeout=90)
    [attempt] = app_server.attempts("10000005")
    stored = [s["id"] for s in lrs_statements(app_lrs)]
    for sid in app_server.outbox_ids():
        assert stored.count(sid) == 1, sid
    verbs = verbs_for(app_lrs, attempt.registration)
    assert verbs["accept"] == 1 and verbs["terminated"] == 1 and verbs["passed"] == 1
