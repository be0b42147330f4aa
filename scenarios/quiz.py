"""Quiz runtime: an ipywidgets component that shows one scenario and grades it in the kernel.

The browser only sends which option is selected; the kernel maps it to a choice id of its own
scenario copy and grades it (``grading``). Every answer is reported through ``on_answer``.

:class:`SubmitButton` is the button of every form of the project (quiz, engagement form, the
learner app's identification): its action sees what the page showed when it was pressed.
"""

from __future__ import annotations

import html
import json
from collections.abc import Callable
from typing import Any

import ipywidgets as widgets
from markdown_it import MarkdownIt

from .grading import AnswerEvent, BranchingRun, GradingError, choice_event, grade_choice
from .model import THEME_LABELS, Branching, Ending, MultipleChoice, Scenario, SingleChoice, Step
from .sources import load_registry

AnswerCallback = Callable[[AnswerEvent], None]


class SubmitButton(widgets.Button):
    """A button whose action reads the page's fields as they were when it was pressed.

    The race it closes (ipywidgets 8, ``WidgetModel.sync`` in ``@jupyter-widgets/base``):
    a field sends its changes as ``update`` messages, one at a time per widget; while one is
    unanswered (until the kernel's « idle » for it comes back), later changes are held back
    in the page and merged. A button's click is a ``custom`` message, sent at once: it can
    reach the kernel before a held-back change (the last digits of a number typed fast, a
    radio button changed just before « Valider »), and the kernel would act on an older
    value. Timing makes it rare, not impossible.

    So a click from the page does not act at once. The kernel sends a new token to a hidden
    widget; a link *in the page* (:func:`ipywidgets.jsdlink`) copies it to a second hidden
    widget, which sends it back. The page handles the kernel's messages in order, and the
    « idle » that releases a held-back change was published before the kernel even read
    the click (the kernel handles messages one at a time, in the order sent), hence before
    the token: the page sends every held-back change before it answers, and messages from
    the page reach the kernel in the order sent. When the token comes back, every change
    made in the page before the click has arrived: the action reads the values that were on
    the screen when the person pressed the button (a change made after the press, within
    that round trip, may be read too; an earlier value never is). Clicks pressed before the
    token comes back act once, for the last one. A click from the kernel (:meth:`click`:
    tests, notebooks) acts at once: nothing of the page is in transit then.
    """

    def __init__(self, description: str, action: Callable[[], object], **kwargs: Any) -> None:
        kwargs.setdefault("tooltip", description)
        kwargs.setdefault("button_style", "primary")
        super().__init__(description=description, **kwargs)
        self.layout.width = "auto"
        self.action = action
        self.on_click(lambda _b: self.action())
        self.pending = 0
        """The token sent for the last press from the page (0: none waited for)."""
        self._token = 0
        self._sent = widgets.IntText(value=0)
        self._echo = widgets.IntText(value=0)
        self._link = widgets.jsdlink((self._sent, "value"), (self._echo, "value"))
        self._echo.observe(self._echoed, "value")

    def submit_on_enter(self, field: widgets.Text) -> None:
        """Enter in ``field`` presses this button (once the page's changes have arrived)."""

        def on_message(_field: widgets.Widget, content: dict[str, Any], _buffers: object) -> None:
            if isinstance(content, dict) and content.get("event") == "submit":
                self.pressed_in_page()

        field.on_msg(on_message)

    def pressed_in_page(self) -> None:
        """The person pressed the button (or Enter) in the page: act once the page caught up."""
        self._token += 1
        self.pending = self._token
        self._sent.value = self._token

    def _handle_button_msg(self, _widget: widgets.Widget, content: dict[str, Any], buffers: object) -> None:
        if isinstance(content, dict) and content.get("event") == "click":
            self.pressed_in_page()

    def _echoed(self, change: dict[str, Any]) -> None:
        if not self.pending or change["new"] != self.pending:
            return  # an older token: a later press is still on its way back
        self.pending = 0
        if not self.disabled:  # disabled meanwhile: that press was sent before, already handled
            self.click()


_md = MarkdownIt("commonmark", {"html": False})


def markdown_html(text: str) -> str:
    """Markdown to HTML, raw HTML escaped (scenario text is also checked to contain none)."""
    return _md.render(text)


def sources_line(scenario: Scenario) -> str:
    """« Sources : section 5.3.1 ; FAQ télétravail, question 15 » for a scenario."""
    registry = load_registry()
    labels = "; ".join(registry.label(c) for c in scenario.sections)
    return f"Sources : {labels}"


def _status(text_html: str, ok: bool | None) -> str:
    tone = {True: "ftic-ok", False: "ftic-ko", None: "ftic-info"}[ok]
    return f'<div class="ftic-feedback {tone}" role="status" aria-live="polite">{text_html}</div>'


