"""Drive the learner app in a real browser, with the mouse or with the keyboard only."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import pytest
from playwright.sync_api import Browser, Locator, Page, ViewportSize, expect

from attest import load_form
from scenarios.model import Branching, Ending, MultipleChoice, Scenario, SingleChoice, Step, Verdict
from tests.browser import Blocked, guard, offline_browser, screenshot

TIMEOUT = 60_000

DESKTOP: ViewportSize = {"width": 1280, "height": 800}
PHONE: ViewportSize = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def browser() -> Iterator[tuple[Browser, Blocked]]:
    """One offline Chromium per test module, and what it blocked: nothing may leave the machine.
    Import it as ``from tests.app.pilot import browser as browser``."""
    with offline_browser() as pair:
        yield pair
        assert pair[1].urls == [], f"requests left the machine: {pair[1].urls}"


def new_page(browser: tuple[Browser, Blocked], viewport: ViewportSize) -> Page:
    """A fresh fr-CA page of that size, in its own context, guarded against leaving the machine."""
    b, blocked = browser
    context = b.new_context(locale="fr-CA", viewport=viewport)
    context.set_default_timeout(TIMEOUT)
    return guard(context.new_page(), blocked)


FORM_CHECKBOXES = len(load_form().engagements) + 2
"""The form's checkboxes in the app: each commitment, the identity confirmation, the consent."""


def form_checkboxes(page: Page) -> list[Locator]:
    """Every checkbox of the engagement form, once all are on the screen."""
    boxes = page.locator(".ftic-main .widget-checkbox input")
    expect(boxes).to_have_count(FORM_CHECKBOXES, timeout=TIMEOUT)
    return boxes.all()


def _path_to(question: Branching, verdict: Verdict) -> list[str]:
    """Choice ids from the start to an ending with ``verdict`` (depth-first)."""

    def walk(node_id: str, seen: frozenset[str]) -> list[str] | None:
        node = question.node(node_id)
        if isinstance(node, Ending):
            return [] if node.verdict == verdict else None
        assert isinstance(node, Step)
        for choice in node.choices:
            if choice.goto in seen:
                continue
            rest = walk(choice.goto, seen | {choice.goto})
            if rest is not None:
                return [choice.id, *rest]
        return None

    found = walk(question.start, frozenset({question.start}))
    assert found is not None, f"no {verdict} ending"
    return found


