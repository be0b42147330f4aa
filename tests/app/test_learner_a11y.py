"""The learner's pages for keyboard, screen reader and phone users, in Debian Chromium.

Against the real server (Voilà, SQLite stores, Ralph LRS), at 1280×800 and 390×844 (and
320 px for reflow), one journey per viewport: at every step change the focus is on the
step's heading and the page is scrolled to the top; no page scrolls sideways; axe-core
(WCAG 2.0/2.1/2.2 A and AA, :mod:`tests.a11y`) finds no violation on each state a learner
meets (identification with and without error, welcome, a question of each kind before and
after answering, failed and passed results, the form before and after a blank submission,
the receipt, the lock-out page after the last failed attempt).
"""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import Browser, Page, ViewportSize, expect

from attest import load_directive
from formation_tic.app.progress import ProgressStore
from formation_tic.settings import DataPaths
from scenarios.bank import graded
from scenarios.model import Scenario
from tests.a11y import axe_violations, format_violations
from tests.app.conftest import AppServer
from tests.app.pilot import DESKTOP, PHONE, TIMEOUT, Learner, new_page
from tests.app.pilot import browser as browser  # the module's offline browser
from tests.browser import Blocked

pytestmark = pytest.mark.slow

NARROW: ViewportSize = {"width": 320, "height": 640}


# --- what every state must satisfy --------------------------------------------------------


STICKING_OUT = """() => {
  // Voilà's output boxes clip or scroll what overflows them: look at each element of the app.
  const inner = window.innerWidth;
  const out = [];
  for (const el of document.querySelectorAll(".ftic-app *")) {
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.height === 0 || r.right < 0) continue;  // hidden, or text for screen readers
    const cs = getComputedStyle(el);
    const scrolls = ["auto", "scroll"].includes(cs.overflowX) && el.scrollWidth > el.clientWidth + 1;
    if (r.right > inner + 0.5 || scrolls) out.push(`${el.tagName}.${el.className} ${Math.round(r.right)}`);
  }
  return out.slice(0, 5);
}"""


def no_sideways_scroll(page: Page, where: str) -> None:
    """Nothing is wider than the screen (WCAG 1.4.10): no sideways scroll, nothing sticks out."""
    width, inner = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width <= inner, f"{where} : la page défile à l'horizontale ({width} px pour {inner} px)"
    assert page.evaluate(STICKING_OUT) == [], f"{where} : dépasse de l'écran ({inner} px)"
    if inner < 600:  # on a phone, each text field takes the width: its text is not cut off
        narrow = page.locator(".ftic-app input[type=text]").evaluate_all(
            "(els, w) => els.filter(e => e.getBoundingClientRect().width < 0.75 * w).length", inner
        )
        assert narrow == 0, f"{where} : champ de texte trop étroit à {inner} px"


def no_axe_violation(page: Page, where: str) -> None:
    violations = axe_violations(page)
    assert violations == [], format_violations(violations, where=where)


def check_state(page: Page, where: str) -> None:
    """One state a learner meets: no sideways scroll, no axe violation."""
    no_sideways_scroll(page, where)
    no_axe_violation(page, where)


def arrived(page: Page, heading: str | re.Pattern[str], where: str) -> None:
    """A new step: its heading has the focus and the page is at the top."""
    focused = page.locator("h1:focus")
    expect(focused).to_have_text(heading, timeout=TIMEOUT)
    assert page.evaluate("window.scrollY") == 0, f"{where} : la page ne s'ouvre pas en haut"
    no_sideways_scroll(page, where)


def scroll_to_bottom(page: Page) -> None:
    """Where a person is when they press the last button of a long page."""
    page.evaluate("window.scrollTo(0, document.documentElement.scrollHeight)")


# --- the journey --------------------------------------------------------------------------


