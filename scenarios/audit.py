"""Audit the bank for answer cues: can a learner who knows nothing pass the quiz by guessing?

Three families of surface cues are measured, item by item:

* **length**: is the right option the longest (or the shortest) of its item?
* **position**: where does the right option stand, as written? (Options are shuffled for
  each learner and attempt, which neutralises every position strategy; the written order
  is still reported, for the files themselves.)
* **cue words**: does the right option share more significant words with what the learner
  reads before answering (title, situation, question) than the wrong ones? See
  :func:`tokens` and :func:`overlap`.

Then each naive strategy (:data:`STRATEGIES`) is turned into the probability of passing the
exam as configured (one draw per theme, pass mark, attempts), by **exact computation**:

1. for each scenario, the probability ``p`` that the strategy gets it right, graded as
   :mod:`scenarios.grading` does (all or nothing: a multiple-choice item is right only when
   exactly the right options are ticked; a branching scenario only when it ends on a
   ``pass`` ending; no partial credit);
2. for each theme, the distribution of the number of right answers in each attempt, over
   the draw: ``per_theme`` scenarios drawn uniformly among the theme's graded scenarios
   (:func:`is_graded`; practice scenarios are never drawn), a retry
   avoiding the previous attempt's scenarios (as ``formation_tic.app.draw`` does), answers
   independent from one attempt to the next given the draw (new shuffle, new guesses);
3. the themes are independent: their distributions are convolved into the distribution of
   the exam scores of every attempt, from which come the chance to pass the first attempt and
   the chance to pass one of the allowed attempts.

The app's draw also swaps in a scenario when a draw lacks one of the three question kinds;
the exact computation leaves that rare swap out and reports how often it happens
(:attr:`Audit.rebalance_probability`). :func:`simulate` reruns the figures with any
draw function (the app's own, from the CLI), seeded, as a cross-check.

``scenarios check`` uses :func:`length_warnings` for its warning on a right option much longer
than the wrong ones (:data:`LENGTH_MARGIN`).
"""

from __future__ import annotations

import itertools
import math
import random
import re
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from .grading import passes
from .model import Branching, MultipleChoice, Scenario, SingleChoice, Step, Theme, Verdict
from .wording import agree, plural

# --- the exam as configured -----------------------------------------------------------------

DEFAULT_PER_THEME = 1
DEFAULT_PASS_MARK = 0.8
DEFAULT_ATTEMPTS = 3
"""The learner app's defaults (``formation_tic.app.settings.LearnerAppSettings``)."""

TARGET = 0.01
"""A naive strategy must pass within the allowed attempts with a probability under this."""

LENGTH_MARGIN = 0.30
"""``scenarios check`` warns when the right option is longer than every wrong one by this much."""

FIRST_TICKS = 3
"""The « first options » strategy ticks this many options in a multiple-choice item."""


@dataclass(frozen=True)
class ExamRules:
    """Draw size, pass mark and number of attempts (the ``app`` settings of the same names)."""

    per_theme: int = DEFAULT_PER_THEME
    pass_mark: float = DEFAULT_PASS_MARK
    attempts: int = DEFAULT_ATTEMPTS


def is_graded(scenario: Scenario) -> bool:
    """True for a scenario the quiz may draw (``usage: evaluation``, the default).

    Practice scenarios (``usage: pratique``) are published with their answers and never drawn.
    """
    return str(getattr(scenario, "usage", "evaluation")) != "pratique"


# --- text measures ---------------------------------------------------------------------------


def visible_length(text: str) -> int:
    """Characters of an option as shown: whitespace runs count as one space."""
    return len(" ".join(text.split()))


_STOP_TEXT = """
    a ai aie alors au aucun aucune aupres aussi autre autres aux avant avec avez avoir avons
    bien car ce ceci cela celle celles celui ces cet cette ceux chaque comme comment dans de des
    deja doit doivent donc dont du elle elles en encore entre est et etait ete etre eu eux fait
    faire faut ici il ils je la laquelle le lequel les leur leurs lui ma mais me meme memes mes
    moi moins mon ne ni non nos notre nous on ont ou par pas peu peut peuvent plus pour pourquoi
    puis quand que quel quelle quelles quels qui quoi sa sans se selon ses si soit son sont sous
    sur ta te tes toi ton tous tout toute toutes tres tu un une vers vos votre vous
"""
_STOP_WORDS = frozenset(_STOP_TEXT.split())
"""French stop words, without accents (they are removed before the lookup)."""
_WORD = re.compile(r"[^\W\d_]+")
STEM_LENGTH = 6
"""Words are cut to their first six letters: « chiffrement », « chiffrée » → « chiffr »."""


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).replace("œ", "oe")


