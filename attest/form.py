"""The engagement form: versioned French content (YAML data) and submission validation."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from .canonical import sha256_hex
from .directive import DirectiveInfo
from .errors import FormError, SubmissionError
from .identity import EMPLOYEE_NUMBER_HELP, is_valid_employee_number, normalize_employee_number

FORM_SCHEMA_VERSION = 1
"""The form file format version this code reads."""

FORMS_PACKAGE_DIR = "forms"

_Id = Annotated[str, StringConstraints(pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$", max_length=60)]
_Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
_Section = Annotated[str, StringConstraints(pattern=r"^[0-9]+(?:\.[0-9]+)*$")]
_Version = Annotated[str, StringConstraints(pattern=r"^[0-9]+(?:\.[0-9]+)*$")]


class Commitment(BaseModel):
    """One commitment the person checks, citing the directive's sections."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    id: _Id
    sections: list[_Section] = Field(min_length=1)
    texte: _Text

    @property
    def sections_label(self) -> str:
        """« section 5.8 » or « sections 5.10 et 8.6 »."""
        if len(self.sections) == 1:
            return f"section {self.sections[0]}"
        return "sections " + ", ".join(self.sections[:-1]) + " et " + self.sections[-1]


class FormContent(BaseModel):
    """One version of the engagement form (``attest/forms/<id>-v<version>.yaml``)."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    schema_version: int
    id: _Id
    version: _Version
    changement_mineur: bool = False
    titre: _Text
    declaration: _Text
    engagements: list[Commitment] = Field(min_length=1)
    consentement_signature: _Text

    @property
    def version_key(self) -> tuple[int, ...]:
        """Numeric sort key of ``version`` (« 1.10 » after « 1.9 »)."""
        return version_key(self.version)

    def declaration_text(self, directive: DirectiveInfo) -> str:
        """The declaration with the directive's identity filled in."""
        return self.declaration.format(
            numero=directive.numero,
            titre=directive.titre,
            en_vigueur=directive.en_vigueur,
            etablissement=directive.etablissement,
        )

    def text(self, directive: DirectiveInfo) -> str:
        """The exact text shown to the person; its SHA-256 goes into the attestation."""
        lines = [
            f"{self.titre} (version {self.version})",
            "",
            self.declaration_text(directive),
            "",
            "Mes engagements :",
        ]
        for n, c in enumerate(self.engagements, start=1):
            lines.append(f"{n}. {c.texte} ({c.sections_label})")
        lines += ["", self.consentement_signature, ""]
        return "\n".join(lines)

    def text_sha256(self, directive: DirectiveInfo) -> str:
        """SHA-256 (hex) of :meth:`text` encoded as UTF-8."""
        return sha256_hex(self.text(directive).encode("utf-8"))


def version_key(version: str) -> tuple[int, ...]:
    """Numeric sort key of a dotted version string."""
    return tuple(int(p) for p in version.split("."))


def _parse_form(text: str, origin: str) -> FormContent:
    import yaml  # only where a form file is read (learner kernels get checked forms)

    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise FormError(f"formulaire illisible ({origin}) : {exc}") from exc
    if not isinstance(data, dict) or data.get("schema_version") != FORM_SCHEMA_VERSION:
        raise FormError(f"formulaire {origin} : schema_version {FORM_SCHEMA_VERSION} attendu")
    try:
        form = FormContent.model_validate(data)
    except ValueError as exc:
        raise FormError(f"formulaire invalide ({origin}) : {exc}") from exc
    ids = [c.id for c in form.engagements]
    if len(set(ids)) != len(ids):
        raise FormError(f"formulaire invalide ({origin}) : identifiants d'engagement en double")
    try:
        form.declaration_text(DirectiveInfo(numero="", titre="", en_vigueur="", version="", etablissement=""))
    except (KeyError, IndexError, ValueError) as exc:
        raise FormError(f"formulaire invalide ({origin}) : variable inconnue {exc}") from exc
    return form


def available_forms(forms_dir: Path | None = None, form_id: str = "engagement") -> list[FormContent]:
    """Every version of a form, oldest first (``forms_dir`` None = the bundled forms)."""
    forms: list[FormContent] = []
    if forms_dir is None:
        root = resources.files("attest").joinpath(FORMS_PACKAGE_DIR)
        entries = [(e.name, e.read_text("utf-8")) for e in root.iterdir() if e.is_file()]
    else:
        entries = [(p.name, p.read_text("utf-8")) for p in Path(forms_dir).iterdir()]
    for name, text in entries:
        if name.startswith(f"{form_id}-v") and name.endswith((".yaml", ".yml")):
            forms.append(_parse_form(text, name))
    if not forms:
        raise FormError(f"aucun formulaire « {form_id} » trouvé")
    forms.sort(key=lambda f: f.version_key)
    return forms


def load_form(
    version: str | None = None, forms_dir: Path | None = None, form_id: str = "engagement"
) -> FormContent:
    """One version of the form (``None`` = the latest)."""
    return select_form(available_forms(forms_dir, form_id), version, form_id)


