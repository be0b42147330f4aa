"""Establishment profile: the one file naming an institution, and ``{{ etab.… }}`` placeholders."""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

PROFILE_SCHEMA_VERSION = 1
DEFAULT_PROFILE = "profiles/cisss-laurentides.yaml"

PLACEHOLDER = re.compile(r"(?<!\\)\{\{\s*etab\.([A-Za-z0-9_.]+)\s*\}\}")
ESCAPED = re.compile(r"\\(\{\{)")


class ProfileError(ValueError):
    """The establishment profile cannot be read or is invalid."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Etablissement(_Strict):
    """The institution."""

    nom: str
    nom_long: str
    region: str | None = None


class DirectiveIdentity(_Strict):
    """The directive as adopted by the institution."""

    numero: str
    titre: str
    en_vigueur: str
    revision: str | None = None
    prochaine_revision: str | None = None
    version: str
    version_mineure: bool = False
    responsable: str


class Contact(_Strict):
    """A team or office people are told to reach."""

    nom: str
    telephone: str | None = None
    courriel: str | None = None
    adresse: str | None = None


class Profile(_Strict):
    """An establishment profile (``schema_version`` 1)."""

    schema_version: int
    etablissement: Etablissement
    directive: DirectiveIdentity
    contacts: dict[str, Contact]

    def lookup(self, dotted: str) -> str | None:
        """The value at ``contacts.archives.telephone``-style path, or None if there is none."""
        node: Any = self.model_dump()
        for part in dotted.split("."):
            if not isinstance(node, dict) or part not in node:
                return None
            node = node[part]
        if isinstance(node, dict | list):
            return None
        return "sans objet" if node is None else str(node)


def load_profile(path: Path | None = None) -> Profile:
    """Read a profile file; ``None`` means the bundled CISSS des Laurentides profile.

    The file is read like a scenario (bounded size and depth, no YAML alias); every problem
    is a :class:`ProfileError` naming ``file:line:column`` and the field.
    """
    from pydantic import ValidationError

    from .loader import YamlSyntaxError, load_document

    source = (
        Path(path) if path is not None else Path(str(resources.files("scenarios").joinpath(DEFAULT_PROFILE)))
    )
    try:
        doc = load_document(source)
    except YamlSyntaxError as exc:
        raise ProfileError(
            f"{source}:{exc.position.line}:{exc.position.column}: profil d'établissement : {exc}"
        ) from exc
    except (OSError, UnicodeError) as exc:
        raise ProfileError(f"profil d'établissement illisible ({source}) : {exc}") from exc
    data = doc.data
    if not isinstance(data, dict):
        raise ProfileError(f"{source}:1:1: profil d'établissement invalide : un dictionnaire est attendu")
    version = data.get("schema_version")
    if version != PROFILE_SCHEMA_VERSION:
        pos = doc.position(("schema_version",))
        raise ProfileError(
            f"{source}:{pos.line}:{pos.column}: profil d'établissement : schema_version {version!r} "
            f"non pris en charge (version attendue : {PROFILE_SCHEMA_VERSION})"
        )
    try:
        return Profile.model_validate(data)
    except ValidationError as exc:
        error = exc.errors()[0]
        where = tuple(error["loc"])
        pos = doc.key_position(where) if error["type"] == "extra_forbidden" else doc.position(where)
        field = ".".join(str(p) for p in where)
        message = PROFILE_ERRORS.get(error["type"], error["msg"])
        more = f" (et {len(exc.errors()) - 1} autre(s) problème(s))" if len(exc.errors()) > 1 else ""
        raise ProfileError(
            f"{source}:{pos.line}:{pos.column}: profil d'établissement, champ « {field} » : {message}{more}"
        ) from None


PROFILE_ERRORS = {
    "missing": "champ obligatoire absent",
    "extra_forbidden": "champ inconnu",
    "string_type": "texte attendu",
    "bool_type": "true ou false attendu",
    "bool_parsing": "true ou false attendu",
    "dict_type": "dictionnaire attendu",
    "model_type": "dictionnaire attendu",
    "int_type": "nombre entier attendu",
}
"""French wording of the validation errors a profile file can have."""


def unknown_placeholders(text: str, profile: Profile) -> list[str]:
    """The ``etab.`` paths used in ``text`` that the profile does not define."""
    return [m.group(1) for m in PLACEHOLDER.finditer(text) if profile.lookup(m.group(1)) is None]


def render(text: str, profile: Profile) -> str:
    """Replace ``{{ etab.… }}`` with profile values; ``\\{{`` stays a literal ``{{``."""

    def sub(match: re.Match[str]) -> str:
        value = profile.lookup(match.group(1))
        if value is None:
            raise ProfileError(f"valeur inconnue du profil d'établissement : etab.{match.group(1)}")
        return value

    return ESCAPED.sub(r"\1", PLACEHOLDER.sub(sub, text))
