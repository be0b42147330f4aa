"""Grading, in the kernel: pure functions over a scenario and the ids a learner chose,
and over a whole attempt (score, per-theme results, pass rule)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from .model import Branching, Ending, MultipleChoice, Scenario, SingleChoice, Step, Theme, Verdict

PASS_TOLERANCE = 1e-9
"""A score this close below the pass mark still passes (floating-point ratios such as 4/5)."""


class GradingError(ValueError):
    """A response names a choice that the question does not have."""


@dataclass(frozen=True)
class AnswerEvent:
    """What the quiz runtime reports after each answer (to xAPI and to progress storage)."""

    scenario_id: str
    theme: str
    kind: Literal["single", "multiple", "branching"]
    response: tuple[str, ...]
    """Choice ids; for branching, the choice ids taken so far."""
    correct: bool
    score_raw: float
    score_max: float
    step_id: str | None = None
    """Branching: the step just answered."""
    path: tuple[str, ...] = ()
    """Branching: node ids visited, start first."""
    final: bool = True
    """True when the scenario is finished (always, for choice questions)."""


@dataclass(frozen=True)
class ChoiceGrade:
    """The grade of a single- or multiple-choice answer."""

    correct: bool
    selected: tuple[str, ...]
    expected: tuple[str, ...]
    feedback: tuple[tuple[str, str, bool], ...]
    """(choice id, feedback, is correct) for each selected choice then each missed correct one."""


def grade_choice(question: SingleChoice | MultipleChoice, selected: Iterable[str]) -> ChoiceGrade:
    """Grade the set of choice ids the learner selected; unknown ids raise ``GradingError``."""
    chosen = tuple(dict.fromkeys(selected))
    by_id = {c.id: c for c in question.choices}
    unknown = [c for c in chosen if c not in by_id]
    if unknown:
        raise GradingError(f"choix inconnu : {', '.join(unknown)}")
    if isinstance(question, SingleChoice) and len(chosen) != 1:
        raise GradingError("une seule réponse est attendue")
    expected = tuple(question.correct_ids)
    correct = set(chosen) == set(expected)
    ordered = [c for c in question.choices if c.id in chosen]
    missed = [c for c in question.choices if c.correct and c.id not in chosen]
    feedback = tuple((c.id, c.feedback, c.correct) for c in [*ordered, *missed])
    return ChoiceGrade(correct, chosen, expected, feedback)


def choice_event(scenario: Scenario, grade: ChoiceGrade) -> AnswerEvent:
    """The answer event for a graded choice question."""
    kind = scenario.question.kind
    assert kind in ("single", "multiple")
    return AnswerEvent(
        scenario_id=scenario.id,
        theme=scenario.theme.value,
        kind=kind,
        response=grade.selected,
        correct=grade.correct,
        score_raw=1.0 if grade.correct else 0.0,
        score_max=1.0,
    )


class BranchingRun:
    """A learner's way through a branching scenario, one decision at a time."""

    def __init__(self, scenario: Scenario) -> None:
        if not isinstance(scenario.question, Branching):
            raise GradingError("ce scénario n'est pas à embranchements")
        self.scenario = scenario
        self.question: Branching = scenario.question
        self.path: list[str] = [self.question.start]
        self.choices: list[str] = []

    @property
    def current(self) -> Step | Ending:
        """The step to answer, or the ending reached."""
        node = self.question.node(self.path[-1])
        assert node is not None
        return node

    @property
    def finished(self) -> bool:
        """True once an ending is reached."""
        return isinstance(self.current, Ending)

    @property
    def passed(self) -> bool:
        """True when the ending reached is a pass."""
        node = self.current
        return isinstance(node, Ending) and node.verdict == Verdict.PASS

    def choose(self, choice_id: str) -> tuple[Step | Ending, str | None, AnswerEvent]:
        """Take a choice of the current step; returns the next node, the choice's feedback and the event."""
        step = self.current
        if not isinstance(step, Step):
            raise GradingError("le scénario est déjà terminé")
        choice = next((c for c in step.choices if c.id == choice_id), None)
        if choice is None:
            raise GradingError(f"choix inconnu : {choice_id}")
        self.choices.append(choice.id)
        self.path.append(choice.goto)
        node = self.current
        final = isinstance(node, Ending)
        passed = final and self.passed
        event = AnswerEvent(
            scenario_id=self.scenario.id,
            theme=self.scenario.theme.value,
            kind="branching",
            response=tuple(self.choices),
            correct=passed,
            score_raw=1.0 if passed else 0.0,
            score_max=1.0,
            step_id=step.id,
            path=tuple(self.path),
            final=final,
        )
        return node, choice.feedback, event


# --- a whole attempt ---------------------------------------------------------------------


@dataclass(frozen=True)
class ThemeResult:
    """How one theme of an attempt went."""

    theme: Theme
    right: int
    total: int

    @property
    def mastered(self) -> bool:
        """Every scenario of the theme answered rightly."""
        return self.right == self.total


@dataclass(frozen=True)
class AttemptGrade:
    """The grade of one attempt of the quiz."""

    right: int
    total: int
    pass_mark: float
    themes: tuple[ThemeResult, ...]
    """One result per theme, in the order the themes first appear in the draw."""

    @property
    def score(self) -> float:
        """Scaled score, 0 to 1 (0 for an empty draw)."""
        return self.right / self.total if self.total else 0.0

    @property
    def passed(self) -> bool:
        """The pass rule: the score reaches the pass mark (see :data:`PASS_TOLERANCE`)."""
        return passes(self.score, self.pass_mark)

    @property
    def to_review(self) -> tuple[Theme, ...]:
        """Themes with at least one wrong answer, in draw order."""
        return tuple(t.theme for t in self.themes if not t.mastered)


def passes(score: float, pass_mark: float) -> bool:
    """True when ``score`` (0 to 1) reaches ``pass_mark``."""
    return score >= pass_mark - PASS_TOLERANCE


def grade_attempt(
    scenario_ids: Sequence[str],
    answers: Mapping[str, bool],
    theme_of: Mapping[str, Theme],
    pass_mark: float,
) -> AttemptGrade:
    """Grade an attempt: ``answers`` maps scenario id to its final grade (unanswered = wrong).

    ``theme_of`` gives the theme of each drawn scenario; answers to scenarios outside the
    draw are ignored.
    """
    right = sum(1 for sid in scenario_ids if answers.get(sid))
    per_theme: dict[Theme, list[bool]] = {}
    for sid in scenario_ids:
        per_theme.setdefault(theme_of[sid], []).append(bool(answers.get(sid)))
    themes = tuple(ThemeResult(theme, sum(grades), len(grades)) for theme, grades in per_theme.items())
    return AttemptGrade(right=right, total=len(scenario_ids), pass_mark=pass_mark, themes=themes)
