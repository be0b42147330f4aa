"""Two tabs of one learner pressing « Signer » together: one quiz registration, one attestation."""

from __future__ import annotations

import sqlite3

import pytest
from playwright.sync_api import expect

from scenarios.model import Scenario
from tests.app.conftest import AppServer
from tests.app.pilot import TIMEOUT, Learner, form_checkboxes
from tests.browser import guard, offline_browser

pytestmark = pytest.mark.slow
NUMBER = "10000077"


def fill_form(learner: Learner, name: str) -> None:
    """Everything but the final press of « Signer mon engagement »."""
    expect(learner.page.get_by_text("Mes engagements")).to_be_visible(timeout=TIMEOUT)
    learner.type_in("Nom complet", name)
    learner.type_in("Titre d'emploi", "Infirmière clinicienne")
    learner.type_in("Direction ou service", "Direction des soins infirmiers")
    for box in form_checkboxes(learner.page):
        learner.check(box.evaluate("el => el.closest('label').innerText").strip())
    learner.type_in("Signature (nom tapé)", name)


def test_two_tabs_signing_together_store_one_attestation(
    app_server: AppServer, bank: dict[str, Scenario]
) -> None:
    with offline_browser() as (browser, blocked):
        context = browser.new_context()
        first = Learner(guard(context.new_page(), blocked), bank)
        first.open(app_server.url)
        first.identify(NUMBER)
        first.start_quiz()
        first.answer_all(correct=True)
        first.press("Passer à l'engagement")
        second = Learner(guard(context.new_page(), blocked), bank)
        second.open(app_server.url)
        second.identify(NUMBER)  # the passed attempt resumes on the form
        fill_form(first, "Camille Tremblay")
        fill_form(second, "Camille Tremblay")
        buttons = [
            learner.page.get_by_role("button", name="Signer mon engagement", exact=True)
            for learner in (first, second)
        ]
        for button in buttons:
            expect(button).to_be_enabled(timeout=TIMEOUT)
        for button in buttons:  # as close together as two tabs can be
            button.click(no_wait_after=True)
        # Whichever tab the store served first shows the receipt; the other says it is already signed.
        for learner in (first, second):
            already = learner.page.get_by_text("déjà signé", exact=False)
            outcome = learner.page.locator(".ftic-code").or_(already)
            expect(outcome.first).to_be_visible(timeout=TIMEOUT)
        receipts = [learner.page.locator(".ftic-code").count() for learner in (first, second)]
        assert sorted(receipts) == [0, 1], receipts
        assert blocked.urls == []
    [attempt] = [a for a in app_server.attempts(NUMBER) if a.state == "signed"]
    conn = sqlite3.connect(app_server.attestations)
    try:
        rows = conn.execute(
            "SELECT verification_code FROM attestations WHERE quiz_registration = ?", (attempt.registration,)
        ).fetchall()
    finally:
        conn.close()
    assert len(rows) == 1
