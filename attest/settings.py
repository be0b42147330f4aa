"""Attestation options (the ``attest`` section of the settings root, ``FORMATION_TIC_ATTEST_*``).

Library code never reads the environment: the application layer builds these options
and passes them, with the paths it derives from its data directory, as arguments.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, SecretStr


class AttestSettings(BaseModel):
    """How the signing key is made and protected, which form is shown, how writers wait."""

    model_config = ConfigDict(extra="forbid", defer_build=True)

    private_key_passphrase: SecretStr | None = Field(
        default=None, description="Optional passphrase encrypting the private key file."
    )
    key_size: int = Field(default=3072, ge=2048, le=8192, description="RSA modulus size (bits).")
    certificate_days: int = Field(default=3650, ge=1, description="Certificate validity (days).")
    form_version: str | None = Field(
        default=None, description="Engagement form version to present; None = the latest."
    )
    busy_timeout: float = Field(
        default=60.0, gt=0, description="Seconds a writer waits for the store's write lock."
    )

    def passphrase_bytes(self) -> bytes | None:
        """The passphrase as bytes, or None when the key is not encrypted."""
        secret = self.private_key_passphrase
        return secret.get_secret_value().encode() if secret else None
