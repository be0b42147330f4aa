"""Registry of the citable sections of the source documents (data in ``data/sources.yaml``)
and of the individual rules the course teaches (data in ``data/obligations.yaml``)."""

from __future__ import annotations

from enum import StrEnum
from functools import lru_cache
from importlib import resources
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

DIRECTIVE_KEY = "dir"
ANNEX_PREFIX = "annexe-"
RULES_SCHEMA_VERSION = 2
"""The format version of ``data/obligations.yaml`` this code reads."""


class SourceDocument(BaseModel):
    """One source document and its citable sections."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    key: str
    short: str
    title: str
    cite: str
    sections: dict[str, str]


class Registry(BaseModel):
    """All source documents, by citation key."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    schema_version: int
    documents: list[SourceDocument]

    def split(self, citation: str) -> tuple[str, str]:
        """Split ``"faq-tt:14"`` into ``("faq-tt", "14")``; a bare section is the directive's."""
        if ":" in citation:
            key, _, section = citation.partition(":")
            return key, section
        return DIRECTIVE_KEY, citation

    def document(self, key: str) -> SourceDocument | None:
        """The document with this citation key, if any."""
        return next((d for d in self.documents if d.key == key), None)

    def exists(self, citation: str) -> bool:
        """True when ``citation`` names a real section of a known document."""
        key, section = self.split(citation)
        doc = self.document(key)
        return doc is not None and section in doc.sections

    def label(self, citation: str) -> str:
        """How a citation reads for a learner, e.g. « section 5.8 » or « FAQ télétravail, question 14 »."""
        key, section = self.split(citation)
        doc = self.document(key)
        if doc is None or section not in doc.sections:
            return citation
        if key == DIRECTIVE_KEY and section.startswith(ANNEX_PREFIX):
            return f"annexe {section.removeprefix(ANNEX_PREFIX)}"
        return doc.cite.format(section=section, label=doc.sections[section])

    def title(self, citation: str) -> str:
        """The section's heading in its document."""
        key, section = self.split(citation)
        doc = self.document(key)
        return doc.sections.get(section, "") if doc else ""


BUNDLED_DATA = ("data/sources.yaml", "data/obligations.yaml")
"""The package's data files the registry and the rules are read from."""

_parsed: dict[str, Any] = {}


def remember_bundled_data(parsed: dict[str, Any]) -> None:
    """Use this content of :data:`BUNDLED_DATA` files (already parsed, e.g. by the server that
    checked the bank) instead of parsing the YAML again: learner kernels need no YAML parser.
    The models still validate it."""
    _parsed.update({name: parsed[name] for name in BUNDLED_DATA if name in parsed})


def bundled_data(name: str) -> Any:
    """One of :data:`BUNDLED_DATA`, parsed (YAML parser imported only when needed)."""
    if name not in _parsed:
        import yaml

        text = resources.files("scenarios").joinpath(name).read_text(encoding="utf-8")
        _parsed[name] = yaml.safe_load(text)
    return _parsed[name]


@lru_cache(maxsize=1)
def load_registry() -> Registry:
    """The bundled registry of citable sections."""
    return Registry.model_validate(bundled_data("data/sources.yaml"))


# --- Rules ------------------------------------------------------------------------------

RuleId = Annotated[
    str, StringConstraints(pattern=r"^[a-z0-9]+(?:[.-][a-z0-9]+)*$", min_length=3, max_length=60)
]
"""A rule id: lowercase letters, digits, dots and hyphens, e.g. ``5.8-premier-contact``."""


class RuleNature(StrEnum):
    """What kind of statement a rule is, in its source."""

    EXIGENCE = "exigence"
    """« doit », « il est obligatoire »."""
    INTERDICTION = "interdiction"
    """« ne doit pas », « il est interdit », « n'est pas autorisé »."""
    CONDITION = "condition"
    """Allowed only if…, or what changes when a condition holds."""
    EXCEPTION = "exception"
    """A case where the general rule gives way."""
    RECOMMANDATION = "recommandation"
    """« il est recommandé », « il est prudent », « n'est pas recommandé »."""
    PORTEE = "portee"
    """Who or what the rule applies to."""


