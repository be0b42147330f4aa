"""Answer options in an order of the learner's own, stable for one attempt.

The order of the options is no clue to the answer: each learner, in each attempt, sees
them in an order drawn from the attempt's registration (a random UUID) and the scenario's
id. The same attempt always shows the same order (a reload, a resume), and the statements
describe the options in the order the person saw them.
"""

from __future__ import annotations

import hashlib
import random

from .model import Branching, MultipleChoice, Scenario, SingleChoice


def shuffled(scenario: Scenario, seed: str) -> Scenario:
    """``scenario`` with its options (and each branching step's) in the order for ``seed``."""
    digest = hashlib.sha256(f"{seed}\x00{scenario.id}".encode()).digest()
    rng = random.Random(int.from_bytes(digest[:8], "big"))
    question = scenario.question
    if isinstance(question, SingleChoice | MultipleChoice):
        choices = rng.sample(question.choices, len(question.choices))
        question = question.model_copy(update={"choices": choices})
    elif isinstance(question, Branching):
        steps = [
            step.model_copy(update={"choices": rng.sample(step.choices, len(step.choices))})
            for step in question.steps
        ]
        question = question.model_copy(update={"steps": steps})
    return scenario.model_copy(update={"question": question})