def tokens(text: str) -> frozenset[str]:
    """Significant words of French text, « lemmatised-lite ».

    Lower case, accents removed, split on anything that is not a letter (« l'usager » gives
    « l » and « usager »), French stop words and words under three letters dropped, a final
    ``s`` or ``x`` removed, then each word cut to its first :data:`STEM_LENGTH` letters.
    """
    out = set()
    for word in _WORD.findall(_fold(text)):
        if len(word) < 3 or word in _STOP_WORDS:
            continue
        if len(word) > 4 and word[-1] in "sx":
            word = word[:-1]
        out.add(word[:STEM_LENGTH])
    return frozenset(out)


def overlap(option: str, stem: str) -> float:
    """Jaccard index of the significant words (:func:`tokens`) of an option and of its stem."""
    a, b = tokens(option), tokens(stem)
    return len(a & b) / len(a | b) if a | b else 0.0


def stem_text(scenario: Scenario, step: Step | None = None) -> str:
    """What the learner reads before choosing: title, situation and question (or step)."""
    question = scenario.question
    prompt = step.prompt if step is not None else getattr(question, "prompt", "")
    return "\n".join([scenario.title, scenario.situation, prompt])


# --- items: a question, or one decisive step of a branching scenario --------------------------


@dataclass(frozen=True)
class Item:
    """One decision: the options shown, which of them are right, and its place in the file."""

    scenario: Scenario
    kind: Literal["single", "multiple", "branching"]
    texts: tuple[str, ...]
    right: tuple[bool, ...]
    stem: str
    where: tuple[str | int, ...]
    """Path of the option list in the file, e.g. ``("question", "steps", 1, "choices")``."""

    @property
    def lengths(self) -> tuple[int, ...]:
        """Visible length of each option."""
        return tuple(visible_length(t) for t in self.texts)

    @property
    def overlaps(self) -> tuple[float, ...]:
        """Cue-word overlap of each option with the stem."""
        return tuple(overlap(t, self.stem) for t in self.texts)


def good_choices(question: Branching) -> dict[str, tuple[bool, ...]]:
    """For each step, which choices still allow a ``pass`` ending (the « right » ones)."""
    winnable: dict[str, bool] = {}

    def can_pass(node_id: str) -> bool:
        if node_id not in winnable:
            winnable[node_id] = False
            node = question.node(node_id)
            if node is None:
                return False
            if isinstance(node, Step):
                winnable[node_id] = any(can_pass(c.goto) for c in node.choices)
            else:
                winnable[node_id] = node.verdict == Verdict.PASS
        return winnable[node_id]

    return {s.id: tuple(can_pass(c.goto) for c in s.choices) for s in question.steps}


def items(scenario: Scenario) -> list[Item]:
    """The scenario's decisions: its question, or its decisive steps (some right, some wrong)."""
    question = scenario.question
    if isinstance(question, SingleChoice | MultipleChoice):
        return [
            Item(
                scenario,
                question.kind,
                tuple(c.text for c in question.choices),
                tuple(c.correct for c in question.choices),
                stem_text(scenario),
                ("question", "choices"),
            )
        ]
    good = good_choices(question)
    found = []
    for index, step in enumerate(question.steps):
        right = good[step.id]
        if any(right) and not all(right):
            found.append(
                Item(
                    scenario,
                    "branching",
                    tuple(c.text for c in step.choices),
                    right,
                    stem_text(scenario, step),
                    ("question", "steps", index, "choices"),
                )
            )
    return found


@dataclass(frozen=True)
class LengthWarning:
    """An item whose right options are all longer than every wrong one by :data:`LENGTH_MARGIN`."""

    where: tuple[str | int, ...]
    """Path of the (shortest) right option's text."""
    right_length: int
    wrong_length: int

    @property
    def message(self) -> str:
        """The warning, in French."""
        more = round(100 * (self.right_length / self.wrong_length - 1)) if self.wrong_length else 100
        return (
            f"la bonne réponse est nettement la plus longue ({self.right_length} caractères, "
            f"{more} % de plus que la plus longue des mauvaises, {self.wrong_length}) : "
            "elle se devine sans connaître la matière ; raccourcissez-la ou étoffez les autres"
        )


def length_warnings(
    scenario: Scenario, margin: float = LENGTH_MARGIN, render: Callable[[str], str] | None = None
) -> list[LengthWarning]:
    """Items whose shortest right option is longer than the longest wrong one by ``margin``.

    ``render`` turns an option's text into what learners read (the profile's placeholders
    replaced); lengths are measured on that.
    """
    found = []
    for item in items(scenario):
        lengths = tuple(visible_length(render(t)) for t in item.texts) if render else item.lengths
        right = [i for i, ok in enumerate(item.right) if ok]
        wrong = [lengths[i] for i, ok in enumerate(item.right) if not ok]
        if not right or not wrong:
            continue
        shortest = min(right, key=lambda i: lengths[i])
        if lengths[shortest] >= (1 + margin) * max(wrong):
            found.append(LengthWarning((*item.where, shortest, "text"), lengths[shortest], max(wrong)))
    return found


