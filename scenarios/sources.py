"""Registry of the citable sections of the source documents (data in ``data/sources.yaml``)."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

import yaml
from pydantic import BaseModel, ConfigDict

DIRECTIVE_KEY = "dir"


class SourceDocument(BaseModel):
    """One source document and its citable sections."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    key: str
    short: str
    title: str
    cite: str
    sections: dict[str, str]


class Registry(BaseModel):
    """All source documents, by citation key."""

    model_config = ConfigDict(extra="forbid", frozen=True)

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
        return doc.cite.format(section=section, label=doc.sections[section])

    def title(self, citation: str) -> str:
        """The section's heading in its document."""
        key, section = self.split(citation)
        doc = self.document(key)
        return doc.sections.get(section, "") if doc else ""


@lru_cache(maxsize=1)
def load_registry() -> Registry:
    """The bundled registry of citable sections."""
    text = resources.files("scenarios").joinpath("data/sources.yaml").read_text(encoding="utf-8")
    return Registry.model_validate(yaml.safe_load(text))
