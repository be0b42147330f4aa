"""Helpers of the app's unit tests (no browser): the bank, a key, a journey's context, answers as
the quiz reports them."""

from __future__ import annotations

import random
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric import rsa

from attest import AttestationStore, available_forms, load_directive, load_form
from formation_tic.app.journey import JourneyContext
from formation_tic.app.progress import ProgressStore
from formation_tic.app.settings import LearnerAppSettings
from lrs_export.outbox import Outbox
from lrs_export.settings import LrsSettings
from scenarios.bank import load_bank
from scenarios.grading import AnswerEvent, BranchingRun, choice_event, grade_choice
from scenarios.model import Branching, Ending, MultipleChoice, Scenario, SingleChoice, Step, Verdict
from scenarios.profile import load_profile

BANK = Path(__file__).parent.parent.parent / "scenarios" / "bank"


@cache
def bank() -> dict[str, Scenario]:
    """The source bank, by scenario id (default profile)."""
    return {s.id: s for s in load_bank([BANK], load_profile())}


@cache
def private_key() -> rsa.RSAPrivateKey:
    """A signing key for the tests (generated once)."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@contextmanager
def journey_context(tmp_path: Path, *, seed: int, **overrides: Any) -> Iterator[JourneyContext]:
    """A journey's context on the real stores in ``tmp_path`` (closed after): default settings,
    the source :func:`bank`, the default form and directive, :func:`private_key`, statements as
    JWS extensions and ``random.Random(seed)``; ``overrides``: other JourneyContext fields."""
    with (
        ProgressStore(tmp_path / "progress.db") as progress,
        Outbox(tmp_path / "outbox.db") as outbox,
        AttestationStore(tmp_path / "attestations.db") as store,
    ):
        fields: dict[str, Any] = {
            "settings": LearnerAppSettings(),
            "scenarios": bank(),
            "form": load_form(),
            "forms": available_forms(),
            "directive": load_directive(),
            "progress": progress,
            "outbox": outbox,
            "store": store,
            "private_key": private_key(),
            "lrs": LrsSettings(statement_mode="jws-extension"),
            "rng": random.Random(seed),
        }
        yield JourneyContext(**{**fields, **overrides})


def answer_events(scenario: Scenario, correct: bool) -> list[AnswerEvent]:
    """What the quiz widget reports when the scenario is answered rightly or wrongly.

    Choice questions: one event (``response`` = the ids selected). Branching: one event per
    decision on a path to a pass (or fail) ending (``response[-1]`` = the decision taken).
    """
    q = scenario.question
    if isinstance(q, SingleChoice | MultipleChoice):
        wrong = next(c.id for c in q.choices if not c.correct)
        return [choice_event(scenario, grade_choice(q, q.correct_ids if correct else [wrong]))]
    assert isinstance(q, Branching)
    wanted = Verdict.PASS if correct else Verdict.FAIL

    def walk(node_id: str, seen: frozenset[str]) -> list[str] | None:
        node = q.node(node_id)
        if isinstance(node, Ending):
            return [] if node.verdict == wanted else None
        assert isinstance(node, Step)
        for choice in node.choices:
            rest = None if choice.goto in seen else walk(choice.goto, seen | {choice.goto})
            if rest is not None:
                return [choice.id, *rest]
        return None

    plan = walk(q.start, frozenset({q.start}))
    assert plan is not None
    run = BranchingRun(scenario)
    return [run.choose(choice)[2] for choice in plan]