# --- strategies ---------------------------------------------------------------------------------

Rule = Literal["random", "longest", "shortest", "middle", "first", "cue"]
RULES: tuple[Rule, ...] = ("random", "longest", "shortest", "middle", "first", "cue")
RULE_LABELS: dict[str, str] = {
    "random": "au hasard",
    "longest": "la plus longue",
    "shortest": "la plus courte",
    "middle": "ni la plus longue ni la plus courte",
    "first": "les premières",
    "cue": "mots de l'énoncé",
}
KINDS = ("single", "multiple", "branching")


@dataclass(frozen=True)
class Strategy:
    """A naive way of answering: one rule per question kind, options shuffled or not."""

    id: str
    label: str
    rules: Mapping[str, Rule]
    shuffled: bool
    """True when options are shown in a new random order (position strategies then guess)."""

    @classmethod
    def uniform(cls, rule: Rule, *, shuffled: bool) -> Strategy:
        """The same rule for every kind of question."""
        order = "ordre mélangé" if shuffled else "ordre écrit"
        label = RULE_LABELS[rule] + (f" ({order})" if rule == "first" else "")
        sid = rule + ("" if rule != "first" else "-shuffled" if shuffled else "-as-written")
        return cls(sid, label, dict.fromkeys(KINDS, rule), shuffled)


STRATEGIES: tuple[Strategy, ...] = (
    Strategy.uniform("random", shuffled=True),
    Strategy.uniform("longest", shuffled=True),
    Strategy.uniform("shortest", shuffled=True),
    Strategy.uniform("middle", shuffled=True),
    Strategy.uniform("first", shuffled=False),
    Strategy.uniform("first", shuffled=True),
    Strategy.uniform("cue", shuffled=True),
)
"""The naive strategies always audited. Length and cue-word rules do not depend on the order;
« first » is reported for the written order and for shuffled options."""


def _argbest(values: Sequence[float], best: Callable[[Iterable[float]], float]) -> list[int]:
    top = best(values)
    return [i for i, v in enumerate(values) if math.isclose(v, top, rel_tol=1e-12, abs_tol=1e-12)]


def pick_distribution(item: Item, rule: Rule, shuffled: bool) -> dict[int, float]:
    """Single choice or branching step: probability of picking each option (ties: at random)."""
    n = len(item.texts)
    if rule == "random" or (rule == "first" and shuffled):
        chosen = list(range(n))
    elif rule == "first":
        chosen = [0]
    elif rule == "longest":
        chosen = _argbest([float(x) for x in item.lengths], max)
    elif rule == "shortest":
        chosen = _argbest([float(x) for x in item.lengths], min)
    elif rule == "middle":
        lengths = item.lengths
        chosen = [i for i, x in enumerate(lengths) if min(lengths) < x < max(lengths)] or list(range(n))
    else:
        chosen = _argbest(item.overlaps, max)
    return {i: 1 / len(chosen) for i in chosen}


def _above_mean(values: Sequence[float], *, below: bool = False) -> frozenset[int]:
    mean = sum(values) / len(values)
    picked = [i for i, v in enumerate(values) if (v < mean if below else v > mean)]
    return frozenset(picked or range(len(values)))


def multiple_success(item: Item, rule: Rule, shuffled: bool) -> float:
    """Multiple choice: probability that the rule ticks exactly the right options.

    random: a non-empty set of options, uniformly; longest (shortest): the options longer
    (shorter) than the item's mean; middle: all but the longest and the shortest; cue: those
    above the mean overlap; first: the first :data:`FIRST_TICKS` options (a random set of that
    size when shuffled).
    """
    n = len(item.texts)
    right = frozenset(i for i, ok in enumerate(item.right) if ok)
    if rule == "random":
        return 1 / (2**n - 1)
    if rule == "first":
        size = min(FIRST_TICKS, n)
        if shuffled:
            return 1 / math.comb(n, size) if len(right) == size else 0.0
        return 1.0 if right == frozenset(range(size)) else 0.0
    if rule == "middle":
        lengths = item.lengths
        picked = frozenset(i for i, x in enumerate(lengths) if min(lengths) < x < max(lengths))
        picked = picked or frozenset(range(n))
    elif rule in ("longest", "shortest"):
        picked = _above_mean([float(x) for x in item.lengths], below=rule == "shortest")
    else:
        picked = _above_mean(item.overlaps)
    return 1.0 if picked == right else 0.0


