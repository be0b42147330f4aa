"""Kernel-side entry point of the dashboard notebook (the process edge: reads its settings file)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from html import escape
from typing import Any

from ...settings import kernel_settings
from ..inputs import register_inputs
from .view import DashboardAccessError, ManagerDashboard, manager_from_environ, title_html


def main(environ: Mapping[str, str] | None = None) -> Any:
    """Build the dashboard for the manager named by the trusted header (or an error message)."""
    import ipywidgets as w

    env = dict(os.environ if environ is None else environ)
    settings = kernel_settings(env)
    try:
        manager = manager_from_environ(env, settings.hr.manager_header)
    except DashboardAccessError as exc:
        return w.HTML(f"{title_html()}<p role='alert'>{escape(str(exc))}</p>")
    inputs = register_inputs(settings)
    return ManagerDashboard(manager, inputs.sources, inputs.rules, inputs.keys).widget()
