"""Load the scenario bank for learners: checked, with the establishment profile applied."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from .check import CheckResult, check_paths
from .model import Scenario, Usage
from .profile import Profile, render
from .wording import plural


class BankError(ValueError):
    """The scenario bank has problems; ``problems`` lists them."""

    def __init__(self, result: CheckResult) -> None:
        super().__init__(f"{plural(len(result.problems), 'problème')} dans les scénarios")
        self.problems = result.problems


def _render_all(data: Any, profile: Profile) -> Any:
    if isinstance(data, str):
        return render(data, profile)
    if isinstance(data, dict):
        return {k: _render_all(v, profile) for k, v in data.items()}
    if isinstance(data, list):
        return [_render_all(v, profile) for v in data]
    return data


def render_scenario(scenario: Scenario, profile: Profile) -> Scenario:
    """The scenario with every ``{{ etab.… }}`` replaced by the profile's value."""
    return Scenario.model_validate(_render_all(scenario.model_dump(mode="json"), profile))


def load_bank(paths: Iterable[Path], profile: Profile) -> list[Scenario]:
    """Every scenario under ``paths``, rendered; raises ``BankError`` if any file has a problem."""
    result = check_paths(list(paths), profile)
    if not result.ok:
        raise BankError(result)
    return [render_scenario(s.scenario, profile) for s in result.scenarios]


def graded(scenarios: Iterable[Scenario]) -> list[Scenario]:
    """The scenarios of the graded quiz (``usage: evaluation``): their answers are never published."""
    return [s for s in scenarios if s.usage == Usage.EVALUATION]


def practice(scenarios: Iterable[Scenario]) -> list[Scenario]:
    """The practice set (``usage: pratique``): published with its answers in the book."""
    return [s for s in scenarios if s.usage == Usage.PRATIQUE]


def load_graded_bank(paths: Iterable[Path], profile: Profile) -> list[Scenario]:
    """Like :func:`load_bank`, keeping only the graded scenarios: what the quiz may draw from."""
    return graded(load_bank(paths, profile))
