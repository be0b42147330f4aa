"""Where the app keeps its files under the data directory (no personal data in names)."""

from __future__ import annotations

from pathlib import Path

APP_DIR = Path(__file__).parent
NOTEBOOK = APP_DIR / "notebooks" / "formation.ipynb"
TEMPLATES_ROOT = APP_DIR / "share"
"""A Jupyter data directory holding the ``formation`` Voilà template."""
TEMPLATE_NAME = "formation"
HEALTH_DIR = APP_DIR / "static"


def progress_path(data_dir: Path) -> Path:
    """The learners' progress database."""
    return data_dir / "app" / "progress.db"


def outbox_path(data_dir: Path) -> Path:
    """The xAPI outbox shared with ``formation-tic lrs`` (same default: var/outbox.db)."""
    return data_dir / "outbox.db"


def book_html_dir(book: Path) -> Path:
    """The built book (``formation-tic build``)."""
    return book / "_build" / "html"