class Checks:
    """The checks run along one journey (questions: each kind once before and after answering)."""

    def __init__(self, page: Page, label: str) -> None:
        self.page = page
        self.label = label
        self.kinds_checked: set[str] = set()
        self.decisions_checked = 0
        self.decision_feedback_seen = 0

    def question_shown(self, scenario: Scenario) -> None:
        where = f"{self.label}, question « {scenario.title} »"
        arrived(self.page, scenario.title, where)
        expect(self.page.locator(".ftic-quiz h1")).to_have_text(scenario.title)
        kind = scenario.question.kind
        if kind not in self.kinds_checked:
            expect(self.page.locator(".ftic-quiz .jupyter-button").last).to_be_visible()
            # Every group of options is labelled by its prompt.
            group = self.page.locator("[role=radiogroup], [role=group]").first
            expect(group).to_have_attribute("aria-labelledby", re.compile(r"^ftic-prompt-\d+$"))
            labelled_by = group.get_attribute("aria-labelledby")
            expect(self.page.locator(f"#{labelled_by}")).to_have_class(re.compile("ftic-prompt"))
            check_state(self.page, f"{where} ({kind}), avant la réponse")

    def question_answered(self, scenario: Scenario) -> None:
        kind = scenario.question.kind
        feedback = self.page.locator(".ftic-feedback").last
        expect(feedback).to_be_visible()
        text = feedback.inner_text()
        assert "non cochée" not in text and "annexe-" not in text, text
        if kind not in self.kinds_checked:
            self.kinds_checked.add(kind)
            check_state(self.page, f"{self.label}, question ({kind}) après la réponse")
        scroll_to_bottom(self.page)

    def decision_shown(self, step_no: int) -> None:
        """Branching: the feedback on the last decision (if it has one) comes before the next one."""
        page = self.page
        button = page.get_by_role("button", name="Continuer", exact=True)
        expect(button).to_be_visible()
        previous = page.locator(".ftic-feedback", has_text=f"Votre décision {step_no - 1}")
        if previous.count():
            feedback_y = previous.bounding_box()["y"]  # type: ignore[index]
            button_y = button.bounding_box()["y"]  # type: ignore[index]
            assert feedback_y < button_y, "la rétroaction de la décision précédente suit le bouton"
            self.decision_feedback_seen += 1
        # Nothing of the quiz's feedback is below the next decision's button.
        below = page.locator(".ftic-quiz .ftic-feedback").evaluate_all(
            "(els, y) => els.filter(e => e.getBoundingClientRect().top > y).length",
            button.bounding_box()["y"],  # type: ignore[index]
        )
        assert below == 0, "une rétroaction s'affiche sous le bouton de la décision suivante"
        if self.decisions_checked == 0:
            check_state(page, f"{self.label}, décision {step_no}")
        self.decisions_checked += 1


def _journey(
    page: Page, server: AppServer, bank: dict[str, Scenario], number: str, label: str, *, keyboard: bool
) -> None:
    checks = Checks(page, label)
    learner = Learner(
        page,
        bank,
        keyboard=keyboard,
        on_question=checks.question_shown,
        on_answered=checks.question_answered,
        on_decision=checks.decision_shown,
    )
    learner.open(server.url)
    # Identification: the heading has the focus once the page shows.
    field = page.get_by_label("Numéro d'employé", exact=True)
    arrived(page, "Bienvenue!", f"{label}, identification")
    check_state(page, f"{label}, identification")
    # A text field shows its focus as buttons do (WCAG 2.4.7, 2.4.11), not by a 1 px border.
    field.focus()
    ring = field.evaluate("e => [getComputedStyle(e).outlineStyle, getComputedStyle(e).outlineWidth]")
    assert ring == ["solid", "3px"], ring
    # Enter in the field submits (a wrong number: the error, next to the field).
    field.click()
    page.keyboard.type("12a")
    page.keyboard.press("Enter")
    expect(page.get_by_role("alert")).to_contain_text("4 à 10 chiffres", timeout=TIMEOUT)
    check_state(page, f"{label}, identification avec erreur")
    # Enter again, with a right number: the welcome page.
    field.fill(number)
    field.press("Enter")
    arrived(page, "Ce qui vous attend", f"{label}, accueil")
    expect(page.get_by_role("button", name="Commencer le questionnaire")).to_be_visible()
    check_state(page, f"{label}, accueil")
    scroll_to_bottom(page)
    learner.press("Commencer le questionnaire")
    # A first attempt, failed; the result page.
    learner.answer_all(correct=False)
    arrived(page, "Votre résultat", f"{label}, résultat (échec)")
    expect(page.get_by_role("button", name="Recommencer avec de nouvelles questions")).to_be_visible()
    check_state(page, f"{label}, résultat (échec)")
    assert checks.kinds_checked == {"single", "multiple", "branching"}
    scroll_to_bottom(page)
    learner.press("Recommencer avec de nouvelles questions")
    learner.answer_all(correct=True)
    arrived(page, "Votre résultat", f"{label}, résultat (réussite)")
    expect(page.get_by_text("Bravo, vous avez réussi!")).to_be_visible()
    expect(page.get_by_role("button", name="Passer à l'engagement")).to_be_visible()
    check_state(page, f"{label}, résultat (réussite)")
    scroll_to_bottom(page)
    learner.press("Passer à l'engagement")
    # The form, then a blank submission: one summary, each field marked.
    arrived(page, re.compile("engagement", re.IGNORECASE), f"{label}, formulaire")
    expect(page.get_by_role("button", name="Signer mon engagement")).to_be_visible()
    check_state(page, f"{label}, formulaire")
    if page.viewport_size == PHONE:
        page.set_viewport_size(NARROW)
        no_sideways_scroll(page, f"{label}, formulaire à 320 px")
        page.set_viewport_size(PHONE)
    learner.press("Signer mon engagement")
    summary = page.locator(".ftic-error-summary")
    expect(summary).to_contain_text("7 champs à corriger", timeout=TIMEOUT)
    expect(page.get_by_role("alert")).to_have_count(1)
    name = page.get_by_label("Nom complet", exact=True)
    expect(name).to_have_attribute("aria-invalid", "true")
    described = name.get_attribute("aria-describedby")
    assert described
    expect(page.locator(f"#{described}")).to_be_visible()
    # the six other fields, and each commitment box (none is checked)
    commitments = page.locator(".ftic-field--commitments input").count()
    expect(page.locator("input[aria-invalid=true]")).to_have_count(6 + commitments)
    check_state(page, f"{label}, formulaire avec erreurs")
    summary.get_by_role("link").click()
    expect(name).to_be_focused()
    # Signed: the receipt.
    learner.sign("Camille Tremblay")
    arrived(page, re.compile("Merci"), f"{label}, accusé de réception")
    check_state(page, f"{label}, accusé de réception")


