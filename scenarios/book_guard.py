"""Sphinx extension: the book reads nothing outside its sources and runs nothing from content.

Defence in depth behind ``scenarios check`` (:mod:`scenarios.markup`), for every page of the
book, generated or hand-written; ``formation-tic build`` always loads it (see
:mod:`scenarios.book_config`). Whatever the pages contain:

- no Jinja: MyST's ``substitution`` extension stays off (``{{ … }}`` is plain text);
- no raw HTML: MyST's HTML syntax is off, the ``raw`` directive and role are refused, docutils'
  ``raw_enabled`` is off and any ``raw`` node left is removed;
- no file of the build machine: ``include``, ``literalinclude``, ``csv-table :file:`` (and
  docutils file insertion), ``{download}``, and images or downloads resolving outside the
  book's sources are refused;
  generated scenario pages (``banque/``) may hold no image or download at all;
- no reStructuredText (``{eval-rst}``), no ``javascript:``-style link, no ``meta`` tag, no
  thebe or myst-nb ``eval`` code.

Each refusal removes the construct and logs a warning starting with
:data:`~scenarios.book_config.REFUSAL_MARK`; ``formation-tic build`` then fails.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from docutils import nodes
from docutils.parsers.rst import directives
from sphinx import addnodes
from sphinx.application import Sphinx
from sphinx.config import Config
from sphinx.directives.patches import CSVTable
from sphinx.errors import ExtensionError
from sphinx.transforms import SphinxTransform
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective

from .book_config import DISABLED_MYST_SYNTAX, REFUSAL_MARK, REFUSED_MYST_EXTENSIONS

GENERATED_PREFIXES = ("banque/",)
"""Docnames of the pages generated from scenario files (``scenarios.build.BANK_DIR``)."""
REFUSED_DIRECTIVES = ("raw", "include", "literalinclude", "role", "meta", "thebe-button", "eval")
REFUSED_ROLES = ("raw", "download", "nb-download", "eval")
LINK_SCHEMES = frozenset({"http", "https", "mailto"})

logger = logging.getLogger(__name__)
_SCHEME = re.compile(r"^([a-z][a-z0-9+.\-]*):")
_CONTROL = re.compile(r"[\x00-\x20\x7f]")


def refuse(what: str, location: Any) -> None:
    """Log one refusal (a Sphinx warning that ``formation-tic build`` turns into an error)."""
    logger.warning(f"{REFUSAL_MARK} : {what}", location=location)


def _refused_text() -> nodes.emphasis:
    return nodes.emphasis(text="[contenu refusé]")


class _AnyOption(dict[str, Any]):
    """An ``option_spec`` accepting every option, so a refused directive never fails to parse."""

    def __missing__(self, key: str) -> Any:
        return directives.unchanged

    def __contains__(self, key: object) -> bool:
        return True

    def get(self, key: str, default: Any = None) -> Any:
        return self[key]


class RefusedDirective(SphinxDirective):
    """Stands in for a dangerous directive: runs nothing, reads nothing."""

    has_content = True
    optional_arguments = 1
    final_argument_whitespace = True
    option_spec = _AnyOption()

    def run(self) -> list[nodes.Node]:
        """Log the refusal and leave a visible marker in the page."""
        refuse(f"directive « {self.name} »", self.get_location())
        return [nodes.paragraph("", "", _refused_text())]


class GuardedCSVTable(CSVTable):
    """``csv-table`` without ``:file:`` or ``:url:`` (docutils' file insertion is off too)."""

    def run(self) -> list[nodes.Node]:
        """Refuse a table read from a file or a URL; build the others as usual."""
        if "file" in self.options or "url" in self.options:
            source, line = self.state_machine.get_source_and_line(self.lineno)
            refuse("directive « csv-table » lisant un fichier", f"{source}:{line}")
            return [nodes.paragraph("", "", _refused_text())]
        return super().run()


def refused_role(
    name: str,
    rawtext: str,
    text: str,
    lineno: int,
    inliner: Any,
    options: dict[str, Any] | None = None,
    content: list[str] | None = None,
) -> tuple[list[nodes.Node], list[nodes.system_message]]:
    """Stands in for a dangerous role."""
    env = getattr(inliner.document.settings, "env", None)
    refuse(f"rôle « {name} »", (env.docname, lineno) if env is not None else None)
    return [_refused_text()], []


class ContentGuard(SphinxTransform):
    """Remove raw nodes, out-of-book images and downloads, and non-web links, before collectors run."""

    default_priority = 870  # after docutils/Sphinx reading transforms, before ``doctree-read`` (880)

    def apply(self, **kwargs: Any) -> None:
        """Check every raw, image, download and reference node of the document."""
        generated = self.env.docname.startswith(GENERATED_PREFIXES)
        for raw in list(self.document.findall(nodes.raw)):
            refuse("HTML ou contenu brut", self._where(raw))
            raw.parent.remove(raw)
        for image in list(self.document.findall(nodes.image)):
            if generated or not self._inside_book(str(image.get("uri", ""))):
                refuse("image hors du livre" if not generated else "image", self._where(image))
                inline = isinstance(image.parent, nodes.TextElement)
                image.replace_self(_refused_text() if inline else nodes.paragraph("", "", _refused_text()))
        for download in list(self.document.findall(addnodes.download_reference)):
            if generated or not self._inside_book(str(download.get("reftarget", ""))):
                refuse("lien vers un fichier local", self._where(download))
                download.replace_self(download.children or [_refused_text()])
        for reference in self.document.findall(nodes.reference):
            scheme = _SCHEME.match(_CONTROL.sub("", str(reference.get("refuri", ""))).lower())
            if scheme and scheme.group(1) not in LINK_SCHEMES:
                refuse(f"lien « {scheme.group(1)}: »", self._where(reference))
                del reference["refuri"]

    def _where(self, node: nodes.Node) -> tuple[str, int | None]:
        return self.env.docname, node.line

    def _inside_book(self, uri: str) -> bool:
        """True for remote URIs, and for files that resolve inside the book's sources."""
        if uri.startswith("data:") or "://" in uri:
            return True
        _, full = self.env.relfn2path(uri, self.env.docname)
        return Path(full).resolve().is_relative_to(Path(self.app.srcdir).resolve())


def _force_config(app: Sphinx, config: Config) -> None:
    """MyST without Jinja substitutions and without HTML, whatever the book's configuration."""
    extensions = getattr(config, "myst_enable_extensions", None) or []
    config.myst_enable_extensions = [e for e in extensions if e not in REFUSED_MYST_EXTENSIONS]
    disabled = list(getattr(config, "myst_disable_syntax", None) or [])
    config.myst_disable_syntax = disabled + [s for s in DISABLED_MYST_SYNTAX if s not in disabled]


def _restrict_docutils(app: Sphinx) -> None:
    """Docutils' own switches: no ``raw``, no file insertion (include, csv-table ``:file:``…)."""
    app.env.settings.update(raw_enabled=False, file_insertion_enabled=False)


def _refuse_eval_rst() -> None:
    """``{eval-rst}`` is handled by MyST's renderer itself, not by a directive: replace that method."""
    try:
        from myst_parser.mdit_to_docutils.base import DocutilsRenderer
    except ImportError:  # no MyST, no eval-rst
        return
    if not hasattr(DocutilsRenderer, "render_restructuredtext"):
        raise ExtensionError("scenarios.book_guard : MyST a changé ; impossible de refuser {eval-rst}")

    def render_refused(self: Any, token: Any) -> None:
        line = token.map[0] + 1 if getattr(token, "map", None) else None
        env = getattr(self, "sphinx_env", None)
        refuse("bloc « {eval-rst} » (reStructuredText)", (env.docname, line) if env is not None else None)
        self.current_node.append(nodes.paragraph("", "", _refused_text()))

    setattr(DocutilsRenderer, "render_restructuredtext", render_refused)  # noqa: B010


def setup(app: Sphinx) -> dict[str, Any]:
    """Register the guard (loaded last, so its directives and roles override the others)."""
    for name in REFUSED_DIRECTIVES:
        app.add_directive(name, RefusedDirective, override=True)
    for name in REFUSED_ROLES:
        app.add_role(name, refused_role, override=True)
    app.add_directive("csv-table", GuardedCSVTable, override=True)
    app.add_transform(ContentGuard)
    app.connect("config-inited", _force_config)
    app.connect("builder-inited", _restrict_docutils)
    _refuse_eval_rst()
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
