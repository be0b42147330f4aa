"""Static book pages for scenarios: usable with no kernel and no script.

Choice questions hide their answer in a ``{dropdown}`` (an HTML ``<details>``, no JavaScript);
branching scenarios are followed with plain links between steps.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from .model import THEME_LABELS, Branching, Ending, Scenario, Step, Theme, Verdict
from .sources import load_registry

_ROLE_LABELS = {
    "tous": "tout le personnel",
    "infirmiere": "infirmière ou infirmier",
    "medecin": "médecin",
    "travailleur-social": "travailleuse sociale ou travailleur social",
    "professionnel": "professionnelle ou professionnel",
    "commis": "personnel administratif",
    "gestionnaire": "gestionnaire",
    "etudiant": "stagiaire",
    "benevole": "bénévole",
    "resident": "résidente ou résident en médecine",
    "pharmacien": "pharmacienne ou pharmacien",
    "main-oeuvre-independante": "main-d'œuvre indépendante",
    "fournisseur": "entreprise sous contrat ou fournisseur",
}
_SETTING_LABELS = {
    "clsc": "CLSC",
    "hopital": "unité hospitalière",
    "domicile": "visite à domicile",
    "teletravail": "télétravail",
    "bureau": "bureau administratif",
    "chsld": "CHSLD",
    "gmf": "GMF",
}
_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_APOSTROPHE_BEFORE_MARKUP = re.compile(r"(?<=\w)'(?=[*_`\[])")


def typographic_apostrophes(text: str) -> str:
    """« l'**étape** » → « l’**étape** »: Sphinx's smart quotes would turn an apostrophe that
    touches inline markup into a closing quotation mark (« l”étape »)."""
    return _APOSTROPHE_BEFORE_MARKUP.sub("’", text)


SCENARIO_LIST = re.compile(r"^[ \t]*(?<!\\)\{\{\s*scenarios\s*:\s*([a-z, -]+?)\s*\}\}[ \t]*$", re.M)


def _meta(scenario: Scenario) -> str:
    roles = ", ".join(_ROLE_LABELS[r.value] for r in scenario.audience)
    setting = f" · Milieu : {_SETTING_LABELS[scenario.setting.value]}" if scenario.setting else ""
    return f"*Thème : {THEME_LABELS[scenario.theme]} · Public : {roles}{setting}*"


def _sources(scenario: Scenario) -> str:
    registry = load_registry()
    return "**Sources :** " + " ; ".join(registry.label(c) for c in scenario.sections)


def link_text(text: str) -> str:
    """``text`` made safe as Markdown link text: a ``]`` in a title cannot end the link early."""
    return re.sub(r"([\\\[\]])", r"\\\1", " ".join(text.split()))


def _anchor(scenario: Scenario, node_id: str) -> str:
    return f"{scenario.id}-{node_id}"


def scenario_page(scenario: Scenario) -> str:
    """The MyST Markdown page of one scenario."""
    lines = [
        f"({scenario.id})=",
        f"# {scenario.title}",
        "",
        _meta(scenario),
        "",
        "## Situation",
        "",
        scenario.situation.strip(),
        "",
    ]
    q = scenario.question
    if isinstance(q, Branching):
        lines += _branching(scenario, q)
    else:
        kind_hint = "Une seule bonne réponse." if q.kind == "single" else "Plusieurs bonnes réponses."
        lines += ["## Question", "", f"{q.prompt} *({kind_hint})*", ""]
        lines += [f"- **{_LETTERS[i]}.** {c.text}" for i, c in enumerate(q.choices)]
        answer = ", ".join(_LETTERS[i] for i, c in enumerate(q.choices) if c.correct)
        lines += [
            "",
            ":::{dropdown} Voir la réponse et l'explication",
            "",
            f"**Bonne réponse : {answer}**",
            "",
        ]
        for i, c in enumerate(q.choices):
            mark = "✔" if c.correct else "✘"
            lines += [f"- {mark} **{_LETTERS[i]}.** {_one_para(c.feedback)}"]
        if scenario.explanation:
            lines += ["", scenario.explanation.strip()]
        lines += ["", _sources(scenario), ":::", ""]
    return typographic_apostrophes("\n".join(lines) + "\n")


def _one_para(text: str) -> str:
    return " ".join(text.split())


def _branching(scenario: Scenario, q: Branching) -> list[str]:
    lines = [
        "## À vous de décider",
        "",
        "Suivez le lien de votre choix à chaque étape ; chaque issue explique pourquoi.",
        "",
    ]
    for n, step in enumerate(q.steps, start=1):
        lines += [f"({_anchor(scenario, step.id)})=", f"### Étape {n}", "", step.prompt, ""]
        for i, c in enumerate(step.choices):
            target = q.node(c.goto)
            label = _node_label(q, target)
            lines += [f"- **{_LETTERS[i]}.** {c.text} → [{label}]({_anchor(scenario, c.goto)})"]
        remarks = [
            f"- **{_LETTERS[i]}.** {_one_para(c.feedback)}" for i, c in enumerate(step.choices) if c.feedback
        ]
        lines += [""]
        if remarks:
            lines += [":::{dropdown} Après votre choix : rétroaction", "", *remarks, ":::", ""]
    lines += ["## Issues", ""]
    for n, ending in enumerate(q.endings, start=1):
        verdict = "favorable" if ending.verdict == Verdict.PASS else "défavorable"
        lines += [
            f"({_anchor(scenario, ending.id)})=",
            f"### Issue {n} : {verdict}",
            "",
            ending.feedback.strip(),
            "",
            f"[Recommencer à l'étape 1]({_anchor(scenario, q.start)})",
            "",
        ]
    if scenario.explanation:
        lines += ["## Explication", "", scenario.explanation.strip(), ""]
    lines += [_sources(scenario), ""]
    return lines


def _node_label(q: Branching, node: Step | Ending | None) -> str:
    if isinstance(node, Step):
        return f"étape {q.steps.index(node) + 1}"
    return "voir l'issue"


def bank_index(scenarios: Iterable[Scenario]) -> str:
    """The bank's index page: scenarios grouped by theme."""
    by_theme: dict[Theme, list[Scenario]] = {}
    for s in scenarios:
        by_theme.setdefault(s.theme, []).append(s)
    lines = [
        "# Banque de scénarios",
        "",
        "Ces scénarios d'exercice présentent des situations de travail. Répondez d'abord, puis "
        "ouvrez l'explication : elle cite les sections de la directive et des documents "
        "d'accompagnement qui s'appliquent.",
        "",
        "Les scénarios du questionnaire noté sont différents et leurs réponses ne sont pas publiées ici.",
        "",
    ]
    for theme in Theme:
        if theme not in by_theme:
            continue
        lines += [f"## {THEME_LABELS[theme]}", ""]
        lines += [f"- [{link_text(s.title)}]({s.id}.md)" for s in sorted(by_theme[theme], key=lambda s: s.id)]
        lines += [""]
    return typographic_apostrophes("\n".join(lines))


def expand_scenario_lists(text: str, scenarios: Iterable[Scenario], prefix: str) -> str:
    """Replace ``{{ scenarios: theme, … }}`` lines with links to those themes' scenario pages."""
    items = list(scenarios)

    def sub(match: re.Match[str]) -> str:
        themes = [t.strip() for t in match.group(1).split(",") if t.strip()]
        unknown = [t for t in themes if t not in {th.value for th in Theme}]
        if unknown:
            raise ValueError(f"thème inconnu dans la liste de scénarios : {', '.join(unknown)}")
        chosen = sorted((s for s in items if s.theme.value in themes), key=lambda s: s.id)
        links = [f"- [{link_text(s.title)}]({prefix}{s.id}.md)" for s in chosen]
        return "\n".join(links) or "*(aucun scénario)*"

    return SCENARIO_LIST.sub(sub, text)
