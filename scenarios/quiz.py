"""Quiz runtime: an ipywidgets component that shows one scenario and grades it in the kernel.

The browser only sends which option is selected; the kernel maps it to a choice id of its own
scenario copy and grades it (``grading``). Every answer is reported through ``on_answer``.

Its buttons are :class:`scenarios.submit.SubmitButton`: their action sees what the page
showed when they were pressed.

Each question's options are one labelled group: the widget carries the classes
``ftic-labelledby--<prompt id>`` and ``ftic-radiogroup`` (or ``ftic-group`` for checkboxes),
which the learner app's page script turns into ``role="radiogroup"``/``"group"`` with
``aria-labelledby`` (and one shared name for the radios: one tab stop, arrow keys inside).
In a branching scenario, the feedback on a decision is shown above the next decision.

With ``focus_feedback`` (the learner app), what follows an answer or a decision takes the
keyboard focus instead of being a live region (read once, and Tab goes on from there): the
widget showing it (the feedback, or the next decision when a decision has none) gets the
class ``ftic-focus-N``, N growing with each one, which the page script turns into a focus move.
"""

from __future__ import annotations

import html
import itertools
import json
from collections.abc import Callable
from typing import Any

import ipywidgets as widgets

from .grading import AnswerEvent, BranchingRun, GradingError, choice_event, grade_choice
from .model import Branching, Ending, MultipleChoice, Scenario, SingleChoice, Step
from .sources import load_registry
from .submit import SubmitButton

AnswerCallback = Callable[[AnswerEvent], None]


_md: Any = None  # markdown-it, imported on first need (learner kernels use the bank's renderings)
_rendered: dict[str, str] = {}
_ids = itertools.count(1)
_focus_ids = itertools.count(1)


def _prompt_id() -> str:
    """A page-unique id for a question's prompt (the label of its group of options)."""
    return f"ftic-prompt-{next(_ids)}"


def _group(widget: widgets.Widget, prompt_id: str, *, radios: bool) -> widgets.Widget:
    """Mark ``widget`` as the group of options labelled by ``prompt_id`` (see the module docstring)."""
    widget.add_class("ftic-radiogroup" if radios else "ftic-group")
    widget.add_class(f"ftic-labelledby--{prompt_id}")
    return widget


def markdown_html(text: str) -> str:
    """Markdown to HTML, raw HTML escaped (scenario text is also checked to contain none).

    Texts rendered beforehand (:func:`remember_rendered`: the shared checked bank carries
    them) are not parsed again, so a learner kernel does not need the Markdown parser.
    """
    cached = _rendered.get(text)
    if cached is not None:
        return cached
    global _md
    if _md is None:
        from markdown_it import MarkdownIt

        _md = MarkdownIt("commonmark", {"html": False})
    return str(_md.render(text))


def markdown_texts(scenario: Scenario) -> list[str]:
    """Every text of ``scenario`` that :class:`QuizWidget` shows as Markdown."""
    texts = [scenario.situation]
    if scenario.explanation:
        texts.append(scenario.explanation)
    question = scenario.question
    if isinstance(question, Branching):
        texts += [c.feedback for s in question.steps for c in s.choices if c.feedback]
        texts += [e.feedback for e in question.endings]
    else:
        texts += [c.feedback for c in question.choices]
    return texts


def remember_rendered(rendered: dict[str, str]) -> None:
    """Use these renderings (Markdown text → HTML) instead of parsing those texts again."""
    _rendered.update(rendered)


def sources_line(scenario: Scenario) -> str:
    """« Sources : section 5.3.1 ; FAQ télétravail, question 15 » for a scenario."""
    registry = load_registry()
    labels = "; ".join(registry.label(c) for c in scenario.sections)
    return f"Sources : {labels}"


def _choice_label(single: bool, chosen: bool, correct: bool) -> str:
    """How an option's feedback starts, in words (a mark alone says nothing to a screen reader)."""
    mark = '<span aria-hidden="true">✔</span>' if correct else '<span aria-hidden="true">✘</span>'
    if single:
        return f"{mark} Votre réponse :" if chosen else f"{mark} La bonne réponse :"
    if chosen:
        return f"{mark} Vous avez coché, avec raison :" if correct else f"{mark} Vous avez coché, à tort :"
    return f"{mark} Il fallait aussi cocher :"


def _status(text_html: str, ok: bool | None, *, live: bool = True) -> str:
    tone = {True: "ftic-ok", False: "ftic-ko", None: "ftic-info"}[ok]
    announce = ' role="status" aria-live="polite"' if live else ""
    return f'<div class="ftic-feedback {tone}"{announce}>{text_html}</div>'