def success_probability(scenario: Scenario, rule: Rule, shuffled: bool) -> float:
    """Probability that ``rule`` gets the scenario right, graded as :mod:`scenarios.grading` does."""
    question = scenario.question
    if isinstance(question, SingleChoice | MultipleChoice):
        (item,) = items(scenario)
        if isinstance(question, MultipleChoice):
            return multiple_success(item, rule, shuffled)
        dist = pick_distribution(item, rule, shuffled)
        return sum(p for i, p in dist.items() if item.right[i])
    stem_items = {
        step.id: Item(
            scenario,
            "branching",
            tuple(c.text for c in step.choices),
            (False,) * len(step.choices),
            stem_text(scenario, step),
            (),
        )
        for step in question.steps
    }
    memo: dict[str, float] = {}

    def value(node_id: str) -> float:
        if node_id not in memo:
            node = question.node(node_id)
            if isinstance(node, Step):
                dist = pick_distribution(stem_items[node.id], rule, shuffled)
                memo[node_id] = sum(p * value(node.choices[i].goto) for i, p in dist.items())
            else:
                memo[node_id] = 1.0 if node is not None and node.verdict == Verdict.PASS else 0.0
        return memo[node_id]

    return value(question.start)


def strategy_probabilities(bank: Sequence[Scenario], strategy: Strategy) -> dict[str, float]:
    """Scenario id → probability that the strategy gets it right."""
    return {s.id: success_probability(s, strategy.rules[s.question.kind], strategy.shuffled) for s in bank}


def best_combination(bank: Sequence[Scenario], *, shuffled: bool) -> Strategy:
    """For each kind, the rule that gets the most scenarios of that kind right on average."""
    rules: dict[str, Rule] = {}
    for kind in KINDS:
        of_kind = [s for s in bank if s.question.kind == kind]
        candidates = [r for r in RULES if not (shuffled and r == "first")]
        if not of_kind:
            rules[kind] = "random"
            continue
        rules[kind] = max(candidates, key=lambda r: sum(success_probability(s, r, shuffled) for s in of_kind))
    order = "ordre mélangé" if shuffled else "ordre écrit"
    sid = "best-combination-" + ("shuffled" if shuffled else "as-written")
    return Strategy(sid, f"meilleure combinaison ({order})", rules, shuffled)


# --- exact exam odds ----------------------------------------------------------------------------


def needed(total: int, pass_mark: float) -> int:
    """Fewest right answers out of ``total`` that pass (the rule of :func:`scenarios.grading.passes`)."""
    return next((r for r in range(total + 1) if passes(r / total if total else 0.0, pass_mark)), total + 1)


def _count_distribution(probabilities: Sequence[float]) -> list[float]:
    """Distribution of the number of successes of independent trials (Poisson binomial)."""
    dist = [1.0]
    for p in probabilities:
        nxt = [0.0] * (len(dist) + 1)
        for k, w in enumerate(dist):
            nxt[k] += w * (1 - p)
            nxt[k + 1] += w * p
        dist = nxt
    return dist


def _picks(size: int, pool: int, avoid: frozenset[int]) -> list[tuple[frozenset[int], float]]:
    """The draw of one theme, as ``draw_quiz`` does: a uniform set, fresh scenarios first."""
    fresh = [i for i in range(pool) if i not in avoid]
    used = [i for i in range(pool) if i in avoid]
    if len(fresh) >= size:
        sets = [frozenset(c) for c in itertools.combinations(fresh, size)]
    else:
        sets = [frozenset(fresh) | frozenset(c) for c in itertools.combinations(used, size - len(fresh))]
    return [(s, 1 / len(sets)) for s in sets]


def theme_distribution(
    probabilities: Sequence[float], per_theme: int, attempts: int
) -> dict[tuple[int, ...], float]:
    """One theme: distribution of (right answers in attempt 1, …, in attempt ``attempts``)."""
    size = min(per_theme, len(probabilities))
    states: dict[tuple[frozenset[int], tuple[int, ...]], float] = {(frozenset(), ()): 1.0}
    for _ in range(attempts):
        nxt: dict[tuple[frozenset[int], tuple[int, ...]], float] = defaultdict(float)
        for (previous, counts), weight in states.items():
            for pick, pick_weight in _picks(size, len(probabilities), previous):
                for right, w in enumerate(_count_distribution([probabilities[i] for i in sorted(pick)])):
                    if w:
                        nxt[(pick, (*counts, right))] += weight * pick_weight * w
        states = nxt
    out: dict[tuple[int, ...], float] = defaultdict(float)
    for (_, counts), weight in states.items():
        out[counts] += weight
    return dict(out)


def _themes(bank: Sequence[Scenario]) -> dict[Theme, list[Scenario]]:
    by_theme: dict[Theme, list[Scenario]] = {}
    for scenario in bank:
        by_theme.setdefault(scenario.theme, []).append(scenario)
    return by_theme


