"""Files shipped with the learner app (notebook, Voilà template, health file)."""

from __future__ import annotations

from pathlib import Path

APP_DIR = Path(__file__).parent
NOTEBOOK = APP_DIR / "notebooks" / "formation.ipynb"
TEMPLATES_ROOT = APP_DIR / "share"
"""A Jupyter data directory holding the ``formation`` Voilà template."""
TEMPLATE_NAME = "formation"
HEALTH_DIR = APP_DIR / "static"