class RuleStatus(StrEnum):
    """How binding the rule is for the establishment's staff, from its source document."""

    DIRECTIVE = "directive"
    """Stated by the establishment's directive."""
    ORIENTATION_MSSS = "orientation-msss"
    """Stated by the MSSS orientation on sharing with information systems."""
    PRATIQUE_RECOMMANDEE = "pratique-recommandee"
    """From a companion document of another organisation (telework FAQ, telehealth guide):
    a recommended practice, to check against the establishment's own rules and list."""


STATUS_OF_DOCUMENT = {
    DIRECTIVE_KEY: RuleStatus.DIRECTIVE,
    "msss-si": RuleStatus.ORIENTATION_MSSS,
    "faq-tt": RuleStatus.PRATIQUE_RECOMMANDEE,
    "guide-ts": RuleStatus.PRATIQUE_RECOMMANDEE,
}


class Public(StrEnum):
    """Whom the rule binds."""

    INTERVENANT = "intervenant"
    GESTIONNAIRE = "gestionnaire"


class Rule(BaseModel):
    """One rule of a source: a « doit », « ne doit pas », condition or exception, paraphrased."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    id: RuleId
    sources: list[str] = Field(min_length=1, description="Citations, la principale d'abord.")
    nature: RuleNature
    statut: RuleStatus
    public: Public = Public.INTERVENANT
    texte: Annotated[str, StringConstraints(strip_whitespace=True, min_length=10)]

    @model_validator(mode="after")
    def _status_follows_the_source(self) -> Rule:
        key = load_registry().split(self.sources[0])[0]
        expected = STATUS_OF_DOCUMENT.get(key)
        if expected is not None and self.statut != expected:
            raise ValueError(f"règle « {self.id} » : statut « {expected.value} » attendu pour {key}")
        return self


class Exclusion(BaseModel):
    """A part of a source left out of the rule list on purpose, and why."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    sources: list[str] = Field(min_length=1)
    raison: Annotated[str, StringConstraints(strip_whitespace=True, min_length=10)]


class RuleBook(BaseModel):
    """Every rule the course teaches, and what was left out."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    schema_version: int
    regles: list[Rule] = Field(min_length=1)
    hors_champ: list[Exclusion] = Field(default_factory=list)

    @model_validator(mode="after")
    def _ids_are_unique_and_sources_real(self) -> RuleBook:
        if self.schema_version != RULES_SCHEMA_VERSION:
            raise ValueError(
                f"obligations.yaml : schema_version {self.schema_version} non pris en charge "
                f"(version attendue : {RULES_SCHEMA_VERSION})"
            )
        registry = load_registry()
        seen: set[str] = set()
        for rule in self.regles:
            if rule.id in seen:
                raise ValueError(f"règle « {rule.id} » en double")
            seen.add(rule.id)
            for citation in rule.sources:
                if not registry.exists(citation):
                    raise ValueError(f"règle « {rule.id} » : section inexistante « {citation} »")
        for item in self.hors_champ:
            for citation in item.sources:
                if not registry.exists(citation):
                    raise ValueError(f"hors_champ : section inexistante « {citation} »")
        return self

    def rule(self, rule_id: str) -> Rule | None:
        """The rule with this id, if any."""
        return self.by_id.get(rule_id)

    @property
    def by_id(self) -> dict[str, Rule]:
        """Rules by id."""
        return {r.id: r for r in self.regles}


@lru_cache(maxsize=1)
def load_rules() -> RuleBook:
    """The bundled list of rules (``data/obligations.yaml``)."""
    return RuleBook.model_validate(bundled_data("data/obligations.yaml"))
