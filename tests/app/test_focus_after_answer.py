"""Where the keyboard focus goes once a learner validates an answer or takes a decision.

Against the real server (``formation-tic serve``, Voilà, the real Ralph LRS), in Debian
Chromium with every request off the machine blocked, at 1280×800 and 390×844, keyboard only:
« Valider ma réponse » is disabled and « Continuer » removed once pressed, so the focus would
fall back to the page's body. It goes to the feedback shown instead (read once, in view), and
Tab goes on to the next control: « Question suivante » (« Voir mon résultat ») or the next
decision. axe-core (:mod:`tests.a11y`) finds no violation in those states.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Locator, Page, ViewportSize, expect

from scenarios.model import Branching, Ending, Scenario, SingleChoice, Step
from tests.a11y import axe_violations, format_violations
from tests.app.conftest import AppServer
from tests.app.pilot import DESKTOP, PHONE, TIMEOUT, Learner, new_page
from tests.app.pilot import browser as browser  # the module's offline browser
from tests.browser import Blocked

pytestmark = pytest.mark.slow


IN_QUIZ_NOT_A_CONTROL = """el => el !== null && el.closest('.ftic-quiz') !== null
  && !['BUTTON', 'INPUT', 'A'].includes(el.tagName)"""


def _no_axe_violation(page: Page, where: str) -> None:
    violations = axe_violations(page)
    assert violations == [], format_violations(violations, where=where)


def _focus_on_feedback(page: Page, text: str, where: str) -> None:
    """The focus is on what was just shown (``text``), in the quiz, in view; not on a control."""
    focused = page.locator(":focus")
    expect(focused).to_contain_text(text, timeout=TIMEOUT)
    assert focused.evaluate(IN_QUIZ_NOT_A_CONTROL), f"{where} : le focus n'est pas sur la rétroaction"
    expect(focused).to_be_in_viewport(timeout=TIMEOUT)


def _next_button(page: Page, last: bool) -> Locator:
    """« Question suivante » (« Voir mon résultat » after the last question), once it is shown."""
    button = page.get_by_role("button", name="Voir mon résultat" if last else "Question suivante", exact=True)
    expect(button).to_be_visible(timeout=TIMEOUT)
    return button


def _tab_to_next_question(page: Page, last: bool, where: str) -> None:
    """Tab from the feedback reaches the next question's button; Enter on it."""
    button = _next_button(page, last)
    page.keyboard.press("Tab")
    expect(button, f"{where} : Tab ne mène pas au bouton suivant").to_be_focused(timeout=TIMEOUT)
    page.keyboard.press("Enter")


def _path_from(question: Branching, node_id: str, seen: frozenset[str]) -> list[str] | None:
    """Choice ids from ``node_id`` to any ending (depth-first, no loop)."""
    node = question.node(node_id)
    if isinstance(node, Ending):
        return []
    assert isinstance(node, Step)
    for choice in node.choices:
        if choice.goto in seen:
            continue
        rest = _path_from(question, choice.goto, seen | {choice.goto})
        if rest is not None:
            return [choice.id, *rest]
    return None


def _single_choice(page: Page, keys: Learner, scenario: Scenario, last: bool, where: str) -> None:
    question = scenario.question
    assert isinstance(question, SingleChoice)
    texts = [c.text for c in question.choices]
    keys.pick_radio(texts, next(i for i, c in enumerate(question.choices) if c.correct))
    keys.press("Valider ma réponse")
    _focus_on_feedback(page, "Bonne réponse.", where)
    _next_button(page, last)
    _no_axe_violation(page, f"{where}, après « Valider ma réponse »")
    _tab_to_next_question(page, last, where)


def _branching(page: Page, keys: Learner, scenario: Scenario, last: bool, where: str) -> None:
    question = scenario.question
    assert isinstance(question, Branching)
    start = question.node(question.start)
    assert isinstance(start, Step)
    # A first decision that leads to a second one (one with feedback if there is such).
    onward = [c for c in start.choices if isinstance(question.node(c.goto), Step)]
    first = next((c for c in onward if c.feedback), onward[0])
    rest = _path_from(question, first.goto, frozenset({question.start, first.goto}))
    assert rest is not None
    node: Step | Ending | None = start
    for step_no, choice_id in enumerate([first.id, *rest], start=1):
        assert isinstance(node, Step)
        expect(page.get_by_text(f"Décision {step_no}", exact=True)).to_be_visible(timeout=TIMEOUT)
        texts = [c.text for c in node.choices]
        index = next(i for i, c in enumerate(node.choices) if c.id == choice_id)
        chosen = node.choices[index]
        keys.pick_radio(texts, index)
        keys.press("Continuer")
        node = question.node(chosen.goto)
        if isinstance(node, Step) and step_no == 1:
            # The feedback on the decision (or, if it has none, the next decision) has the focus.
            shown = "Votre décision 1" if chosen.feedback else "Décision 2"
            _focus_on_feedback(page, shown, f"{where}, décision 1")
            group = page.locator("[role=radiogroup]")
            expect(group).to_have_count(1, timeout=TIMEOUT)
            expect(group).to_have_attribute(
                "aria-labelledby", re.compile(r"^ftic-prompt-\d+$"), timeout=TIMEOUT
            )
            expect(page.get_by_role("button", name="Continuer", exact=True)).to_be_visible(timeout=TIMEOUT)
            _no_axe_violation(page, f"{where}, après la décision 1")
            # Tab goes on to the next decision: its group of options (one tab stop).
            page.keyboard.press("Tab")
            expect(
                group.locator("input[type=radio]").first, f"{where} : Tab ne mène pas à la décision 2"
            ).to_be_focused(timeout=TIMEOUT)
    assert isinstance(node, Ending)
    _focus_on_feedback(page, "Issue", f"{where}, issue")
    _next_button(page, last)
    _no_axe_violation(page, f"{where}, après la dernière décision")
    _tab_to_next_question(page, last, f"{where}, issue")


@pytest.mark.parametrize(
    ("viewport", "number"), [(DESKTOP, "34000001"), (PHONE, "34000002")], ids=["1280", "390"]
)
def test_focus_goes_to_the_feedback_then_tab_to_the_next_control(
    app_server: AppServer,
    browser: tuple[Browser, Blocked],
    bank: dict[str, Scenario],
    viewport: ViewportSize,
    number: str,
) -> None:
    page = new_page(browser, viewport)
    label = f"{viewport['width']} px"
    try:
        mouse = Learner(page, bank)
        keys = Learner(page, bank, keyboard=True)
        mouse.open(app_server.url)
        mouse.identify(number)
        mouse.start_quiz()
        checked: set[str] = set()
        while checked != {"single", "branching"}:
            n, total, scenario = mouse.current()
            # The question's heading took the focus (a new page): the keyboard starts from there.
            expect(page.locator("h1:focus")).to_have_text(scenario.title, timeout=TIMEOUT)
            kind = scenario.question.kind
            where = f"{label}, question {n} ({kind})"
            if kind == "single" and kind not in checked:
                _single_choice(page, keys, scenario, n == total, where)
            elif kind == "branching" and kind not in checked:
                _branching(page, keys, scenario, n == total, where)
            else:
                assert n < total, "every draw holds each kind of question"
                mouse.answer(correct=True)
                continue
            checked.add(kind)
            if n < total:
                expect(page.locator(".ftic-count")).to_have_text(f"{n + 1} / {total}", timeout=TIMEOUT)
            else:
                assert checked == {"single", "branching"}, "every draw holds each kind of question"
    finally:
        page.context.close()
