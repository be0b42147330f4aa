"""Item analysis for trainers, from the ``answered`` statements pulled from the LRS.

Per scenario: answers, people, success rate, the most chosen wrong answer (choice
scenarios: the exact wrong response, shown with the choices' text) and, for branching
scenarios, the most common wrong path (the nodes visited, from the path extension of the
final ``answered`` statement). Scenarios almost everyone fails or passes are flagged.
Only employee numbers are read; the analysis itself carries no identity at all. The
statements are grouped in SQL by :func:`lrs_export.pulled.answer_summary`.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter, defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from lrs_export import vocabulary as V
from lrs_export.pulled import SCENARIO_PREFIX, PulledStatementsError, answer_summary

from .errors import HrError

RESPONSE_SEPARATOR = "[,]"

Flag = Literal["presque-tous-echouent", "presque-tous-reussissent"]
FLAG_LABELS: dict[str, str] = {
    "presque-tous-echouent": "Presque tout le monde échoue : question ambiguë ou contenu à revoir ?",
    "presque-tous-reussissent": "Presque tout le monde réussit : question trop facile ?",
}


class ItemThresholds(BaseModel):
    """When a scenario is flagged."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    min_attempts: int = Field(default=10, ge=1)
    low_rate: float = Field(default=0.2, ge=0, le=1)
    high_rate: float = Field(default=0.95, ge=0, le=1)


class ItemStat(BaseModel):
    """The figures of one scenario."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    scenario_id: str
    title: str
    interaction_type: str
    answers: int
    people: int
    successes: int
    success_rate: float
    top_wrong_response: str | None = None
    top_wrong_response_count: int = 0
    top_wrong_path: str | None = None
    top_wrong_path_count: int = 0
    flag: Flag | None = None

    @property
    def flag_label(self) -> str:
        """The flag in French (empty when none)."""
        return FLAG_LABELS[self.flag] if self.flag else ""


def _choice_texts(definition: dict[str, Any]) -> dict[str, str]:
    texts: dict[str, str] = {}
    for choice in definition.get("choices") or []:
        description = choice.get("description") or {}
        text = description.get(V.LANGUAGE) or next(iter(description.values()), None)
        if isinstance(choice.get("id"), str) and isinstance(text, str):
            texts[choice["id"]] = text
    return texts


def _response_label(response: str, texts: dict[str, str]) -> str:
    ids = [part for part in response.split(RESPONSE_SEPARATOR) if part]
    if not ids:
        return "(aucune réponse)"
    return " + ".join(f"{texts[i]} ({i})" if i in texts else i for i in ids)


def analyze_items(
    statements_db: Path,
    *,
    employees: Iterable[str] | None = None,
    since: dt.date | None = None,
    until: dt.date | None = None,
    thresholds: ItemThresholds | None = None,
) -> list[ItemStat]:
    """Figures per scenario, worst success rate first.

    ``employees`` restricts the analysis to these employee numbers (a direction, a team);
    ``since``/``until`` to answers in that date range (UTC, inclusive).
    """
    thresholds = thresholds or ItemThresholds()
    try:
        summary = answer_summary(Path(statements_db), actors=employees, since=since, until=until)
    except PulledStatementsError as exc:
        raise HrError(str(exc)) from exc

    answers: Counter[str] = Counter()
    successes: Counter[str] = Counter()
    wrong_responses: dict[str, Counter[str]] = defaultdict(Counter)
    wrong_paths: dict[str, Counter[str]] = defaultdict(Counter)
    for obj, success, response, path_json, n in summary.groups:
        answers[obj] += n
        if success:
            successes[obj] += n
            continue
        wrong_responses[obj][response or ""] += n
        if path_json:
            try:
                nodes = json.loads(path_json)
            except ValueError:
                nodes = None
            if isinstance(nodes, list) and nodes:
                wrong_paths[obj][" → ".join(str(x) for x in nodes)] += n

    stats: list[ItemStat] = []
    for obj, people, definition_json in summary.activities:
        definition = json.loads(definition_json) if definition_json else {}
        name = definition.get("name") or {}
        scenario_id = obj[len(SCENARIO_PREFIX) :]
        title = name.get(V.LANGUAGE) or next(iter(name.values()), scenario_id)
        kind = definition.get("interactionType") or "other"
        total = answers[obj]
        rate = successes[obj] / total if total else 0.0
        top_response = wrong_responses[obj].most_common(1)
        top_path = wrong_paths[obj].most_common(1)
        flag: Flag | None = None
        if total >= thresholds.min_attempts:
            if rate <= thresholds.low_rate:
                flag = "presque-tous-echouent"
            elif rate >= thresholds.high_rate:
                flag = "presque-tous-reussissent"
        stats.append(
            ItemStat(
                scenario_id=scenario_id,
                title=str(title),
                interaction_type=str(kind),
                answers=total,
                people=people,
                successes=successes[obj],
                success_rate=rate,
                top_wrong_response=(
                    _response_label(top_response[0][0], _choice_texts(definition)) if top_response else None
                ),
                top_wrong_response_count=top_response[0][1] if top_response else 0,
                top_wrong_path=top_path[0][0] if top_path and kind == "other" else None,
                top_wrong_path_count=top_path[0][1] if top_path and kind == "other" else 0,
                flag=flag,
            )
        )
    stats.sort(key=lambda s: (s.success_rate, s.scenario_id))
    return stats


ITEM_HEADERS = [
    "Scénario",
    "Titre",
    "Type",
    "Réponses",
    "Personnes",
    "Réussites",
    "Taux de réussite (%)",
    "Mauvaise réponse la plus choisie",
    "Nombre",
    "Mauvais parcours le plus fréquent",
    "Nombre (parcours)",
    "Signalement",
]


def item_rows(stats: Iterable[ItemStat]) -> list[list[Any]]:
    """Rows for the CSV/XLSX/HTML outputs (same order as :data:`ITEM_HEADERS`)."""
    return [
        [
            s.scenario_id,
            s.title,
            "embranchement" if s.interaction_type == "other" else "choix",
            s.answers,
            s.people,
            s.successes,
            round(100 * s.success_rate, 1),
            s.top_wrong_response,
            s.top_wrong_response_count or None,
            s.top_wrong_path,
            s.top_wrong_path_count or None,
            s.flag_label or None,
        ]
        for s in stats
    ]
