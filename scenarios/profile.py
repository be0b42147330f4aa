"""Establishment profile: the one file naming an institution, and ``{{ etab.… }}`` placeholders."""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, model_validator
from pydantic_core import PydanticCustomError

from .wording import plural

PROFILE_SCHEMA_VERSION = 2
"""Version 2: every contact value is ``{valeur, source}`` (``source: aucune`` when no source
document gives one, with ``formulation_neutre`` shown instead)."""
DEFAULT_PROFILE = "profiles/cisss-laurentides.yaml"
NO_SOURCE = "aucune"
"""The ``source`` of a contact value that no source document gives."""

PLACEHOLDER_VALUE = re.compile(
    r"à\s+adapter|a\s+adapter|à\s+compléter|à\s+confirmer|exemple|example\.|\bexample\b|"
    r"(?<![0-9])0000(?![0-9])|\bxxx+\b|\btodo\b|\btbd\b",
    re.IGNORECASE,
)
"""Profile values that are still placeholders, which a built book must never show."""

PHONE = re.compile(
    r"(?<![\w-])(?:\+?1[\s.-])?\(?[2-9]\d{2}\)?[\s.-]\d{3}[\s.-]\d{4}(?![\w-])"
    r"(?:,?\s*poste\s*:?\s*\d+)?|\bposte\s*:?\s*\d{2,}\b",
    re.IGNORECASE,
)
"""A North American telephone number (with or without « poste »), or a bare extension."""
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
URL = re.compile(r"\b(?:https?|ftp)://[^\s<>\"')\]]+|\bwww\.[\w-]+(?:\.[\w-]+)+[^\s<>\"')\]]*", re.IGNORECASE)


def literal_contacts(text: str) -> list[str]:
    """Telephone numbers and email addresses written out in ``text`` (placeholders excluded)."""
    bare = PLACEHOLDER.sub(" ", text)
    return [m.group(0) for pattern in (PHONE, EMAIL) for m in pattern.finditer(bare)]


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


class ContactValue(_Strict):
    """One contact detail and the source document section it comes from."""

    valeur: str | None
    source: str
    formulation_neutre: str | None = None

    @model_validator(mode="after")
    def _sourced_or_neutral(self) -> ContactValue:
        from .sources import load_registry

        if self.source == NO_SOURCE:
            if self.valeur is not None:
                raise PydanticCustomError(
                    "valeur_sans_source",
                    "une valeur doit venir d'un document source : indiquez sa section dans "
                    "« source », ou retirez la valeur (valeur: null) et gardez « source: aucune »",
                )
            if not self.formulation_neutre:
                raise PydanticCustomError(
                    "neutre_manquante",
                    "sans valeur, donnez la « formulation_neutre » affichée à sa place",
                )
        elif not load_registry().exists(self.source):
            raise PydanticCustomError(
                "source_inconnue",
                "source inconnue « {source} » : une section de scenarios/data/sources.yaml "
                "(« 5.10 », « faq-tt:15 ») ou « aucune »",
                {"source": self.source},
            )
        elif self.valeur is None:
            raise PydanticCustomError(
                "valeur_manquante", "valeur absente : mettez « source: aucune » et une formulation neutre"
            )
        return self

    @property
    def shown(self) -> str:
        """What a learner reads: the value, or the neutral wording when there is none."""
        return self.valeur if self.valeur is not None else (self.formulation_neutre or "")


class Contact(_Strict):
    """A team or office people are told to reach; each detail carries its source."""

    nom: ContactValue
    telephone: ContactValue | None = None
    courriel: ContactValue | None = None
    adresse: ContactValue | None = None
    portail: ContactValue | None = None

    def values(self) -> dict[str, ContactValue]:
        """The details this contact has, by field name."""
        return {k: v for k in type(self).model_fields if isinstance(v := getattr(self, k), ContactValue)}


