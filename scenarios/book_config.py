"""The staged book's configuration, hardened whatever book/_config.yml says.

``formation-tic build`` applies :func:`harden_config` to the staged ``_config.yml``: Jinja
substitutions and MyST's HTML syntax off, notebook execution off, and the
:mod:`scenarios.book_guard` Sphinx extension on. The guard reports each construct it
neutralises with :data:`REFUSAL_MARK`; :func:`refusals` finds those lines in the build log.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

GUARD_EXTENSION = "scenarios.book_guard"
REFUSED_MYST_EXTENSIONS = frozenset({"substitution", "html_image", "html_admonition"})
"""``substitution`` renders ``{{ … }}`` with Jinja2 (code execution); the others turn HTML into nodes."""
DISABLED_MYST_SYNTAX = ("html_block", "html_inline")
"""markdown-it rules off in the book: raw HTML is shown as text, never passed through."""
REFUSAL_MARK = "formation-tic : contenu refusé"


def harden_config(config: dict[str, Any]) -> dict[str, Any]:
    """``config`` (a Jupyter Book ``_config.yml``) with the protections forced on."""
    parse = config.setdefault("parse", {})
    extensions = parse.get("myst_enable_extensions") or []
    parse["myst_enable_extensions"] = [e for e in extensions if e not in REFUSED_MYST_EXTENSIONS]
    config.setdefault("execute", {})["execute_notebooks"] = "off"
    sphinx = config.setdefault("sphinx", {})
    extra = sphinx.get("extra_extensions") or []
    extra = [extra] if isinstance(extra, str) else list(extra)
    sphinx["extra_extensions"] = [*extra, GUARD_EXTENSION] if GUARD_EXTENSION not in extra else extra
    sphinx_config = sphinx.setdefault("config", {})
    disabled = list(sphinx_config.get("myst_disable_syntax") or [])
    sphinx_config["myst_disable_syntax"] = disabled + [s for s in DISABLED_MYST_SYNTAX if s not in disabled]
    return config


def harden_config_file(path: Path) -> None:
    """Rewrite the Jupyter Book configuration at ``path`` with :func:`harden_config`."""
    config = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    hardened = harden_config(config)
    path.write_text(yaml.safe_dump(hardened, allow_unicode=True, sort_keys=False), encoding="utf-8")


def refusals(log: str) -> list[str]:
    """The lines of a Sphinx log where :mod:`scenarios.book_guard` neutralised something."""
    return [line.strip() for line in log.splitlines() if REFUSAL_MARK in line]
