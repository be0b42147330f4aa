"""The directive's identity, taken from the establishment profile."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict

from .errors import FormError


class DirectiveInfo(BaseModel):
    """What an attestation says about the directive and the establishment."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    numero: str
    titre: str
    en_vigueur: str
    revision: str | None = None
    prochaine_revision: str | None = None
    version: str
    version_mineure: bool = False
    etablissement: str


def load_directive(profile_path: Path | None = None) -> DirectiveInfo:
    """Read the directive identity from an establishment profile (None = the bundled one)."""
    from scenarios.profile import ProfileError, load_profile

    try:
        profile = load_profile(profile_path)
    except ProfileError as exc:
        raise FormError(str(exc)) from exc
    d = profile.directive
    return DirectiveInfo(
        numero=d.numero,
        titre=d.titre,
        en_vigueur=d.en_vigueur,
        revision=d.revision,
        prochaine_revision=d.prochaine_revision,
        version=d.version,
        version_mineure=d.version_mineure,
        etablissement=profile.etablissement.nom,
    )
