"""Learner web app options (the ``app`` section of the settings root, ``FORMATION_TIC_APP_*``).

Only the process edges build them: ``formation-tic serve`` and the kernel-side entry point
(:func:`formation_tic.app.kernel.main`). Library code receives them as arguments.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator

from attest.identity import IdentificationMethod

IdentificationMode = IdentificationMethod
"""The app identifies people in the ways an attestation records (one definition, in attest)."""

LTI_IDENTITY_HEADER = "X-Formation-Tic-Lti-Employe"
"""In ``lti`` mode, the header that carries the employee number to the kernel. Only the server
sets it, from the session a verified LTI launch opened: the page handler removes any value
the request came with (:mod:`formation_tic.lti.handlers`)."""
LTI_IDENTITY_ENV = "HTTP_" + LTI_IDENTITY_HEADER.upper().replace("-", "_")
"""The kernel environment variable Voilà fills from :data:`LTI_IDENTITY_HEADER` (RFC 3875)."""


class LearnerAppSettings(BaseModel):
    """How the learner app identifies people, draws the quiz and runs its server."""

    model_config = ConfigDict(extra="forbid", defer_build=True)

    identification: IdentificationMode = Field(
        default="typed",
        description="typed: the person types an employee number (demo, small sites); "
        "sso-header: a trusted header set by the SSO proxy; lms-launch: cmi5 launch (not yet); "
        "lti: an LTI 1.3 launch from the ENA (Moodle), verified by the server (see the lti section).",
    )
    trusted_header: str = Field(
        default="X-Forwarded-User",
        description="Header carrying the employee number in sso-header mode (set by the proxy only).",
    )
    per_theme: int = Field(default=1, ge=1, le=10, description="Scenarios drawn per theme.")
    pass_mark: float = Field(default=0.8, gt=0.0, le=1.0, description="Scaled score needed to pass.")
    max_attempts: int = Field(default=3, ge=1, le=100, description="Quiz attempts per person.")
    host: str = Field(default="127.0.0.1", description="Listening address (loopback by default).")
    port: int = Field(default=8000, ge=1, le=65535)
    cull_idle_timeout: int = Field(
        default=900, ge=0, description="Seconds after which an idle kernel is shut down (0 = never)."
    )
    cull_interval: int = Field(default=60, ge=1, description="Seconds between checks for idle kernels.")
    max_kernels: int = Field(default=40, ge=1, description="Learner pages running at once on the server.")
    max_kernels_per_client: int = Field(
        default=10,
        ge=1,
        description="Learner pages running at once from one client address (a proxy or NAT counts as one).",
    )
    abandoned_kernel_timeout: float = Field(
        default=60.0, gt=0, description="Seconds a page's kernel runs with no browser connected."
    )
    flush_interval: float = Field(
        default=5.0, gt=0, description="Seconds between background sends of the outbox to the LRS."
    )
    seed: int | None = Field(default=None, description="Fixed random seed for draws (tests only).")

    @field_validator("trusted_header")
    @classmethod
    def _header_name(cls, value: str) -> str:
        value = value.strip()
        if not value or not all(ch.isalnum() or ch == "-" for ch in value):
            raise ValueError("nom d'en-tête HTTP invalide (lettres, chiffres et tirets seulement)")
        return value

    @property
    def header_env(self) -> str:
        """The kernel environment variable Voilà fills from the trusted header (RFC 3875)."""
        return "HTTP_" + self.trusted_header.upper().replace("-", "_")
