"""Application settings (environment variables prefixed ``FORMATION_TIC_``).

Only the CLI layer builds settings; library packages receive values as arguments.
"""

from __future__ import annotations

from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict


class AppSettings(BaseSettings):
    """Where the module keeps its data and finds its content."""

    model_config = SettingsConfigDict(env_prefix="FORMATION_TIC_", extra="ignore")

    data_dir: Path = Path("var")
    profile: Path | None = None
    """Establishment profile file; None = the bundled CISSS des Laurentides profile."""
    bank: Path = Path("scenarios/bank")
    book: Path = Path("book")