def exam_size(bank: Sequence[Scenario], per_theme: int) -> int:
    """Number of scenarios in one attempt."""
    return sum(min(per_theme, len(pool)) for pool in _themes(bank).values())


@dataclass(frozen=True)
class Odds:
    """A strategy's chances: first attempt, and any of the allowed attempts."""

    first_attempt: float
    within_attempts: float


def exam_odds(bank: Sequence[Scenario], probabilities: Mapping[str, float], rules: ExamRules) -> Odds:
    """Exact chance to pass, given each scenario's success probability (see the module doc)."""
    total = exam_size(bank, rules.per_theme)
    need = needed(total, rules.pass_mark)
    joint: dict[tuple[int, ...], float] = {(0,) * rules.attempts: 1.0}
    for pool in _themes(bank).values():
        theme = theme_distribution([probabilities[s.id] for s in pool], rules.per_theme, rules.attempts)
        nxt: dict[tuple[int, ...], float] = defaultdict(float)
        for counts, weight in joint.items():
            for more, w in theme.items():
                nxt[tuple(a + b for a, b in zip(counts, more, strict=True))] += weight * w
        joint = nxt
    first = sum(w for counts, w in joint.items() if counts[0] >= need)
    within = sum(w for counts, w in joint.items() if any(c >= need for c in counts))
    return Odds(min(first, 1.0), min(within, 1.0))


def rebalance_probability(bank: Sequence[Scenario], per_theme: int) -> float:
    """Chance that one attempt's draw lacks a kind present in the bank (the app then swaps one in).

    Each attempt's draw is uniform within each theme (a retry's too, by symmetry), and the
    themes are independent, so this is the same for every attempt.
    """
    themes = list(_themes(bank).values())
    present = {s.question.kind for s in bank}
    # inclusion-exclusion over the set of missing kinds
    total = 0.0
    for r in range(1, len(present) + 1):
        for missing in itertools.combinations(sorted(present), r):
            prob = 1.0
            for pool in themes:
                size = min(per_theme, len(pool))
                ok = sum(1 for s in pool if s.question.kind not in missing)
                prob *= math.comb(ok, size) / math.comb(len(pool), size)
            total += (-1) ** (r + 1) * prob
    return max(total, 0.0)


# --- seeded simulation with any draw function -----------------------------------------------------

DrawFunction = Callable[..., Sequence[Scenario]]
"""``draw(bank, per_theme, rng, avoid=ids)`` → the scenarios of one attempt (``draw_quiz``)."""


def _tail(probabilities: Sequence[float], need: int) -> float:
    if all(p in (0.0, 1.0) for p in probabilities):
        return 1.0 if sum(probabilities) >= need else 0.0
    return sum(_count_distribution(probabilities)[need:])


def simulate(
    bank: Sequence[Scenario],
    probabilities: Mapping[str, Mapping[str, float]],
    rules: ExamRules,
    draw: DrawFunction,
    *,
    runs: int,
    seed: int = 13,
) -> dict[str, Odds]:
    """Strategy id → odds, averaged over ``runs`` seeded sequences of draws made by ``draw``.

    Only the draws are simulated: given them, the chance to pass is computed exactly.
    """
    rng = random.Random(seed)
    total = exam_size(bank, rules.per_theme)
    need = needed(total, rules.pass_mark)
    first: dict[str, float] = dict.fromkeys(probabilities, 0.0)
    within: dict[str, float] = dict.fromkeys(probabilities, 0.0)
    for _ in range(runs):
        avoid: Collection[str] = ()
        fail_all = dict.fromkeys(probabilities, 1.0)
        for attempt in range(rules.attempts):
            drawn = draw(list(bank), rules.per_theme, rng, avoid=avoid)
            for sid, probs in probabilities.items():
                chance = _tail([probs[s.id] for s in drawn], need)
                if attempt == 0:
                    first[sid] += chance
                fail_all[sid] *= 1 - chance
            avoid = [s.id for s in drawn]
        for sid in probabilities:
            within[sid] += 1 - fail_all[sid]
    return {sid: Odds(first[sid] / runs, within[sid] / runs) for sid in probabilities}


# --- the whole audit ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class StrategyResult:
    """A strategy, its exact odds and the scenarios it gets right more often than not."""

    strategy: Strategy
    odds: Odds
    mean_success: float
    """Mean per-scenario success probability over the bank."""
    won: tuple[str, ...]
    """Scenarios the strategy gets right with probability over 1/2."""
    simulated: Odds | None = None


