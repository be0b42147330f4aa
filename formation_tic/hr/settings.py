"""HR register options (the ``hr`` section of the settings root, ``FORMATION_TIC_HR_*``).

Paths (roster, register, pulled statements, reports) are derived by the settings root.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field


class HrSettings(BaseModel):
    """The register's rules and thresholds."""

    model_config = ConfigDict(extra="forbid")

    public_key_paths: list[Path] = Field(
        default_factory=list,
        description="Extra certificates or public keys that verify the register (after a key change); "
        "the establishment's current certificate is always used.",
    )
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
