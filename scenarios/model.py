"""Scenario file format, version 1: strict pydantic models.

Optional fields added within version 1: ``usage`` (graded or practice) and ``regles`` (the
rules of ``data/obligations.yaml`` the scenario tests).

A scenario file is one YAML document. Field names are English (stable identifiers);
values written for learners are French Markdown.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
)
from pydantic_core import PydanticCustomError

from .sources import RuleId, load_rules

SCHEMA_VERSION = 1
"""The scenario file format version this code reads and writes."""

Identifier = Annotated[
    str, StringConstraints(pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$", min_length=1, max_length=80)
]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


class Theme(StrEnum):
    """The fixed list of themes; every scenario belongs to exactly one."""

    URGENCE = "urgence"
    MAUVAIS_DESTINATAIRE = "mauvais-destinataire"
    BRIS_DE_CONFIDENTIALITE = "bris-de-confidentialite"
    CONSENTEMENT = "consentement"
    IDENTIFICATION_USAGER = "identification-usager"
    TENUE_DE_DOSSIER = "tenue-de-dossier"
    OUTILS_AUTORISES = "outils-autorises"
    INTERNE_EXTERNE = "interne-externe"
    TELETRAVAIL = "teletravail"
    PARTAGE_SYSTEMES = "partage-systemes"
    RENSEIGNEMENTS_STRATEGIQUES = "renseignements-strategiques"
    PROPRIETE_UTILISATION = "propriete-utilisation"
    ROLES = "roles"


THEME_LABELS: dict[Theme, str] = {
    Theme.URGENCE: "Urgence et situations à éviter",
    Theme.MAUVAIS_DESTINATAIRE: "Le bon destinataire",
    Theme.BRIS_DE_CONFIDENTIALITE: "Incidents et bris de confidentialité",
    Theme.CONSENTEMENT: "Consentement de l'usager",
    Theme.IDENTIFICATION_USAGER: "Identifier l'usager",
    Theme.TENUE_DE_DOSSIER: "Tenue de dossier",
    Theme.OUTILS_AUTORISES: "Outils et appareils autorisés",
    Theme.INTERNE_EXTERNE: "Destinataire interne ou externe",
    Theme.TELETRAVAIL: "Télétravail",
    Theme.PARTAGE_SYSTEMES: "Partage avec les systèmes d'information",
    Theme.RENSEIGNEMENTS_STRATEGIQUES: "Renseignements stratégiques",
    Theme.PROPRIETE_UTILISATION: "Propriété et utilisation des échanges",
    Theme.ROLES: "Rôles et responsabilités",
}


class Role(StrEnum):
    """Audiences a scenario is written for."""

    TOUS = "tous"
    INFIRMIERE = "infirmiere"
    MEDECIN = "medecin"
    TRAVAILLEUR_SOCIAL = "travailleur-social"
    PROFESSIONNEL = "professionnel"
    COMMIS = "commis"
    GESTIONNAIRE = "gestionnaire"
    ETUDIANT = "etudiant"
    BENEVOLE = "benevole"
    RESIDENT = "resident"
    """Résidente ou résident en médecine."""
    PHARMACIEN = "pharmacien"
    MAIN_OEUVRE_INDEPENDANTE = "main-oeuvre-independante"
    """Personne qui travaille pour l'établissement par une agence ou à contrat (MOI)."""
    FOURNISSEUR = "fournisseur"
    """Entreprise liée par contrat ou fournisseur, et son personnel."""


class Usage(StrEnum):
    """What a scenario is for: graded in the quiz, or published with its answer in the book."""

    EVALUATION = "evaluation"
    """Drawn in the graded quiz; its answer is never published."""
    PRATIQUE = "pratique"
    """Published in the book with its answer, for practice; never drawn in the quiz."""


class Setting(StrEnum):
    """Where the scenario takes place."""

    CLSC = "clsc"
    HOPITAL = "hopital"
    DOMICILE = "domicile"
    TELETRAVAIL = "teletravail"
    BUREAU = "bureau"
    CHSLD = "chsld"
    GMF = "gmf"


class _Strict(BaseModel):
    # defer_build: a model's validator is built when first used, not at import. A learner
    # kernel then builds only the validators of what its page validates (here, Scenario's,
    # which holds its nested models'), never one per nested model.
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class Choice(_Strict):
    """One answer of a single- or multiple-choice question."""

    id: Identifier
    text: Text
    correct: bool = False
    feedback: Text = Field(description="Rétroaction montrée après la réponse : pourquoi.")