@dataclass(frozen=True)
class KindCues:
    """Surface cues over the items of one kind (a branching scenario counts its decisive steps)."""

    kind: str
    items: int
    right_longest: int
    """Single/branching: a right option is strictly the longest. Multiple: the right options
    are exactly the longest ones (as many as there are right options)."""
    right_shortest: int
    right_first: int
    """Single/branching: the first option is right. Multiple: the right options come first."""
    positions: tuple[int, ...]
    """Single/branching: how many right options stand 1st, 2nd, … (as written)."""
    cue_favoured: int
    """Items whose right options overlap the stem strictly more than every wrong one."""
    mean_overlap_right: float
    mean_overlap_wrong: float
    length_warnings: int
    by_chance: float = 0.0
    """Single/branching: how many items would have a right option at any given rank (longest,
    shortest, first) if options were ordered at random — the yardstick for the three counts."""


@dataclass(frozen=True)
class Audit:
    """Everything ``formation-tic scenarios audit`` reports."""

    rules: ExamRules
    scenarios: int
    themes: int
    exam_size: int
    needed: int
    kinds: tuple[KindCues, ...]
    strategies: tuple[StrategyResult, ...]
    rebalance_probability: float
    simulation_runs: int = 0
    simulation_seed: int | None = None
    offenders: tuple[tuple[str, tuple[str, ...]], ...] = field(default=())
    """Scenario id → naive strategies that get it right (probability over 1/2)."""
    practice: int = 0
    """Practice scenarios left out (never drawn in the quiz)."""

    @property
    def worst(self) -> StrategyResult:
        """The strategy most likely to pass within the allowed attempts."""
        return max(self.strategies, key=lambda r: r.odds.within_attempts)

    @property
    def meets_target(self) -> bool:
        """Every naive strategy passes within the allowed attempts with probability < :data:`TARGET`."""
        return all(r.odds.within_attempts < TARGET for r in self.strategies)


def _kind_cues(kind: str, found: list[Item]) -> KindCues:
    longest = shortest = first = favoured = warnings = 0
    by_chance = 0.0
    width = max((len(i.texts) for i in found), default=0)
    positions = [0] * width
    right_overlaps: list[float] = []
    wrong_overlaps: list[float] = []
    for item in found:
        lengths, overlaps = item.lengths, item.overlaps
        right = [i for i, ok in enumerate(item.right) if ok]
        wrong = [i for i, ok in enumerate(item.right) if not ok]
        right_overlaps += [overlaps[i] for i in right]
        wrong_overlaps += [overlaps[i] for i in wrong]
        if wrong and min(lengths[i] for i in right) >= (1 + LENGTH_MARGIN) * max(lengths[i] for i in wrong):
            warnings += 1
        if wrong and min(overlaps[i] for i in right) > max(overlaps[i] for i in wrong):
            favoured += 1
        if kind == "multiple":
            by_length = sorted(range(len(lengths)), key=lambda i: -lengths[i])
            top = by_length[: len(right)]
            cut_ok = len(right) == len(lengths) or lengths[top[-1]] > lengths[by_length[len(right)]]
            longest += set(top) == set(right) and cut_ok
            by_short = sorted(range(len(lengths)), key=lambda i: lengths[i])
            low = by_short[: len(right)]
            cut_short = len(right) == len(lengths) or lengths[low[-1]] < lengths[by_short[len(right)]]
            shortest += set(low) == set(right) and cut_short
            first += set(right) == set(range(len(right)))
        else:
            top_len, low_len = max(lengths), min(lengths)
            longest += lengths.count(top_len) == 1 and item.right[lengths.index(top_len)]
            shortest += lengths.count(low_len) == 1 and item.right[lengths.index(low_len)]
            first += item.right[0]
            by_chance += len(right) / len(lengths)
            for i in right:
                positions[i] += 1

    def mean(xs: list[float]) -> float:
        return sum(xs) / len(xs) if xs else 0.0

    return KindCues(
        kind,
        len(found),
        longest,
        shortest,
        first,
        tuple(positions) if kind != "multiple" else (),
        favoured,
        mean(right_overlaps),
        mean(wrong_overlaps),
        warnings,
        by_chance,
    )


