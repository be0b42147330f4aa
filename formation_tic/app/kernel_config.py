"""The settings a learner kernel reads: the file ``serve`` wrote, validated section by section.

A kernel needs the data paths and three sections (``app``, ``attest``, ``lrs``). Loading the
whole settings root (:mod:`formation_tic.settings`) would bring pydantic-settings, the HR and
LTI sections and the demo LRS launcher (httpx) into every learner's process: this module
reads the same file with the sections' own models instead, and refuses the same bad values.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from attest.settings import AttestSettings
from formation_tic.data_paths import DataPaths
from lrs_export.settings import LrsSettings

from .settings import LearnerAppSettings

KERNEL_CONFIG_ENV = "FORMATION_TIC_KERNEL_CONFIG"
"""Set by ``serve`` for its kernels (same name as :data:`formation_tic.settings.KERNEL_CONFIG_ENV`)."""
PASSPHRASE_ENV = "FORMATION_TIC_ATTEST_PRIVATE_KEY_PASSPHRASE"
"""The signing key's passphrase, the only secret a learner kernel reads from its environment."""


class KernelConfigError(ValueError):
    """The kernel's settings file is missing or invalid (French message)."""


@dataclass(frozen=True)
class KernelSettings:
    """What a learner kernel knows of the settings root."""

    data_dir: Path
    profile: Path | None
    bank: Path
    book: Path
    app: LearnerAppSettings
    attest: AttestSettings
    lrs: LrsSettings

    @property
    def paths(self) -> DataPaths:
        """Every derived path."""
        return DataPaths(self.data_dir)


def _path(data: Mapping[str, Any], name: str) -> Path:
    value = data.get(name)
    if not isinstance(value, str) or not value:
        raise KernelConfigError(f"réglage {name} absent ou invalide dans le fichier des noyaux")
    return Path(value)


def load_kernel_settings(environ: Mapping[str, str]) -> KernelSettings:
    """Read the file named by ``FORMATION_TIC_KERNEL_CONFIG`` (and the passphrase, if any)."""
    name = environ.get(KERNEL_CONFIG_ENV)
    if not name:
        raise KernelConfigError(f"{KERNEL_CONFIG_ENV} absent : ce noyau n'a pas été lancé par formation-tic")
    try:
        data = json.loads(Path(name).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise KernelConfigError(f"fichier des noyaux illisible ({name}) : {exc}") from None
    if not isinstance(data, dict):
        raise KernelConfigError(f"fichier des noyaux invalide ({name})")
    attest = dict(data.get("attest") or {})
    secret = environ.get(PASSPHRASE_ENV)
    if secret:
        attest["private_key_passphrase"] = secret
    profile = data.get("profile")
    try:
        return KernelSettings(
            data_dir=_path(data, "data_dir"),
            profile=Path(profile) if isinstance(profile, str) and profile else None,
            bank=_path(data, "bank"),
            book=_path(data, "book"),
            app=LearnerAppSettings.model_validate(data.get("app") or {}),
            attest=AttestSettings.model_validate(attest),
            lrs=LrsSettings.model_validate(data.get("lrs") or {}),
        )
    except ValidationError as exc:
        raise KernelConfigError(f"fichier des noyaux invalide ({name}) : {exc}") from None