class SingleChoice(_Strict):
    """Exactly one correct choice."""

    kind: Literal["single"]
    prompt: Text
    choices: list[Choice] = Field(min_length=2)

    @property
    def correct_ids(self) -> list[str]:
        """Ids of the correct choices, in file order."""
        return [c.id for c in self.choices if c.correct]


class MultipleChoice(_Strict):
    """One or more correct choices; the learner must pick exactly those."""

    kind: Literal["multiple"]
    prompt: Text
    choices: list[Choice] = Field(min_length=2)

    @property
    def correct_ids(self) -> list[str]:
        """Ids of the correct choices, in file order."""
        return [c.id for c in self.choices if c.correct]


class BranchChoice(_Strict):
    """A choice in a branching step: leads to another step or to an ending."""

    id: Identifier
    text: Text
    goto: Identifier
    feedback: Text | None = None


class Step(_Strict):
    """A decision point of a branching scenario."""

    id: Identifier
    prompt: Text
    choices: list[BranchChoice] = Field(min_length=2)


class Verdict(StrEnum):
    """How an ending of a branching scenario is graded."""

    PASS = "pass"
    FAIL = "fail"


class Ending(_Strict):
    """A terminal node of a branching scenario."""

    id: Identifier
    verdict: Verdict
    feedback: Text


class Branching(_Strict):
    """Steps where each choice leads to another step or to an ending."""

    kind: Literal["branching"]
    start: Identifier
    steps: list[Step] = Field(min_length=1)
    endings: list[Ending] = Field(min_length=2)

    def node(self, node_id: str) -> Step | Ending | None:
        """The step or ending with this id, if any."""
        nodes: list[Step | Ending] = [*self.steps, *self.endings]
        return next((n for n in nodes if n.id == node_id), None)


Question = Annotated[SingleChoice | MultipleChoice | Branching, Field(discriminator="kind")]


def _known_rule(rule_id: str) -> str:
    if load_rules().rule(rule_id) is None:
        raise PydanticCustomError(
            "regle_inconnue",
            "règle inconnue « {rule} » (voir scenarios/data/obligations.yaml)",
            {"rule": rule_id},
        )
    return rule_id


KnownRule = Annotated[RuleId, AfterValidator(_known_rule)]


class Scenario(_Strict):
    """One training scenario (file format version 1)."""

    schema_version: Literal[1]
    id: Identifier
    title: Text
    theme: Theme
    sections: list[str] = Field(
        min_length=1,
        description="Sections citées : « 5.8 », « annexe-3 », « faq-tt:14 », « guide-ts:3 ».",
    )
    audience: list[Role] = Field(min_length=1)
    setting: Setting | None = None
    situation: Text
    question: Question
    explanation: Text | None = Field(
        default=None, description="Explication générale montrée après la réponse."
    )
    usage: Usage = Field(
        default=Usage.EVALUATION,
        description="« evaluation » (questionnaire noté, réponse jamais publiée) ou « pratique » "
        "(publié avec sa réponse dans le livre).",
    )
    regles: list[KnownRule] = Field(
        default_factory=list,
        description="Règles évaluées par ce scénario (identifiants de scenarios/data/obligations.yaml).",
    )

    @property
    def kind(self) -> str:
        """The question's kind: « single », « multiple » or « branching »."""
        return self.question.kind

    @field_validator("regles")
    @classmethod
    def _rules_cite_their_source(cls, value: list[str], info: ValidationInfo) -> list[str]:
        """Each rule tested is listed once and one of its sources is cited in ``sections``."""
        if len(set(value)) != len(value):
            doubles = sorted({r for r in value if value.count(r) > 1})
            raise PydanticCustomError(
                "regle_double", "règle en double : {rules}", {"rules": ", ".join(doubles)}
            )
        sections = set(info.data.get("sections") or [])
        if not sections:
            return value
        rules = load_rules()
        for rule_id in value:
            rule = rules.rule(rule_id)
            if rule is not None and not sections & set(rule.sources):
                raise PydanticCustomError(
                    "regle_sans_source",
                    "la règle « {rule} » s'appuie sur {sources} : citez au moins une de ces sections "
                    "dans « sections »",
                    {"rule": rule_id, "sources": ", ".join(rule.sources)},
                )
        return value
