"""HR register settings (pydantic-settings, prefix ``FORMATION_TIC_HR_``).

Library code never reads the environment: the CLI builds an :class:`HrSettings` and
passes its values in.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class HrSettings(BaseSettings):
    """Where the roster, the attestations and the pulled statements live; the rules' knobs."""

    model_config = SettingsConfigDict(env_prefix="FORMATION_TIC_HR_", extra="forbid")

    db_path: Path = Field(default=Path("var/hr.db"), description="Roster database (SQLite).")
    attestations_db_path: Path = Field(
        default=Path("var/attestations.db"), description="Signed attestation store (read only)."
    )
    statements_db_path: Path = Field(
        default=Path("var/outbox.db"),
        description="SQLite file holding the lrs_statements table filled by « lrs pull ».",
    )
    public_key_paths: list[Path] = Field(
        default_factory=lambda: [Path("var/keys/signing-cert.pem")],
        description="Certificates or public keys that verify the attestation store.",
    )
    reports_dir: Path = Field(default=Path("var/rapports"), description="Where report files go.")
    late_after_days: int = Field(
        default=30, ge=0, le=3650, description="Days after hire before a person is « en retard »."
    )
    html_max_rows: int = Field(
        default=5000, ge=0, description="Most people listed by name in the HTML report."
    )
    items_min_attempts: int = Field(
        default=10, ge=1, description="Answers needed before a scenario is flagged."
    )
    items_low_rate: float = Field(
        default=0.2, ge=0, le=1, description="At or below: « presque tout le monde échoue »."
    )
    items_high_rate: float = Field(
        default=0.95, ge=0, le=1, description="At or above: « presque tout le monde réussit »."
    )
    manager_header: str = Field(
        default="X-Employee-Number",
        description="Trusted HTTP header carrying the manager's employee number (dashboard).",
    )