class Profile(_Strict):
    """An establishment profile (``schema_version`` 2)."""

    schema_version: int
    etablissement: Etablissement
    directive: DirectiveIdentity
    contacts: dict[str, Contact]

    def lookup(self, dotted: str) -> str | None:
        """The value at ``contacts.archives.telephone``-style path, or None if there is none.

        A contact detail gives its value, or its neutral wording when no source gives one.
        """
        parts = dotted.split(".")
        if len(parts) == 3 and parts[0] == "contacts":
            contact = self.contacts.get(parts[1])
            detail = contact.values().get(parts[2]) if contact else None
            return detail.shown if detail else None
        node: Any = self.model_dump(exclude={"contacts"})
        for part in parts:
            if not isinstance(node, dict) or part not in node:
                return None
            node = node[part]
        if isinstance(node, dict | list):
            return None
        return "sans objet" if node is None else str(node)

    def contact_values(self) -> dict[str, ContactValue]:
        """Every contact detail, by its placeholder path (``contacts.archives.telephone``)."""
        return {
            f"contacts.{name}.{field}": value
            for name, contact in self.contacts.items()
            for field, value in contact.values().items()
        }


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
    version_problem = _version_problem(data.get("schema_version"))
    if version_problem:
        pos = doc.position(("schema_version",))
        raise ProfileError(f"{source}:{pos.line}:{pos.column}: profil d'établissement : {version_problem}")
    try:
        profile = Profile.model_validate(data)
    except ValidationError as exc:
        error = exc.errors()[0]
        where = tuple(error["loc"])
        pos = doc.key_position(where) if error["type"] == "extra_forbidden" else doc.position(where)
        field = ".".join(str(p) for p in where)
        message = PROFILE_ERRORS.get(error["type"], error["msg"])
        others = len(exc.errors()) - 1
        more = f" (et {plural(others, 'autre problème', 'autres problèmes')})" if others else ""
        raise ProfileError(
            f"{source}:{pos.line}:{pos.column}: profil d'établissement, champ « {field} » : {message}{more}"
        ) from None
    placeholders = placeholder_values(data)
    if placeholders:
        where, value = placeholders[0]
        pos = doc.position(where)
        field = ".".join(str(p) for p in where)
        others = len(placeholders) - 1
        more = f" (et {plural(others, 'autre')})" if others else ""
        raise ProfileError(
            f"{source}:{pos.line}:{pos.column}: profil d'établissement, champ « {field} » : "
            f"valeur provisoire « {value} » : un livre ne doit jamais la montrer. Inscrivez la valeur "
            f"donnée par un document source (et sa section dans « source »), ou « valeur: null » avec "
            f"« source: aucune » et une formulation neutre{more}"
        )
    return profile


def _version_problem(version: object) -> str | None:
    """Why ``schema_version`` cannot be read by this program, or None."""
    if not isinstance(version, int) or isinstance(version, bool):
        return (
            f"schema_version manquant ou invalide ({version!r}) : "
            f"nombre entier attendu ({PROFILE_SCHEMA_VERSION})"
        )
    if version < PROFILE_SCHEMA_VERSION:
        return (
            f"schema_version {version} trop ancien : ce programme lit la version {PROFILE_SCHEMA_VERSION}. "
            "Mettez le profil à jour : chaque valeur de contact (nom, telephone, courriel, adresse) "
            'devient « {valeur: …, source: section} », par exemple « telephone: {valeur: "450 …", '
            'source: "5.10"} » ; une valeur qu\'aucun document source ne donne devient « valeur: null » '
            "avec « source: aucune » et une « formulation_neutre » (modèle : le profil livré, "
            "scenarios/profiles/cisss-laurentides.yaml), puis écrivez schema_version: "
            f"{PROFILE_SCHEMA_VERSION}"
        )
    if version > PROFILE_SCHEMA_VERSION:
        return (
            f"schema_version {version} trop récent : ce programme lit la version {PROFILE_SCHEMA_VERSION} ; "
            "mettez formation-tic à jour"
        )
    return None


_Where = tuple[str | int, ...]


def placeholder_values(data: Any, where: _Where = ()) -> list[tuple[_Where, str]]:
    """Every text of a profile's data that is still a placeholder (« à adapter », « exemple »,
    ``0000``, ``example.``), with its path, in file order."""
    found: list[tuple[_Where, str]] = []
    if isinstance(data, str):
        if PLACEHOLDER_VALUE.search(data):
            found.append((where, data))
    elif isinstance(data, dict):
        for key, value in data.items():
            found += placeholder_values(value, (*where, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            found += placeholder_values(value, (*where, index))
    return found


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
