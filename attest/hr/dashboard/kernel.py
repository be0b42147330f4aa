"""Kernel-side entry point of the dashboard notebook (the process edge: reads settings)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from ...directive import load_directive
from ...form import available_forms
from ...keys import load_public_key, public_keys_by_id
from ...settings import AttestSettings
from ..register import RegisterRules, RegisterSources
from ..settings import HrSettings
from .view import DashboardAccessError, ManagerDashboard, manager_from_environ


def main(environ: Mapping[str, str] | None = None) -> Any:
    """Build the dashboard for the manager named by the trusted header (or an error message)."""
    import ipywidgets as w

    env = os.environ if environ is None else environ
    settings = HrSettings()
    attest = AttestSettings()
    try:
        manager = manager_from_environ(env, settings.manager_header)
    except DashboardAccessError as exc:
        return w.HTML(f"<p role='alert'>{exc}</p>")
    paths = list(settings.public_key_paths) or [
        attest.certificate_path if attest.certificate_path.exists() else attest.public_key_path
    ]
    store = settings.attestations_db_path
    keys = public_keys_by_id(load_public_key(p) for p in paths) if store.exists() else {}
    rules = RegisterRules(
        late_after_days=settings.late_after_days,
        directive=load_directive(attest.profile_path),
        forms=available_forms(),
    )
    sources = RegisterSources(
        roster_db=settings.db_path, attestations_db=store, statements_db=settings.statements_db_path
    )
    return ManagerDashboard(manager, sources, rules, keys).widget()
