"""The receipt inside the learner app, on a real ``formation-tic serve``, read and printed.

A person who signed comes back (typed identification), gives the verification code and sees
the receipt: the essentials on top, « Pour la vérification » collapsed and opened with the
keyboard, no axe-core violation (WCAG 2.0/2.1/2.2 A and AA) at 1280 and 390 px, no sideways
scrolling at 390 px. Printed from the browser, the page is the receipt alone (no header,
introduction, code line or download link), the verification material expanded, on at most
two Letter pages.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, expect

from attest import (
    AttestationRecord,
    AttestationStore,
    QuizResult,
    load_directive,
    load_form,
    validate_submission,
)
from attest.keys import load_private_key
from attest.receipt import VERIFICATION_SUMMARY
from scenarios.model import Scenario
from tests.a11y import axe_violations, format_violations
from tests.browser import Blocked, guard, offline_browser

from .conftest import AppServer
from .pilot import TIMEOUT, Learner

pytestmark = pytest.mark.slow

NUMBER = "10000414"
PDF_PAGE = re.compile(rb"/Type\s*/Page(?![a-zA-Z])")
OVERFLOW = "() => document.documentElement.scrollWidth - window.innerWidth"


@pytest.fixture(scope="module")
def signed(app_server: AppServer) -> AttestationRecord:
    """An engagement signed earlier by ``NUMBER``, with the server's own key."""
    form, directive = load_form(), load_directive()
    submission = validate_submission(
        form,
        {
            "employee_number": NUMBER,
            "full_name": "Léa Bouchard-Gagnon",
            "job_title": "Inhalothérapeute",
            "direction": "Direction des services multidisciplinaires",
            "establishment": "CISSS des Laurentides",
            "signature": "Léa Bouchard-Gagnon",
            "consent_electronic_signature": True,
            "commitments": {c.id: True for c in form.engagements},
        },
    )
    key = load_private_key(app_server.data_dir / "keys" / "signing-key.pem")
    with AttestationStore(app_server.attestations) as store:
        return store.sign(
            submission, form, directive, QuizResult(registration=uuid.uuid4(), score=0.85), "typed", key
        )


@pytest.fixture
def browser() -> Iterator[tuple[Browser, Blocked]]:
    with offline_browser() as pair:
        yield pair


def test_in_app_receipt_reads_opens_with_the_keyboard_and_prints_alone(
    app_server: AppServer,
    signed: AttestationRecord,
    bank: dict[str, Scenario],
    browser: tuple[Browser, Blocked],
) -> None:
    b, blocked = browser
    context = b.new_context(locale="fr-CA", viewport={"width": 1280, "height": 800})
    context.set_default_timeout(TIMEOUT)
    learner = Learner(guard(context.new_page(), blocked), bank, shots="accuse-appli")
    page = learner.page
    learner.open(app_server.url)
    learner.identify(NUMBER)
    field = page.get_by_label("Code de vérification", exact=True)
    field.fill(signed.verification_code)
    field.press("Enter")
    expect(page.get_by_role("heading", name="Votre engagement est déjà signé")).to_be_visible(timeout=TIMEOUT)
    receipt = page.locator(".ftic-receipt")
    details = receipt.locator("details.verification")
    fingerprint = receipt.get_by_text(signed.record_hash)
    expect(receipt).to_contain_text("Léa Bouchard-Gagnon")
    expect(details).not_to_have_attribute("open", "")
    expect(fingerprint).to_be_hidden()
    text = receipt.inner_text()  # what is on the screen: no ISO date, no technical material
    assert not re.search(r"\d{4}-\d{2}-\d{2}", text) and signed.id not in text, text
    violations = {"1280 px, fermé": axe_violations(page)}
    # The keyboard: from the download link, Tab reaches « Pour la vérification »; Enter opens it.
    page.get_by_role("link", name="Télécharger l'accusé de réception").focus()
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.textContent") == VERIFICATION_SUMMARY
    page.keyboard.press("Enter")
    expect(fingerprint).to_be_visible()
    violations["1280 px, ouvert"] = axe_violations(page)
    learner.shot("1280-ouvert")
    page.set_viewport_size({"width": 390, "height": 844})
    expect(fingerprint).to_be_visible()
    violations["390 px, ouvert"] = axe_violations(page)
    overflow = page.evaluate(OVERFLOW)
    learner.shot("390-ouvert")
    page.keyboard.press("Enter")  # the focus is still on the summary: closes it again
    expect(fingerprint).to_be_hidden()
    violations["390 px, fermé"] = axe_violations(page)
    # Printed: the receipt alone, the verification material expanded, two pages at most.
    page.set_viewport_size({"width": 1280, "height": 800})
    page.emulate_media(media="print")
    printed = {
        "header": page.locator(".ftic-header").is_visible(),
        "intro": page.get_by_role("heading", name="Votre engagement est déjà signé").is_visible(),
        "download": page.get_by_role("link", name="Télécharger l'accusé de réception").is_visible(),
        "title": receipt.get_by_role("heading", name="Accusé de réception de votre engagement").is_visible(),
        "fingerprint": fingerprint.is_visible(),
    }
    pdf = page.pdf(format="Letter")
    learner.shot("impression")
    context.close()
    for where, found in violations.items():
        assert found == [], format_violations(found, where=f"accusé dans l'application, {where}")
    assert overflow <= 0, f"la page défile de {overflow} px à l'horizontale à 390 px"
    assert printed == {"header": False, "intro": False, "download": False, "title": True, "fingerprint": True}
    pages = len(PDF_PAGE.findall(pdf))
    assert 1 <= pages <= 2, f"{pages} pages imprimées"
    assert blocked.urls == []