def select_form(forms: list[FormContent], version: str | None, form_id: str = "engagement") -> FormContent:
    """The form of this version among ``forms`` (oldest first; ``None`` = the latest)."""
    if version is None:
        return forms[-1]
    for form in forms:
        if form.version == version:
            return form
    raise FormError(f"version {version!r} du formulaire « {form_id} » introuvable")


# --- Submission -------------------------------------------------------------------------

FIELD_LABELS: dict[str, str] = {
    "employee_number": "Numéro d'employé",
    "full_name": "Nom complet",
    "job_title": "Titre d'emploi",
    "direction": "Direction ou service",
    "establishment": "Établissement",
    "signature": "Signature (nom tapé)",
}
MAX_LENGTHS: dict[str, int] = {
    "full_name": 120,
    "job_title": 150,
    "direction": 200,
    "establishment": 150,
    "signature": 120,
}
_FORBIDDEN = re.compile(r"[<>]")


class Submission(BaseModel):
    """A validated engagement: identity, typed signature, consent, every commitment checked."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    employee_number: str
    full_name: str
    job_title: str
    direction: str
    establishment: str
    signature: str
    consent_electronic_signature: bool
    commitments: tuple[str, ...]
    form_id: str
    form_version: str


def _clean_text(value: Any) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        value = str(value)
    return " ".join(unicodedata.normalize("NFC", value).split())


def _has_control(value: str) -> bool:
    return any(unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn") for ch in value)


def _same_name(a: str, b: str) -> bool:
    return _clean_text(a).casefold() == _clean_text(b).casefold()


def validate_submission(form: FormContent, data: Mapping[str, Any]) -> Submission:
    """Check a raw submission against ``form``; raise :class:`SubmissionError` (French).

    ``data`` keys: ``employee_number``, ``full_name``, ``job_title``, ``direction``,
    ``establishment``, ``signature``, ``consent_electronic_signature`` (bool) and
    ``commitments`` (mapping of commitment id to bool). Every problem is reported at once.
    """
    errors: dict[str, list[str]] = {}

    def err(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    known = set(FIELD_LABELS) | {"consent_electronic_signature", "commitments"}
    for key in data:
        if key not in known:
            err("formulaire", f"Champ inattendu : « {_clean_text(key)[:40]} ».")

    raw_number = data.get("employee_number")
    number = normalize_employee_number(raw_number) if isinstance(raw_number, str) else ""
    if not number:
        err("employee_number", "Le numéro d'employé est obligatoire.")
    elif not is_valid_employee_number(number):
        err("employee_number", EMPLOYEE_NUMBER_HELP)

    values: dict[str, str] = {}
    for field, limit in MAX_LENGTHS.items():
        raw = data.get(field)
        label = FIELD_LABELS[field]
        if raw is not None and not isinstance(raw, str):
            err(field, f"Le champ « {label} » doit être du texte.")
            continue
        if raw is not None and _has_control(raw.replace("\n", " ").replace("\t", " ")):
            err(field, f"Le champ « {label} » contient des caractères de contrôle non permis.")
            continue
        value = _clean_text(raw)
        values[field] = value
        if not value:
            err(field, f"Le champ « {label} » est obligatoire.")
        elif len(value) > limit:
            err(
                field,
                f"Le champ « {label} » ne doit pas dépasser {limit} caractères (actuellement {len(value)}).",
            )
        elif _FORBIDDEN.search(value):
            err(field, f"Le champ « {label} » ne doit pas contenir les caractères < ou >.")
        elif field in ("full_name", "signature") and not any(ch.isalpha() for ch in value):
            err(field, f"Le champ « {label} » doit contenir au moins une lettre.")

    if (
        "full_name" not in errors
        and "signature" not in errors
        and not _same_name(values["full_name"], values["signature"])
    ):
        err(
            "signature",
            "La signature doit reproduire votre nom complet tel qu'il est inscrit plus haut.",
        )

    if data.get("consent_electronic_signature") is not True:
        err(
            "consent_electronic_signature",
            "Vous devez accepter de signer électroniquement pour que l'engagement soit enregistré.",
        )

    raw_commitments = data.get("commitments")
    if not isinstance(raw_commitments, Mapping):
        raw_commitments = {}
    expected = {c.id for c in form.engagements}
    for key in raw_commitments:
        if key not in expected:
            err(
                "commitments",
                f"Engagement inconnu dans ce formulaire : « {_clean_text(key)[:40]} ».",
            )
    for n, c in enumerate(form.engagements, start=1):
        if raw_commitments.get(c.id) is not True:
            err(
                "commitments",
                f"L'engagement n° {n} ({c.sections_label}) doit être coché pour signer.",
            )

    if errors:
        raise SubmissionError(errors)
    return Submission(
        employee_number=number,
        full_name=values["full_name"],
        job_title=values["job_title"],
        direction=values["direction"],
        establishment=values["establishment"],
        signature=values["signature"],
        consent_electronic_signature=True,
        commitments=tuple(c.id for c in form.engagements),
        form_id=form.id,
        form_version=form.version,
    )