def audit(
    bank: Sequence[Scenario],
    rules: ExamRules | None = None,
    *,
    draw: DrawFunction | None = None,
    runs: int = 0,
    seed: int = 13,
) -> Audit:
    """Audit ``bank`` (rendered scenarios) for the exam ``rules``.

    Only graded scenarios (:func:`is_graded`) count: practice ones are never drawn. With
    ``draw`` and ``runs`` > 0, every strategy is also simulated with that draw function.
    """
    rules = rules or ExamRules()
    practice = sum(1 for s in bank if not is_graded(s))
    bank = [s for s in bank if is_graded(s)]
    all_items = [item for s in bank for item in items(s)]
    kinds = tuple(_kind_cues(kind, [i for i in all_items if i.kind == kind]) for kind in KINDS)
    strategies = [*STRATEGIES, best_combination(bank, shuffled=False), best_combination(bank, shuffled=True)]
    probabilities = {st.id: strategy_probabilities(bank, st) for st in strategies}
    simulated = (
        simulate(bank, probabilities, rules, draw, runs=runs, seed=seed) if draw is not None and runs else {}
    )
    results = []
    for st in strategies:
        probs = probabilities[st.id]
        results.append(
            StrategyResult(
                st,
                exam_odds(bank, probs, rules),
                sum(probs.values()) / len(probs) if probs else 0.0,
                tuple(sid for sid, p in probs.items() if p > 0.5),
                simulated.get(st.id),
            )
        )
    offenders: dict[str, list[str]] = {}
    for result in results[: len(STRATEGIES)]:
        if result.strategy.id in ("random", "first-shuffled"):
            continue
        for sid in result.won:
            offenders.setdefault(sid, []).append(result.strategy.id)
    return Audit(
        rules=rules,
        scenarios=len(bank),
        themes=len(_themes(bank)),
        exam_size=exam_size(bank, rules.per_theme),
        needed=needed(exam_size(bank, rules.per_theme), rules.pass_mark),
        kinds=kinds,
        strategies=tuple(results),
        rebalance_probability=rebalance_probability(bank, rules.per_theme) if bank else 0.0,
        simulation_runs=runs if simulated else 0,
        simulation_seed=seed if simulated else None,
        offenders=tuple((sid, tuple(ids)) for sid, ids in sorted(offenders.items())),
        practice=practice,
    )


# --- output ------------------------------------------------------------------------------------------


def percent(value: float, digits: int = 1) -> str:
    """« 18,2 % » ; a value too small for ``digits`` is written « 1 sur 790 000 » (two
    significant figures), and zero « 0 »."""
    if value == 0:
        return "0"
    if value < 0.5 * 10 ** -(digits + 2):
        one_in = float(f"{1 / value:.2g}")
        return "1 sur " + f"{one_in:,.0f}".replace(",", " ")
    return f"{100 * value:.{digits}f} %".replace(".", ",")


def _ratio(part: int, whole: int) -> str:
    return f"{part}/{whole}" + (f" ({round(100 * part / whole)} %)" if whole else "")


KIND_LABELS = {
    "single": "Choix unique",
    "multiple": "Choix multiples",
    "branching": "Étapes d'embranchement",
}
KIND_NAMES = {"single": "choix unique", "multiple": "choix multiples", "branching": "embranchements"}


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]

    def line(row: Sequence[str]) -> str:
        cells = zip(row, widths, strict=True)
        return "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(cells))

    return [line(header), "  ".join("-" * w for w in widths), *(line(r) for r in rows)]


