"""What the register reads, taken from the settings root (shared by the CLI and the dashboard)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from cryptography.hazmat.primitives.asymmetric import rsa

from attest.directive import load_directive
from attest.form import available_forms
from attest.keys import load_public_key, public_keys_by_id

from .register import RegisterRules, RegisterSources

if TYPE_CHECKING:
    from ..settings import Settings


@dataclass(frozen=True)
class RegisterInputs:
    """The register's sources, rules and verification keys for one installation."""

    sources: RegisterSources
    rules: RegisterRules
    keys: dict[str, rsa.RSAPublicKey]


def register_inputs(
    settings: Settings, *, public_keys: Sequence[Path] = (), late_after_days: int | None = None
) -> RegisterInputs:
    """Sources, rules and keys from the settings (raises the attest library's errors)."""
    paths = settings.paths
    sources = RegisterSources(
        roster_db=paths.roster,
        attestations_db=paths.attestations,
        statements_db=paths.statements,
        progress_db=paths.progress,
    )
    rules = RegisterRules(
        late_after_days=settings.hr.late_after_days if late_after_days is None else late_after_days,
        directive=load_directive(settings.profile),
        forms=available_forms(),
        max_attempts=settings.app.max_attempts,
    )
    keys: dict[str, rsa.RSAPublicKey] = {}
    if paths.attestations.exists():
        keys = public_keys_by_id(
            load_public_key(p) for p in (list(public_keys) or settings.verification_key_paths())
        )
    return RegisterInputs(sources, rules, keys)