class QuizWidget(widgets.VBox):
    """One scenario, answerable with the keyboard, graded in the kernel."""

    def __init__(self, scenario: Scenario, on_answer: AnswerCallback | None = None) -> None:
        self.scenario = scenario
        self.on_answer = on_answer
        self.events: list[AnswerEvent] = []
        self.finished = False
        header = widgets.HTML(
            f"<h2>{html.escape(scenario.title)}</h2>"
            f'<p class="ftic-theme">Thème : {html.escape(THEME_LABELS[scenario.theme])}</p>'
            f'<div class="ftic-situation">{markdown_html(scenario.situation)}</div>'
        )
        self.feedback = widgets.HTML("")
        self.body = widgets.VBox()
        super().__init__([header, self.body, self.feedback])
        self.add_class("ftic-quiz")
        question = scenario.question
        if isinstance(question, Branching):
            self.run = BranchingRun(scenario)
            self._show_step()
        else:
            self._show_choices(question)

    # -- reporting ---------------------------------------------------------
    def _report(self, event: AnswerEvent) -> None:
        self.events.append(event)
        if event.final:
            self.finished = True
        if self.on_answer is not None:
            self.on_answer(event)

    # -- single and multiple choice -----------------------------------------
    def _show_choices(self, question: SingleChoice | MultipleChoice) -> None:
        prompt = widgets.HTML(f'<p class="ftic-prompt" id="ftic-prompt">{html.escape(question.prompt)}</p>')
        self.submit = SubmitButton("Valider ma réponse", self.answer_selected)
        if isinstance(question, SingleChoice):
            self.selector: widgets.RadioButtons | None = widgets.RadioButtons(
                options=[(c.text, c.id) for c in question.choices],
                value=None,
                description="Réponse",
                layout=widgets.Layout(width="auto"),
                style={"description_width": "initial"},
            )
            self.boxes: list[widgets.Checkbox] = []
            controls: list[widgets.Widget] = [self.selector]
        else:
            self.selector = None
            self.boxes = [
                widgets.Checkbox(
                    value=False, description=c.text, indent=False, layout=widgets.Layout(width="auto")
                )
                for c in question.choices
            ]
            controls = [widgets.HTML("<p><em>Cochez toutes les bonnes réponses.</em></p>"), *self.boxes]
        self.body.children = [prompt, *controls, self.submit]

    def selected_ids(self) -> list[str]:
        """The choice ids currently selected, mapped in the kernel from the widget state."""
        question = self.scenario.question
        assert isinstance(question, SingleChoice | MultipleChoice)
        if self.selector is not None:
            return [] if self.selector.value is None else [str(self.selector.value)]
        return [c.id for c, box in zip(question.choices, self.boxes, strict=True) if box.value]

    def answer_selected(self) -> bool | None:
        """Grade what is selected now; returns the grade or None if nothing valid was chosen."""
        if self.finished:
            return None
        question = self.scenario.question
        assert isinstance(question, SingleChoice | MultipleChoice)
        chosen = self.selected_ids()
        if not chosen:
            self.feedback.value = _status("Choisissez au moins une réponse avant de valider.", None)
            return None
        try:
            grade = grade_choice(question, chosen)
        except GradingError as exc:
            self.feedback.value = _status(html.escape(str(exc)), None)
            return None
        for control in [self.selector, *self.boxes, self.submit]:
            if control is not None:
                control.disabled = True
        verdict = "Bonne réponse." if grade.correct else "Ce n'est pas la bonne réponse."
        texts = {c.id: c.text for c in question.choices}
        items = "".join(
            f"<li><strong>{'✔' if ok else '✘'} {html.escape(texts[cid])}</strong>"
            f"{' (non cochée)' if cid not in grade.selected else ''}"
            f"{markdown_html(fb)}</li>"
            for cid, fb, ok in grade.feedback
        )
        self.feedback.value = _status(
            f"<p><strong>{verdict}</strong></p><ul>{items}</ul>{self._closing()}", grade.correct
        )
        self._report(choice_event(self.scenario, grade))
        return grade.correct

    # -- branching ---------------------------------------------------------
    def _show_step(self, choice_feedback: str | None = None) -> None:
        node = self.run.current
        before = _status(markdown_html(choice_feedback), None) if choice_feedback else ""
        if isinstance(node, Ending):
            self.body.children = []
            passed = self.run.passed
            verdict = "Issue favorable." if passed else "Issue défavorable."
            self.feedback.value = before + _status(
                f"<p><strong>{verdict}</strong></p>{markdown_html(node.feedback)}{self._closing()}",
                passed,
            )
            return
        assert isinstance(node, Step)
        self.feedback.value = before
        prompt = widgets.HTML(f'<p class="ftic-prompt">{html.escape(node.prompt)}</p>')
        self.selector = widgets.RadioButtons(
            options=[(c.text, c.id) for c in node.choices],
            value=None,
            description="Décision",
            layout=widgets.Layout(width="auto"),
            style={"description_width": "initial"},
        )
        self.submit = SubmitButton("Continuer", self.take_decision)
        step_no = len(self.run.choices) + 1
        counter = widgets.HTML(f'<p class="ftic-step">Décision {step_no}</p>')
        self.body.children = [counter, prompt, self.selector, self.submit]

    def take_decision(self) -> None:
        """Take the selected choice of the current branching step."""
        if self.finished or self.selector is None or self.selector.value is None:
            if not self.finished:
                self.feedback.value = _status("Choisissez une décision avant de continuer.", None)
            return
        try:
            _node, choice_feedback, event = self.run.choose(str(self.selector.value))
        except GradingError as exc:
            self.feedback.value = _status(html.escape(str(exc)), None)
            return
        self._show_step(choice_feedback)
        self._report(event)

    # -- shared -------------------------------------------------------------
    def _closing(self) -> str:
        parts = []
        if self.scenario.explanation:
            parts.append(markdown_html(self.scenario.explanation))
        parts.append(f'<p class="ftic-sources">{html.escape(sources_line(self.scenario))}</p>')
        return "".join(parts)


def show_scenario(data: dict[str, Any] | str, on_answer: AnswerCallback | None = None) -> QuizWidget:
    """Build the quiz widget for a scenario given as a dict or JSON text (used by notebooks)."""
    if isinstance(data, str):
        data = json.loads(data)
    return QuizWidget(Scenario.model_validate(data), on_answer=on_answer)
