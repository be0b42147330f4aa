"""Attestation settings (pydantic-settings, prefix ``FORMATION_TIC_ATTEST_``).

Library code never reads the environment: the CLI builds an :class:`AttestSettings`
and passes its values in.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class AttestSettings(BaseSettings):
    """Where the signing key, the public certificate and the store live."""

    model_config = SettingsConfigDict(env_prefix="FORMATION_TIC_ATTEST_", extra="forbid")

    private_key_path: Path = Field(
        default=Path("var/keys/signing-key.pem"),
        description="Establishment's RSA private key (PEM, mode 0600, never in git).",
    )
    private_key_passphrase: SecretStr | None = Field(
        default=None, description="Optional passphrase encrypting the private key file."
    )
    certificate_path: Path = Field(
        default=Path("var/keys/signing-cert.pem"),
        description="Self-signed X.509 certificate given to verifiers (public).",
    )
    public_key_path: Path = Field(
        default=Path("var/keys/signing-key.pub.pem"),
        description="Public key (PEM SubjectPublicKeyInfo) given to verifiers.",
    )
    db_path: Path = Field(default=Path("var/attestations.db"), description="Attestation store.")
    key_size: int = Field(default=3072, ge=2048, le=8192, description="RSA modulus size (bits).")
    certificate_days: int = Field(default=3650, ge=1, description="Certificate validity (days).")
    profile_path: Path | None = Field(
        default=None, description="Establishment profile; None = the bundled one."
    )
    form_version: str | None = Field(
        default=None, description="Engagement form version to present; None = the latest."
    )
    busy_timeout: float = Field(
        default=60.0, gt=0, description="Seconds a writer waits for the store's write lock."
    )
