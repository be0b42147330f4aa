"""LRS connection options (the ``lrs`` section of the settings root, ``FORMATION_TIC_LRS_*``).

Library code never reads the environment: the application layer builds an
:class:`LrsSettings` and passes it in.
"""

from __future__ import annotations

from typing import Any, Literal
from urllib.parse import urlsplit, urlunsplit

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

DEFAULT_HOMEPAGE = "https://ena.santeqc.example"
"""Placeholder ENA home page: each organization sets its own (``FORMATION_TIC_LRS_HOMEPAGE``)."""


class LrsSettings(BaseModel):
    """Where and how statements are sent. ``endpoint=None``: statements wait in the outbox."""

    model_config = ConfigDict(extra="forbid", defer_build=True)

    endpoint: str | None = Field(
        default=None,
        description="xAPI endpoint, ending with /xAPI/ or similar (e.g. http://127.0.0.1:8100/xAPI/).",
    )
    username: str | None = None
    password: SecretStr | None = None
    homepage: str = Field(
        default=DEFAULT_HOMEPAGE,
        description="homePage of the organization's ENA, used in account actors.",
    )
    batch_size: int = Field(default=100, ge=1, le=10_000)
    connect_timeout: float = Field(default=5.0, gt=0)
    read_timeout: float = Field(default=30.0, gt=0)
    write_timeout: float = Field(default=30.0, gt=0)
    statement_mode: Literal["signed-multipart", "jws-extension"] = "signed-multipart"
    max_retries: int = Field(
        default=8, ge=0, description="Retries of one batch within one flush before giving up."
    )
    backoff_base: float = Field(default=0.5, ge=0, description="First backoff delay (s).")
    backoff_max: float = Field(default=60.0, ge=0, description="Longest backoff delay (s).")
    platform: str = "formation-tic"
    pull_overlap_seconds: float = Field(
        default=300.0,
        ge=0,
        description="Incremental pulls re-ask this much before the last stored time.",
    )

    @field_validator("endpoint")
    @classmethod
    def _endpoint_ends_with_slash(cls, value: str | None) -> str | None:
        if value is None or value.strip() == "":
            return None
        value = value.strip()
        if not value.startswith(("http://", "https://")):
            raise ValueError("l'adresse du LRS doit commencer par http:// ou https://")
        parts = urlsplit(value)
        if not parts.hostname:
            raise ValueError(
                "l'adresse du LRS ne nomme aucun serveur (par exemple https://lrs.etablissement.example/xAPI/)"
            )
        if parts.username is not None or parts.password is not None:
            raise ValueError(
                "l'adresse du LRS ne doit pas contenir d'identifiants : "
                "utilisez FORMATION_TIC_LRS_USERNAME et FORMATION_TIC_LRS_PASSWORD"
            )
        return value if value.endswith("/") else value + "/"

    @field_validator("homepage")
    @classmethod
    def _homepage_is_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")) or " " in value:
            raise ValueError("homepage doit être l'adresse http(s) de l'ENA")
        return value

    @property
    def safe_endpoint(self) -> str:
        """The endpoint as it may be displayed (never with credentials)."""
        if self.endpoint is None:
            return ""
        parts = urlsplit(self.endpoint)
        host = parts.hostname or ""
        netloc = f"{host}:{parts.port}" if parts.port else host
        return urlunsplit((parts.scheme, netloc, parts.path, "", ""))

    @property
    def configured(self) -> bool:
        """True when an endpoint is set (otherwise statements wait in the outbox)."""
        return self.endpoint is not None

    def safe_dump(self) -> dict[str, Any]:
        """Settings as a dict with the password masked, for display."""
        data = self.model_dump()
        data["password"] = "********" if self.password else None
        return data