@dataclass
class Learner:
    """One person in one browser page."""

    page: Page
    bank: dict[str, Scenario]
    keyboard: bool = False
    shots: str | None = None
    """Screenshot name prefix (None: no screenshots)."""
    seen: list[str] = field(default_factory=list)
    on_question: Callable[[Scenario], None] | None = None
    """Called with each question's scenario once it is shown, before it is answered."""
    on_answered: Callable[[Scenario], None] | None = None
    """Called with each question's scenario once answered, before « Question suivante »."""
    on_decision: Callable[[int], None] | None = None
    """Branching: called with the number of each decision after the first, once it is shown."""

    # --- low level ----------------------------------------------------------------------
    def shot(self, name: str) -> None:
        if self.shots:
            screenshot(self.page, f"{self.shots}-{name}")

    def focus(self, target: Locator, max_tabs: int = 80) -> None:
        """Press Tab until ``target`` has the focus (keyboard mode)."""
        target.wait_for(state="visible", timeout=TIMEOUT)
        for _ in range(max_tabs):
            if target.evaluate("el => el === document.activeElement"):
                return
            self.page.keyboard.press("Tab")
        raise AssertionError(f"Tab never reached {target}")

    def press(self, name: str) -> None:
        """Activate a button by its name."""
        button = self.page.get_by_role("button", name=name, exact=True)
        expect(button).to_be_enabled(timeout=TIMEOUT)
        if self.keyboard:
            self.focus(button)
            self.page.keyboard.press("Enter")
        else:
            button.click()

    def type_in(self, label: str, text: str) -> None:
        field_ = self.page.get_by_label(label, exact=True)
        if self.keyboard:
            self.focus(field_)
            self.page.keyboard.press("Control+A")
            self.page.keyboard.type(text)
        else:
            field_.fill(text)
        expect(field_).to_have_value(text)

    def check(self, label: str) -> None:
        box = self.page.get_by_label(label, exact=True)
        if self.keyboard:
            self.focus(box)
            self.page.keyboard.press("Space")
        else:
            box.check()
        expect(box).to_be_checked()

    def pick_radio(self, texts: list[str], index: int) -> None:
        """Select the option labelled ``texts[index]`` of the radio group whose labels are ``texts``.

        The options are shown in the learner's own order (shuffled per attempt): with the
        keyboard, Tab reaches the first option on the screen and the arrows move in screen order.
        """
        radios = [self.page.get_by_label(t, exact=True) for t in texts]
        target = radios[index]
        if self.keyboard:
            on_screen = sorted(range(len(radios)), key=lambda i: radios[i].bounding_box()["y"])  # type: ignore[index]
            self.focus(radios[on_screen[0]])
            steps = on_screen.index(index)
            if steps == 0:
                self.page.keyboard.press("Space")
            else:
                for _ in range(steps):
                    self.page.keyboard.press("ArrowDown")
        else:
            target.check()
        expect(target).to_be_checked()

    # --- journey steps --------------------------------------------------------------------
    def open(self, url: str) -> None:
        self.page.goto(url, timeout=TIMEOUT)

    def identify(self, number: str) -> None:
        self.page.get_by_label("Numéro d'employé", exact=True).wait_for(timeout=TIMEOUT)
        self.shot("1-identification")
        self.type_in("Numéro d'employé", number)
        self.press("Continuer")

    def start_quiz(self) -> None:
        expect(self.page.get_by_text("Ce qui vous attend")).to_be_visible(timeout=TIMEOUT)
        self.shot("2-accueil")
        self.press("Commencer le questionnaire")

    def current(self) -> tuple[int, int, Scenario]:
        count = self.page.locator(".ftic-count")
        count.wait_for(timeout=TIMEOUT)
        n, total = (int(x) for x in count.inner_text().split("/"))
        title = self.page.locator(".ftic-quiz h1").inner_text(timeout=TIMEOUT).strip()
        return n, total, self.bank[title]

    def answer(self, correct: bool) -> Scenario:
        """Answer the question shown (rightly or wrongly); returns its scenario."""
        n, total, scenario = self.current()
        self.seen.append(scenario.id)
        if self.on_question is not None:
            self.on_question(scenario)
        q = scenario.question
        if isinstance(q, SingleChoice):
            texts = [c.text for c in q.choices]
            index = next(i for i, c in enumerate(q.choices) if c.correct == correct)
            self.pick_radio(texts, index)
            self.press("Valider ma réponse")
        elif isinstance(q, MultipleChoice):
            wanted = (
                [c for c in q.choices if c.correct]
                if correct
                else [next(c for c in q.choices if not c.correct)]
            )
            for c in wanted:
                self.check(c.text)
            self.press("Valider ma réponse")
        else:
            assert isinstance(q, Branching)
            plan = _path_to(q, Verdict.PASS if correct else Verdict.FAIL)
            node = q.node(q.start)
            for step_no, choice_id in enumerate(plan, start=1):
                assert isinstance(node, Step)
                expect(self.page.get_by_text(f"Décision {step_no}", exact=True)).to_be_visible(
                    timeout=TIMEOUT
                )
                if step_no > 1 and self.on_decision is not None:
                    self.on_decision(step_no)
                texts = [c.text for c in node.choices]
                index = next(i for i, c in enumerate(node.choices) if c.id == choice_id)
                self.pick_radio(texts, index)
                self.press("Continuer")
                node = q.node(node.choices[index].goto)
        last = n == total
        next_label = "Voir mon résultat" if last else "Question suivante"
        expect(self.page.get_by_role("button", name=next_label, exact=True)).to_be_visible(timeout=TIMEOUT)
        if self.on_answered is not None:
            self.on_answered(scenario)
        if n in (1, total):
            self.shot(f"3-question-{n}-retroaction")
        self.press("Voir mon résultat" if last else "Question suivante")
        if not last:
            expect(self.page.locator(".ftic-count")).to_have_text(f"{n + 1} / {total}", timeout=TIMEOUT)
        return scenario

    def answer_all(self, correct: bool, upto: int | None = None) -> None:
        _n, total, _s = self.current()
        n = _n
        while n <= (upto or total):
            self.answer(correct)
            n += 1

    def sign(self, name: str = "Camille Tremblay") -> str:
        expect(self.page.get_by_text("Mes engagements")).to_be_visible(timeout=TIMEOUT)
        self.shot("5-formulaire")
        self.type_in("Nom complet", name)
        self.type_in("Titre d'emploi", "Infirmière clinicienne")
        self.type_in("Direction ou service", "Direction des soins infirmiers")
        for box in form_checkboxes(self.page):
            label = box.evaluate("el => el.closest('label').innerText").strip()
            self.check(label)
        self.type_in("Signature (nom tapé)", name)
        self.press("Signer mon engagement")
        code = self.page.locator(".ftic-code")
        code.wait_for(timeout=TIMEOUT)
        self.shot("6-accuse")
        return str(code.get_attribute("data-code"))