def render_text(result: Audit) -> str:
    """The audit as a French, readable report for the terminal."""
    r = result.rules
    out = [
        "Audit des indices de réponse",
        "",
        f"Banque : {plural(result.scenarios, 'scénario noté', 'scénarios notés')}"
        + (
            f" (et {result.practice} de pratique, jamais {agree(result.practice, 'tiré', 'tirés')} au sort)"
            if result.practice
            else ""
        )
        + f", {plural(result.themes, 'thème')}. Examen : {plural(r.per_theme, 'scénario')} par thème, "
        f"soit {result.exam_size} ; note de passage {percent(r.pass_mark, 0)} "
        f"({plural(result.needed, 'bonne réponse', 'bonnes réponses')} sur {result.exam_size}) ; "
        f"{plural(r.attempts, 'essai')}.",
        "",
        "1. Indices de surface (ordre écrit dans les fichiers)",
        "",
    ]
    rows = []
    for k in result.kinds:
        rows.append(
            [
                KIND_LABELS[k.kind],
                str(k.items),
                f"{k.by_chance:.1f}".replace(".", ",") if k.kind != "multiple" else "",
                _ratio(k.right_longest, k.items),
                _ratio(k.right_shortest, k.items),
                _ratio(k.right_first, k.items),
                _ratio(k.cue_favoured, k.items),
                str(k.length_warnings),
            ]
        )
    out += _table(
        [
            "Type",
            "Items",
            "Hasard",
            "Bonne = + longue",
            "Bonne = + courte",
            "Bonne en tête",
            "Mots de l'énoncé",
            "Écart ≥ 30 %",
        ],
        rows,
    )
    out.append("")
    for k in result.kinds:
        if k.positions:
            spread = ", ".join(f"{i + 1}{'re' if i == 0 else 'e'} : {n}" for i, n in enumerate(k.positions))
            out.append(f"Position des bonnes réponses, {KIND_LABELS[k.kind].lower()} : {spread}.")
    for k in result.kinds:
        out.append(
            f"Recoupement moyen avec l'énoncé, {KIND_LABELS[k.kind].lower()} : bonnes "
            f"{k.mean_overlap_right:.3f}, mauvaises {k.mean_overlap_wrong:.3f}.".replace(".", ",", 2)
        )
    out += [
        "",
        "« Hasard » : combien d'items auraient une bonne réponse au rang « + longue », « + courte »",
        "ou « en tête » si l'ordre et les longueurs ne disaient rien (repère pour ces trois colonnes).",
        "",
        "Les choix sont mélangés pour chaque personne et chaque essai : les stratégies de",
        "position (« les premières ») ne valent alors pas mieux que le hasard.",
        "",
        "2. Chances de réussir sans rien savoir (calcul exact)",
        "",
    ]
    header = ["Stratégie", "Scénarios réussis (moy.)", "1 essai", f"En {plural(r.attempts, 'essai')}"]
    if result.simulation_runs:
        header.append("Simulation")
    rows = []
    for s in result.strategies:
        row = [
            s.strategy.label,
            percent(s.mean_success),
            percent(s.odds.first_attempt, 2),
            percent(s.odds.within_attempts, 2),
        ]
        if result.simulation_runs:
            row.append(percent(s.simulated.within_attempts, 2) if s.simulated else "")
        rows.append(row)
    out += _table(header, rows)
    for s in result.strategies:
        if s.strategy.id.startswith("best-combination"):
            parts = ", ".join(f"{KIND_NAMES[k]} : {RULE_LABELS[s.strategy.rules[k]]}" for k in KINDS)
            out.append(f"  {s.strategy.label} : {parts}.")
    out += [
        "",
        f"Un tirage sur {1 / result.rebalance_probability:.0f} environ manque d'un type de question"
        if result.rebalance_probability
        else "Chaque tirage contient les trois types de question",
        f"({percent(result.rebalance_probability, 2)}) ; l'application y remplace alors un scénario,",
        "ce que le calcul exact ne modélise pas"
        + (
            f" ; la simulation ({result.simulation_runs} séries d'essais, graine "
            f"{result.simulation_seed}) utilise le tirage réel."
            if result.simulation_runs
            else "."
        ),
        "",
    ]
    worst = result.worst
    verdict = "atteinte" if result.meets_target else "NON atteinte"
    out.append(
        f"Cible (chaque stratégie naïve < {percent(TARGET, 0)} en {plural(r.attempts, 'essai')}) : "
        f"{verdict} ; pire stratégie : {worst.strategy.label}, {percent(worst.odds.within_attempts, 2)}."
    )
    if result.offenders:
        out += ["", "Scénarios qu'une stratégie naïve réussit plus d'une fois sur deux :"]
        for sid, ids in result.offenders:
            names = {s.strategy.id: s.strategy.label for s in result.strategies}
            labels = ", ".join(names[i] for i in ids)
            out.append(f"  {sid} : {labels}")
    return "\n".join(out) + "\n"


def to_json(result: Audit) -> dict[str, Any]:
    """The audit as plain data (``--json``)."""

    def odds(o: Odds | None) -> dict[str, float] | None:
        return None if o is None else {"first_attempt": o.first_attempt, "within_attempts": o.within_attempts}

    return {
        "rules": {
            "per_theme": result.rules.per_theme,
            "pass_mark": result.rules.pass_mark,
            "attempts": result.rules.attempts,
        },
        "bank": {
            "scenarios": result.scenarios,
            "themes": result.themes,
            "practice": result.practice,
            "exam_size": result.exam_size,
            "needed": result.needed,
        },
        "method": "exact",
        "cues": [
            {
                "kind": k.kind,
                "items": k.items,
                "right_longest": k.right_longest,
                "right_shortest": k.right_shortest,
                "right_first": k.right_first,
                "positions": list(k.positions),
                "cue_favoured": k.cue_favoured,
                "mean_overlap_right": k.mean_overlap_right,
                "mean_overlap_wrong": k.mean_overlap_wrong,
                "length_warnings": k.length_warnings,
                "by_chance": k.by_chance,
            }
            for k in result.kinds
        ],
        "strategies": [
            {
                "id": s.strategy.id,
                "label": s.strategy.label,
                "rules": dict(s.strategy.rules),
                "shuffled": s.strategy.shuffled,
                "mean_success": s.mean_success,
                **odds(s.odds),  # type: ignore[dict-item]
                "simulated": odds(s.simulated),
                "won": list(s.won),
            }
            for s in result.strategies
        ],
        "rebalance_probability": result.rebalance_probability,
        "simulation": {"runs": result.simulation_runs, "seed": result.simulation_seed}
        if result.simulation_runs
        else None,
        "target": TARGET,
        "meets_target": result.meets_target,
        "offenders": {sid: list(ids) for sid, ids in result.offenders},
    }