@pytest.mark.parametrize(
    ("viewport", "number", "keyboard"),
    [(DESKTOP, "31000001", False), (PHONE, "31000002", True)],
    ids=["1280x800-souris", "390x844-clavier"],
)
def test_every_step_focuses_its_heading_at_the_top_and_passes_axe(
    app_server: AppServer,
    browser: tuple[Browser, Blocked],
    bank: dict[str, Scenario],
    viewport: ViewportSize,
    number: str,
    keyboard: bool,
) -> None:
    page = new_page(browser, viewport)
    try:
        _journey(page, app_server, bank, number, f"{viewport['width']} px", keyboard=keyboard)
    finally:
        page.context.close()


def test_arrow_keys_move_within_a_question_and_tab_leaves_the_group(
    app_server: AppServer, browser: tuple[Browser, Blocked], bank: dict[str, Scenario]
) -> None:
    page = new_page(browser, DESKTOP)
    try:
        learner = Learner(page, bank)
        learner.open(app_server.url)
        learner.identify("31000003")
        learner.start_quiz()
        # Find a single-choice or branching question (radio buttons), answering the others.
        while True:
            _n, _total, scenario = learner.current()
            if scenario.question.kind != "multiple":
                break
            learner.answer(correct=True)
        group = page.locator("[role=radiogroup]")
        radios = group.locator("input[type=radio]")
        expect(radios.first).to_be_visible()
        assert radios.count() >= 2
        radios.first.focus()
        page.keyboard.press("Space")
        expect(radios.nth(0)).to_be_checked()
        page.keyboard.press("ArrowDown")
        expect(radios.nth(1)).to_be_focused()
        expect(radios.nth(1)).to_be_checked()
        expect(radios.nth(0)).not_to_be_checked()
        page.keyboard.press("ArrowUp")
        expect(radios.nth(0)).to_be_checked()
        # One tab stop for the group: Tab goes on to the button.
        page.keyboard.press("Tab")
        label = "Valider ma réponse" if scenario.question.kind == "single" else "Continuer"
        expect(page.get_by_role("button", name=label, exact=True)).to_be_focused()
    finally:
        page.context.close()


def _seed_locked_out(server: AppServer, number: str, bank: dict[str, Scenario]) -> None:
    """Every allowed attempt failed (as if answered wrongly three times)."""
    version = load_directive().version
    ids = sorted({s.theme: s.id for s in graded(list(bank.values()))}.values())
    with ProgressStore(DataPaths(server.data_dir).progress) as store:
        for attempt_no, state in enumerate(("closed", "closed", "failed"), start=1):
            attempt = store.create(number, str(uuid.uuid4()), version, ids, attempt_no)
            for sid in ids:
                store.record_answer(attempt.registration, sid, False)
            store.set_state(attempt.registration, state, score=0.0)  # type: ignore[arg-type]


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE, NARROW], ids=["1280", "390", "320"])
def test_the_lock_out_page_after_the_last_failure(
    app_server: AppServer,
    browser: tuple[Browser, Blocked],
    bank: dict[str, Scenario],
    viewport: ViewportSize,
) -> None:
    number = f"3200{viewport['width']:04d}"
    _seed_locked_out(app_server, number, bank)
    page = new_page(browser, viewport)
    try:
        learner = Learner(page, bank)
        learner.open(app_server.url)
        arrived(page, "Bienvenue!", "identification")
        learner.identify(number)
        arrived(page, "Votre résultat", "page de fin des essais")
        expect(page.get_by_text("Vous avez utilisé tous vos essais")).to_be_visible()
        expect(page.get_by_role("button", name=re.compile("Recommencer"))).to_have_count(0)
        check_state(page, f"page de fin des essais, {viewport['width']} px")
    finally:
        page.context.close()
