"""Draw the quiz of one attempt: N scenarios per theme, every theme and every kind present."""

from __future__ import annotations

import random
from collections.abc import Collection, Sequence
from typing import Protocol, TypeVar

from scenarios.model import Theme

KINDS = ("single", "multiple", "branching")


class DrawError(ValueError):
    """The bank cannot provide the requested draw."""


class Drawable(Protocol):
    """What a draw needs of a scenario (a :class:`~scenarios.model.Scenario`, or the
    :class:`~formation_tic.app.lazy_bank.BankEntry` of one not read yet)."""

    @property
    def id(self) -> str: ...

    @property
    def theme(self) -> Theme: ...

    @property
    def kind(self) -> str: ...


D = TypeVar("D", bound=Drawable)


def draw_quiz(
    bank: Sequence[D],
    per_theme: int,
    rng: random.Random,
    *,
    avoid: Collection[str] = (),
) -> list[D]:
    """``per_theme`` scenarios of each theme present in the bank, in random order.

    Scenarios in ``avoid`` (the previous draw, on a retry) are taken only when a theme has
    nothing else. When possible the draw holds the three kinds (single, multiple, branching).
    """
    by_theme: dict[Theme, list[D]] = {}
    for scenario in bank:
        by_theme.setdefault(scenario.theme, []).append(scenario)
    if not by_theme:
        raise DrawError("la banque de scénarios est vide")
    chosen: dict[Theme, list[D]] = {}
    for theme, pool in by_theme.items():
        fresh = [s for s in pool if s.id not in avoid]
        used = [s for s in pool if s.id in avoid]
        rng.shuffle(fresh)
        rng.shuffle(used)
        chosen[theme] = (fresh + used)[:per_theme]
    for kind in KINDS:
        if any(s.kind == kind for picks in chosen.values() for s in picks):
            continue
        _swap_in(kind, by_theme, chosen, rng)
    result = [s for picks in chosen.values() for s in picks]
    rng.shuffle(result)
    return result


def _swap_in(
    kind: str, by_theme: dict[Theme, list[D]], chosen: dict[Theme, list[D]], rng: random.Random
) -> None:
    """Replace one pick by a scenario of ``kind`` from the same theme, keeping other kinds."""
    themes = list(chosen)
    rng.shuffle(themes)
    for theme in themes:
        picks = chosen[theme]
        candidates = [s for s in by_theme[theme] if s.kind == kind and s not in picks]
        if not candidates:
            continue
        for i, old in enumerate(picks):
            others = [s for t, p in chosen.items() for s in p if not (t == theme and s is old)]
            if any(s.kind == old.kind for s in others):
                picks[i] = rng.choice(candidates)
                return
