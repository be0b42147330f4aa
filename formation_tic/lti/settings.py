"""The ``lti`` section of the settings root (``FORMATION_TIC_LTI_*``) and platform registrations.

Platforms (the ENA's Moodle, or several) are registered inline in the root TOML
(``[[lti.platforms]]``) or in a separate file named by ``lti.registrations_file`` (TOML with
``[[platforms]]`` tables, or JSON ``{"platforms": [...]}``); both lists add up. Every value
is what the platform's administrator reads in Moodle once the tool is created.
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

LIS_CLAIM = "https://purl.imsglobal.org/spec/lti/claim/lis"
"""The LTI claim where Moodle sends the user's ID number (``person_sourcedid``)."""


def _http_url(value: str, what: str) -> str:
    value = value.strip()
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"{what} : adresse http(s) complète attendue (reçu « {value} »)")
    return value


class PlatformRegistration(BaseModel):
    """One LTI 1.3 platform (issuer + client id), as registered in Moodle."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(default="", description="Label shown in messages (e.g. « ENA du CISSS »).")
    issuer: str = Field(description="Platform ID (iss), e.g. https://ena.etablissement.example.")
    client_id: str = Field(min_length=1, description="Client ID given by Moodle for this tool.")
    deployment_ids: list[str] = Field(min_length=1, description="Deployment ID(s) given by Moodle.")
    jwks_url: str = Field(description="Public keyset URL of the platform.")
    auth_login_url: str = Field(description="Authentication request URL of the platform.")
    token_url: str = Field(description="Access token URL of the platform.")
    auth_audience: str | None = Field(
        default=None, description="Audience of the token request (default: the token URL)."
    )

    @field_validator("issuer", "jwks_url", "auth_login_url", "token_url")
    @classmethod
    def _urls(cls, value: str) -> str:
        return _http_url(value, "adresse de la plateforme")

    @field_validator("deployment_ids")
    @classmethod
    def _deployments(cls, value: list[str]) -> list[str]:
        cleaned = [v.strip() for v in value if v.strip()]
        if not cleaned:
            raise ValueError("au moins un identifiant de déploiement (deployment_ids) est requis")
        return cleaned

    @property
    def label(self) -> str:
        """How messages name this platform."""
        return self.name or self.issuer

    def origins(self) -> set[str]:
        """Origins (scheme://host[:port]) of the platform's pages: those that may frame the tool."""
        found = set()
        for url in (self.issuer, self.auth_login_url):
            parts = urlsplit(url)
            found.add(f"{parts.scheme}://{parts.netloc}")
        return found


class LtiSettings(BaseModel):
    """LTI 1.3 tool settings (used when ``app.identification`` is ``lti``)."""

    model_config = ConfigDict(extra="forbid")

    tool_url: str = Field(
        default="",
        description="Public address of the app as the ENA reaches it, e.g. https://formation.etablissement.example/"
        " (empty: http://APP_HOST:APP_PORT/, for a demonstration).",
    )
    registrations_file: Path | None = Field(
        default=None, description="TOML or JSON file listing the registered platforms ([[platforms]])."
    )
    platforms: list[PlatformRegistration] = Field(
        default_factory=list, description="Registered platforms, inline ([[lti.platforms]])."
    )
    employee_number_claim: list[str] = Field(
        default_factory=lambda: [LIS_CLAIM, "person_sourcedid"],
        min_length=1,
        description="Path of the claim carrying the employee number (claim name, then keys inside it).",
    )
    employee_number_custom: str = Field(
        default="employee_number",
        description="Custom parameter read when the claim is absent "
        "(Moodle: employee_number=$Person.sourcedId).",
    )
    session_hours: float = Field(default=12.0, gt=0, le=168, description="Lifetime of a launch's session.")
    frame_ancestors: list[str] = Field(
        default_factory=list,
        description="Other origins allowed to show the app in a frame (the platforms' own are allowed).",
    )
    jwks_cache_seconds: float = Field(
        default=3600.0, ge=0, description="How long a platform's public keyset is reused."
    )
    jwks_refresh_cooldown: float = Field(
        default=10.0,
        ge=0,
        description="Minimum seconds between two fetches of a keyset caused by an unknown key id.",
    )
    score_interval: float = Field(
        default=5.0, gt=0, description="Seconds between rounds of the score sender."
    )
    score_timeout: float = Field(default=10.0, gt=0, description="Timeout of one request to a platform.")

    @field_validator("tool_url")
    @classmethod
    def _tool_url(cls, value: str) -> str:
        if not value.strip():
            return ""
        value = _http_url(value, "adresse publique de l'outil (lti.tool_url)")
        return value if value.endswith("/") else value + "/"

    @field_validator("registrations_file")
    @classmethod
    def _absolute(cls, value: Path | None) -> Path | None:
        return value.expanduser().resolve() if value is not None else None

    @field_validator("frame_ancestors")
    @classmethod
    def _origins(cls, value: list[str]) -> list[str]:
        return [_http_url(v, "origine permise (lti.frame_ancestors)").rstrip("/") for v in value]

    @model_validator(mode="after")
    def _registrations_readable(self) -> LtiSettings:
        registrations = self.registrations()  # a bad file stops every command early
        seen: set[tuple[str, str]] = set()
        for platform in registrations:
            key = (platform.issuer, platform.client_id)
            if key in seen:
                raise ValueError(
                    f"plateforme inscrite deux fois : {platform.issuer} (client {platform.client_id})"
                )
            seen.add(key)
        return self

    def registrations(self) -> list[PlatformRegistration]:
        """Every registered platform: the inline ones, then those of the registrations file."""
        return [*self.platforms, *load_registrations_file(self.registrations_file)]

    def base_url(self, host: str, port: int) -> str:
        """The tool's public address, ending with ``/``."""
        return self.tool_url or f"http://{host}:{port}/"


def load_registrations_file(path: Path | None) -> list[PlatformRegistration]:
    """The platforms listed in ``path`` (TOML ``[[platforms]]`` or JSON); French errors."""
    if path is None:
        return []
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ValueError(f"fichier des plateformes LTI illisible : {path} ({exc.strerror})") from None
    try:
        data: Any = json.loads(text) if path.suffix.lower() == ".json" else tomllib.loads(text)
    except (ValueError, tomllib.TOMLDecodeError) as exc:
        raise ValueError(f"fichier des plateformes LTI invalide : {path} ({exc})") from None
    items = data.get("platforms") if isinstance(data, dict) else None
    if not isinstance(items, list):
        raise ValueError(f"{path} : une liste « platforms » ([[platforms]]) est attendue")
    platforms = []
    for index, item in enumerate(items, start=1):
        try:
            platforms.append(PlatformRegistration.model_validate(item))
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"]) or "?"
            message = str(first["msg"]).removeprefix("Value error, ")
            raise ValueError(f"{path} : plateforme n° {index}, {where} : {message}") from None
    return platforms