class QuizWidget(widgets.VBox):
    """One scenario, answerable with the keyboard, graded in the kernel.

    ``heading_level``: the level of the scenario's title (1 when it is the page's heading).
    ``focus_feedback``: what follows an answer takes the focus (see the module docstring).
    """

    def __init__(
        self,
        scenario: Scenario,
        on_answer: AnswerCallback | None = None,
        *,
        heading_level: int = 2,
        focus_feedback: bool = False,
    ) -> None:
        self.scenario = scenario
        self.focus_feedback = focus_feedback
        self.on_answer = on_answer
        self.events: list[AnswerEvent] = []
        self.finished = False
        h = f"h{heading_level}"
        header = widgets.HTML(
            f"<{h}>{html.escape(scenario.title)}</{h}>"
            f'<div class="ftic-situation">{markdown_html(scenario.situation)}</div>'
        )
        self.feedback = widgets.HTML("")
        self.step_feedback = widgets.HTML("")
        """Branching: the feedback on the last decision, shown above the next one."""
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
    def _take_focus(self, target: widgets.DOMWidget) -> None:
        """With ``focus_feedback``: ``target`` is what takes the focus now (class ``ftic-focus-N``)."""
        if self.focus_feedback:
            kept = [c for c in target._dom_classes if not c.startswith("ftic-focus-")]
            target._dom_classes = (*kept, f"ftic-focus-{next(_focus_ids)}")

    def _report(self, event: AnswerEvent) -> None:
        self.events.append(event)
        if event.final:
            self.finished = True
        if self.on_answer is not None:
            self.on_answer(event)

    # -- single and multiple choice -----------------------------------------
    def _show_choices(self, question: SingleChoice | MultipleChoice) -> None:
        prompt_id = _prompt_id()
        self.submit = SubmitButton("Valider ma réponse", self.answer_selected)
        if isinstance(question, SingleChoice):
            prompt = widgets.HTML(
                f'<p class="ftic-prompt" id="{prompt_id}">{html.escape(question.prompt)}</p>'
            )
            self.selector: widgets.RadioButtons | None = widgets.RadioButtons(
                options=[(c.text, c.id) for c in question.choices],
                value=None,
                layout=widgets.Layout(width="auto"),
            )
            self.boxes: list[widgets.Checkbox] = []
            controls: list[widgets.Widget] = [_group(self.selector, prompt_id, radios=True)]
        else:
            prompt = widgets.HTML(
                f'<p class="ftic-prompt" id="{prompt_id}">{html.escape(question.prompt)} '
                "<em>(Cochez toutes les bonnes réponses.)</em></p>"
            )
            self.selector = None
            self.boxes = [
                widgets.Checkbox(
                    value=False, description=c.text, indent=False, layout=widgets.Layout(width="auto")
                )
                for c in question.choices
            ]
            controls = [_group(widgets.VBox(self.boxes), prompt_id, radios=False)]
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
        single = isinstance(question, SingleChoice)
        items = "".join(
            f"<li><strong>{_choice_label(single, cid in grade.selected, ok)} "
            f"« {html.escape(texts[cid])} »</strong>{markdown_html(fb)}</li>"
            for cid, fb, ok in grade.feedback
        )
        self.feedback.value = _status(
            f"<p><strong>{verdict}</strong></p><ul>{items}</ul>{self._closing()}",
            grade.correct,
            live=not self.focus_feedback,
        )
        self._take_focus(self.feedback)
        self._report(choice_event(self.scenario, grade))
        return grade.correct

    # -- branching ---------------------------------------------------------
    def _show_step(self, choice_feedback: str | None = None) -> None:
        node = self.run.current
        before = (
            _status(
                f"<p><strong>Votre décision {len(self.run.choices)} :</strong></p>"
                + markdown_html(choice_feedback),
                None,
                live=not self.focus_feedback,
            )
            if choice_feedback
            else ""
        )
        if isinstance(node, Ending):
            self.body.children = []
            passed = self.run.passed
            verdict = "Issue favorable." if passed else "Issue défavorable."
            self.feedback.value = before + _status(
                f"<p><strong>{verdict}</strong></p>{markdown_html(node.feedback)}{self._closing()}",
                passed,
                live=not self.focus_feedback,
            )
            self._take_focus(self.feedback)
            return
        assert isinstance(node, Step)
        self.feedback.value = ""
        self.step_feedback.value = before
        prompt_id = _prompt_id()
        step_no = len(self.run.choices) + 1
        prompt = widgets.HTML(
            f'<p class="ftic-step">Décision {step_no}</p>'
            f'<p class="ftic-prompt" id="{prompt_id}">{html.escape(node.prompt)}</p>'
        )
        self.selector = widgets.RadioButtons(
            options=[(c.text, c.id) for c in node.choices],
            value=None,
            layout=widgets.Layout(width="auto"),
        )
        _group(self.selector, prompt_id, radios=True)
        self.submit = SubmitButton("Continuer", self.take_decision)
        self.body.children = [self.step_feedback, prompt, self.selector, self.submit]
        if before:
            self._take_focus(self.step_feedback)
        elif self.run.choices:  # a decision without feedback: the next decision
            self._take_focus(prompt)

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
