"""What a person enters is what is recorded, however fast; typed identities are declared as such.

Real Chromium pages against a real ``formation-tic serve`` (Voilà kernels) and SQLite stores.

The race (issue 11): the page sends a field's changes one message at a time per widget and
holds back the next ones while one is unanswered; a button's click is sent at once and could
overtake them. :class:`scenarios.quiz.SubmitButton` makes every press wait, in the kernel,
for a token sent back by the page after everything it held back. Two kinds of proof:

* people typing, pasting or filling 10-digit numbers at full speed in four pages at once,
  pressing « Continuer » (or Enter) right after the last key;
* bursts run as one task of the page (field changed twice, then the button clicked, all
  before the page can read any answer): the click is then *certain* to be sent before the
  last change, so without the token the kernel would read the older value every time.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlparse

import pytest
from playwright.async_api import Route, async_playwright
from playwright.async_api import expect as expect_async
from playwright.sync_api import Browser, BrowserContext, Page, expect

from attest.store import AttestationStore
from formation_tic.settings import DataPaths
from lrs_export.local_lrs import LocalLrs
from scenarios.model import Branching, MultipleChoice, Scenario, SingleChoice, Step, Verdict
from tests.app.conftest import AppServer, start_server
from tests.app.pilot import TIMEOUT, Learner, _path_to, form_checkboxes
from tests.browser import CHROMIUM, CHROMIUM_ARGS, LOCAL_HOSTS, Blocked, guard
from tests.live import learner_context

pytestmark = pytest.mark.slow

SELF_DECLARED = ".ftic-self-declared"
WELCOME = "Ce qui vous attend"


@pytest.fixture
def new_page(browser: tuple[Browser, Blocked]) -> Iterator[Callable[[], Page]]:
    """Makes a page of its own (cookies, storage): one person each."""
    b, blocked = browser
    contexts: list[BrowserContext] = []

    def make() -> Page:
        context = learner_context(b)
        contexts.append(context)
        return guard(context.new_page(), blocked)

    yield make
    for context in contexts:
        context.close()
    assert blocked.urls == [], f"requests left the machine: {blocked.urls}"


def recorded_numbers(server: AppServer) -> set[str]:
    """Every employee number the progress store holds."""
    with sqlite3.connect(DataPaths(server.data_dir).progress) as conn:
        return {row[0] for row in conn.execute("SELECT employee_number FROM attempts")}


def assert_recorded_exactly(server: AppServer, numbers: list[str]) -> None:
    """Each number has its one attempt, and no part of one was recorded instead."""
    stored = recorded_numbers(server)
    for number in numbers:
        assert [a.employee_number for a in server.attempts(number)] == [number]
        cut = {number[:n] for n in range(1, len(number))} & stored
        assert not cut, f"{number} recorded cut short as {cut}"


# --- people at full speed, four pages at once ---------------------------------------------------

WAYS = (("type", "click"), ("type", "enter"), ("paste", "click"), ("fill", "enter"))
"""How the number gets in the field (keys, one paste, Playwright's fill = autofill), then how
« Continuer » is pressed (the button, or Enter in the field)."""


def _people_at_once(url: str, plans: list[list[tuple[str, str, str]]]) -> list[str]:
    """Each plan in a browser context of its own, all at once; returns requests that left."""
    blocked: list[str] = []

    async def only_local(route: Route) -> None:
        parsed = urlparse(route.request.url)
        if parsed.scheme in {"data", "blob", "about"} or parsed.hostname in LOCAL_HOSTS:
            await route.continue_()
        else:
            blocked.append(route.request.url)
            await route.abort()

    async def person(browser: object, plan: list[tuple[str, str, str]]) -> None:
        context = await browser.new_context(locale="fr-CA")  # type: ignore[attr-defined]
        context.set_default_timeout(TIMEOUT)
        await context.route("**/*", only_local)
        page = await context.new_page()
        for number, entry, press in plan:
            await page.goto(url)
            field = page.get_by_label("Numéro d'employé", exact=True)
            await field.wait_for()
            if entry == "fill":
                await field.fill(number)
            else:
                await field.focus()
                if entry == "type":
                    await page.keyboard.type(number, delay=0)
                else:
                    await page.keyboard.insert_text(number)  # one input event, as a paste
            if press == "enter":
                await page.keyboard.press("Enter")
            else:
                await page.get_by_role("button", name="Continuer", exact=True).click()
            await expect_async(page.locator(".ftic-who strong")).to_have_text(number, timeout=TIMEOUT)
        await context.close()

    async def everyone() -> None:
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            try:
                await asyncio.gather(*(person(browser, plan) for plan in plans))
            finally:
                await browser.close()

    with ThreadPoolExecutor(1) as pool:  # the sync browser of this module keeps this thread's loop
        pool.submit(asyncio.run, everyone()).result()
    return blocked


def test_numbers_typed_pasted_or_filled_at_full_speed_in_four_pages_at_once(app_server: AppServer) -> None:
    plans = [
        [(f"4{person}{turn}{person * 7 + turn:07d}", *WAYS[(person + turn) % len(WAYS)]) for turn in range(3)]
        for person in range(4)
    ]
    numbers = [number for plan in plans for number, _entry, _press in plan]
    assert len(set(numbers)) == 12 and all(len(n) == 10 for n in numbers)
    assert _people_at_once(app_server.url, plans) == []
    assert_recorded_exactly(app_server, numbers)


# --- bursts: the click certainly sent before the last change ------------------------------------

BURST = """([steps, buttonName]) => {
  const main = document.querySelector('.ftic-main');
  const label = (el) => ((el && el.innerText) || '').replace(/\\s+/g, ' ').trim();
  const found = (what, name, el) => {
    if (!el) throw new Error(`${what} not found: ${name}`);
    return el;
  };
  const field = (name) => found('field', name, [...main.querySelectorAll('.widget-text')]
    .find((box) => label(box.querySelector('label')) === name)).querySelector('input');
  const choice = (name) => found('choice', name, [...main.querySelectorAll('input')]
    .find((input) => label(input.closest('label')) === name));
  for (const [kind, name, value] of steps) {
    if (kind === 'type') {
      const input = field(name);
      input.value = value;
      input.dispatchEvent(new Event('input', {bubbles: true}));
    } else {
      choice(name).click();
    }
  }
  const buttons = [...main.querySelectorAll('button')];
  found('button', buttonName, buttons.find((b) => label(b) === buttonName)).click();
}"""
"""In one task of the page: each step (type a whole value, or click a choice), then the button."""


def burst(page: Page, steps: list[tuple[str, str, str]], button: str) -> None:
    """Run ``steps`` then click ``button`` in one task, once all of them are on the screen."""
    for name in {name for _kind, name, _value in steps}:
        page.get_by_label(name, exact=True).wait_for(timeout=TIMEOUT)
    expect(page.get_by_role("button", name=button, exact=True)).to_be_enabled(timeout=TIMEOUT)
    page.evaluate(BURST, [[(kind, " ".join(name.split()), value) for kind, name, value in steps], button])


def typed_twice(name: str, value: str) -> list[tuple[str, str, str]]:
    """The field shows a first part of ``value``, then all of it (the last keys held back)."""
    return [("type", name, value[: len(value) // 2]), ("type", name, value)]


def answer_in_bursts(learner: Learner) -> None:
    """Answer the question shown rightly, each time after a wrong choice changed just before."""
    page = learner.page
    n, total, scenario = learner.current()
    q = scenario.question
    if isinstance(q, SingleChoice):
        wrong = next(c.text for c in q.choices if not c.correct)
        right = next(c.text for c in q.choices if c.correct)
        burst(page, [("click", wrong, ""), ("click", right, "")], "Valider ma réponse")
        expect(page.locator(".ftic-feedback").first).to_contain_text("Bonne réponse.", timeout=TIMEOUT)
    elif isinstance(q, MultipleChoice):
        wrong = next(c.text for c in q.choices if not c.correct)
        rights = [("click", c.text, "") for c in q.choices if c.correct]
        burst(page, [("click", wrong, ""), ("click", wrong, ""), *rights], "Valider ma réponse")
        expect(page.locator(".ftic-feedback").first).to_contain_text("Bonne réponse.", timeout=TIMEOUT)
    else:
        assert isinstance(q, Branching)
        node = q.node(q.start)
        for step_no, choice_id in enumerate(_path_to(q, Verdict.PASS), start=1):
            assert isinstance(node, Step)
            expect(page.get_by_text(f"Décision {step_no}", exact=True)).to_be_visible(timeout=TIMEOUT)
            chosen = next(c for c in node.choices if c.id == choice_id)
            other = next(c for c in node.choices if c.id != choice_id)
            burst(page, [("click", other.text, ""), ("click", chosen.text, "")], "Continuer")
            node = q.node(chosen.goto)
        expect(page.get_by_text("Issue favorable.")).to_be_visible(timeout=TIMEOUT)
    last = n == total
    learner.press("Voir mon résultat" if last else "Question suivante")
    if not last:
        expect(page.locator(".ftic-count")).to_have_text(f"{n + 1} / {total}", timeout=TIMEOUT)


def test_changes_still_held_in_the_page_when_a_button_is_pressed_are_recorded(
    app_server: AppServer, new_page: Callable[[], Page], bank: dict[str, Scenario]
) -> None:
    page = new_page()
    learner = Learner(page, bank, shots="rafales")
    learner.open(app_server.url)
    page.get_by_label("Numéro d'employé", exact=True).wait_for(timeout=TIMEOUT)
    # « 5000 » is a valid number too: read before the rest of it, it would be recorded.
    burst(page, typed_twice("Numéro d'employé", "5000123456"), "Continuer")
    expect(page.locator(".ftic-who strong")).to_have_text("5000123456", timeout=TIMEOUT)
    assert_recorded_exactly(app_server, ["5000123456"])
    learner.start_quiz()
    _n, total, _s = learner.current()
    for _ in range(total):
        answer_in_bursts(learner)
    expect(page.locator(".ftic-score")).to_contain_text("100 %", timeout=TIMEOUT)
    learner.press("Passer à l'engagement")
    expect(page.get_by_text("Mes engagements")).to_be_visible(timeout=TIMEOUT)
    boxes = [
        ("click", str(box.evaluate("el => el.closest('label').innerText")).strip(), "")
        for box in form_checkboxes(page)
    ]
    name = "Marie-Ève Bouchard-Tremblay"
    steps = [
        *typed_twice("Nom complet", name),
        *typed_twice("Titre d'emploi", "Technicienne en administration"),
        *typed_twice("Direction ou service", "Direction des ressources financières"),
        *boxes,
        *typed_twice("Signature (nom tapé)", name),
    ]
    burst(page, steps, "Signer mon engagement")
    code = page.locator(".ftic-code")
    code.wait_for(timeout=TIMEOUT)
    with AttestationStore(app_server.attestations, create=False) as store:
        record = store.find_by_code(str(code.get_attribute("data-code")))
    assert (record.employee_number, record.full_name, record.typed_signature) == ("5000123456", name, name)
    assert (record.job_title, record.direction) == (
        "Technicienne en administration",
        "Direction des ressources financières",
    )
    assert record.quiz_score == 1.0


# --- typed identification: declared, confirmed, and nobody else's receipt --------------------


def test_typed_identity_is_declared_on_every_page_and_confirmed_before_signing(
    app_server: AppServer, new_page: Callable[[], Page], bank: dict[str, Scenario]
) -> None:
    page = new_page()
    learner = Learner(page, bank, shots="identite-declaree")
    notice = page.locator(SELF_DECLARED)
    learner.open(app_server.url)
    page.get_by_label("Numéro d'employé", exact=True).wait_for(timeout=TIMEOUT)
    expect(notice).to_contain_text("n'est pas vérifié")
    learner.identify("6000000001")
    expect(page.get_by_text(WELCOME)).to_be_visible(timeout=TIMEOUT)
    expect(notice).to_be_visible()
    learner.start_quiz()
    learner.current()
    expect(notice).to_be_visible()
    learner.answer_all(correct=True)
    expect(page.get_by_text("Bravo, vous avez réussi!")).to_be_visible(timeout=TIMEOUT)
    expect(notice).to_be_visible()
    learner.press("Passer à l'engagement")
    # The form says whom it signs for, and refuses to sign until the person confirms it.
    expect(page.locator(".ftic-signing-for")).to_have_text(
        "Vous signez pour le numéro d'employé 6000000001.", timeout=TIMEOUT
    )
    expect(notice).to_be_visible()
    confirm = page.get_by_label("Je confirme que ce numéro d'employé est le mien.", exact=True)
    learner.type_in("Nom complet", "Léa Fortin")
    learner.type_in("Titre d'emploi", "Réceptionniste")
    learner.type_in("Direction ou service", "Direction des services multidisciplinaires")
    for box in form_checkboxes(page):
        label = str(box.evaluate("el => el.closest('label').innerText")).strip()
        if label != "Je confirme que ce numéro d'employé est le mien.":
            learner.check(label)
    learner.type_in("Signature (nom tapé)", "Léa Fortin")
    learner.press("Signer mon engagement")
    expect(
        page.locator(".ftic-error").filter(has_text="Confirmez que ce numéro d'employé est le vôtre")
    ).to_be_visible(timeout=TIMEOUT)
    expect(page.get_by_role("alert").filter(has_text="1 champ à corriger")).to_be_visible()
    expect(confirm).to_have_attribute("aria-invalid", "true")
    learner.shot("5-confirmation-exigee")
    with AttestationStore(app_server.attestations, create=False) as store:
        assert store.for_employee("6000000001") == []
    confirm.check()
    learner.press("Signer mon engagement")
    page.locator(".ftic-code").wait_for(timeout=TIMEOUT)
    expect(notice).to_be_visible()
    expect(page.locator(".ftic-receipt")).to_contain_text("Identité déclarée par la personne (non vérifiée)")
    learner.shot("6-accuse")


@pytest.fixture(scope="module")
def sso_app(
    built_book: Path, app_lrs: LocalLrs, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[AppServer]:
    """The app behind a (simulated) SSO proxy: the trusted header names the person."""
    server = start_server(
        built_book, tmp_path_factory.mktemp("app-sso-input"), app_lrs, identification="sso-header"
    )
    yield server
    server.stop()


def test_with_the_trusted_header_no_page_says_the_identity_is_self_declared(
    sso_app: AppServer, browser: tuple[Browser, Blocked], bank: dict[str, Scenario]
) -> None:
    b, blocked = browser
    context = b.new_context(locale="fr-CA", extra_http_headers={"X-Forwarded-User": "20000010"})
    context.set_default_timeout(TIMEOUT)
    page = guard(context.new_page(), blocked)
    learner = Learner(page, bank)
    notice = page.locator(SELF_DECLARED)
    learner.open(sso_app.url)
    expect(page.get_by_role("heading", name=WELCOME)).to_be_visible(timeout=TIMEOUT)
    expect(notice).to_have_count(0)
    learner.start_quiz()
    learner.current()
    expect(notice).to_have_count(0)
    learner.answer_all(correct=True)
    expect(page.get_by_text("Bravo, vous avez réussi!")).to_be_visible(timeout=TIMEOUT)
    expect(notice).to_have_count(0)
    learner.press("Passer à l'engagement")
    expect(page.locator(".ftic-signing-for")).to_have_text(
        "Vous signez pour le numéro d'employé 20000010.", timeout=TIMEOUT
    )
    expect(notice).to_have_count(0)
    learner.sign("Noah Girard")
    expect(notice).to_have_count(0)
    expect(page.locator(".ftic-receipt")).not_to_contain_text("non vérifiée")
    # Coming back through SSO: the owner is known, the receipt is shown at once.
    page.goto("about:blank")
    learner.open(sso_app.url)
    expect(page.get_by_role("heading", name="Votre engagement est déjà signé")).to_be_visible(timeout=TIMEOUT)
    expect(page.locator(".ftic-receipt")).to_contain_text("Noah Girard")
    expect(notice).to_have_count(0)
    context.close()
    assert blocked.urls == []
