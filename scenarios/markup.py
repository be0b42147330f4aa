"""Scenario text is data: the Markdown a course needs, and nothing the book would run or fetch.

Texts are tokenized by MyST's own Markdown parser, configured like the book, and every token
is checked against an allowlist: paragraphs, emphasis, lists, block quotes, inline code, links
to ``http``, ``https`` or ``mailto``, and the ``{{ etab.… }}`` placeholders of the establishment
profile (resolved in Python, see :mod:`scenarios.profile`). Everything else is refused:
directives, roles, raw HTML, images, other ``{{ … }}`` or ``{% … %}`` (Jinja), headings,
tables, code blocks, MyST targets and comments.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterator
from dataclasses import dataclass

from markdown_it.renderer import RendererHTML
from markdown_it.token import Token
from myst_parser.config.main import MdParserConfig
from myst_parser.parsers.mdit import create_md_parser

from .profile import PLACEHOLDER

BOOK_MYST_EXTENSIONS = frozenset({"colon_fence", "deflist"})
"""The MyST syntax extensions the book enables (book/_config.yml), so texts parse as in the book."""
LINK_SCHEMES = frozenset({"http", "https", "mailto"})

_md = create_md_parser(MdParserConfig(enable_extensions=set(BOOK_MYST_EXTENSIONS)), RendererHTML)

_ALLOWED = frozenset(
    {
        "paragraph_open", "paragraph_close", "inline", "text", "softbreak", "hardbreak",
        "em_open", "em_close", "strong_open", "strong_close", "code_inline", "link_close",
        "bullet_list_open", "bullet_list_close", "ordered_list_open", "ordered_list_close",
        "list_item_open", "list_item_close", "blockquote_open", "blockquote_close",
    }
)  # fmt: skip
_HTML = "HTML brut refusé : écrivez en Markdown (pas de balises ni de script)"
_LINK = "lien refusé : seuls les liens http, https et mailto sont permis"
_LINK_SOURCE = re.compile(r"(\]\(|<)\s*(javascript|data|vbscript|file):", re.IGNORECASE)
_SCHEME = re.compile(r"^([a-z][a-z0-9+.\-]*):", re.IGNORECASE)
_TEMPLATE = re.compile(r"\{\{|\{%")
_SIMPLE = "un texte de scénario ne contient que du Markdown simple (gras, italique, listes, liens)"
_OTHER = {
    "heading_open": "titre Markdown (« # ») refusé : la page du scénario a déjà ses titres",
    "code_block": "bloc de code (texte indenté de 4 espaces) refusé ; " + _SIMPLE,
    "hr": "ligne de séparation refusée ; " + _SIMPLE,
    "table_open": "tableau refusé ; " + _SIMPLE,
    "dl_open": "liste de définitions (ligne commençant par « : ») refusée ; " + _SIMPLE,
    "myst_target": "cible de renvoi MyST « (nom)= » refusée ; " + _SIMPLE,
    "myst_line_comment": "commentaire MyST (ligne commençant par « % ») refusé : il serait masqué",
    "myst_block_break": "séparateur MyST « +++ » refusé ; " + _SIMPLE,
    "front_matter": "en-tête « --- » refusé ; " + _SIMPLE,
    "footnote_ref": "note de bas de page refusée ; " + _SIMPLE,
    "footnote_block_open": "note de bas de page refusée ; " + _SIMPLE,
    "image": "image refusée : les scénarios n'affichent pas d'images (aucun dossier d'images prévu)",
    "html_block": _HTML,
    "html_inline": _HTML,
}
_CLOSING = re.compile(r"_close$|^footnote_(anchor|open)$|^(tr|th|td|thead|tbody|dt|dd)_")


@dataclass(frozen=True)
class MarkupProblem:
    """A refused construct; ``line`` and ``column`` are 0-based in the text (``line`` None if unknown)."""

    message: str
    line: int | None
    column: int = 0


def markup_problems(text: str) -> list[MarkupProblem]:
    """Every construct of ``text`` that scenario files refuse, once per line and message."""
    unique: dict[tuple[int | None, str], MarkupProblem] = {}
    for problem in _problems(text):
        unique.setdefault((problem.line, problem.message), problem)
    return sorted(unique.values(), key=lambda p: (p.line if p.line is not None else -1, p.column))


def _problems(text: str) -> Iterator[MarkupProblem]:
    lines = text.split("\n")
    yield from _template_problems(text)
    link = _LINK_SOURCE.search(text)
    if link:
        yield _at(text, link.start(), _LINK)
    for token in _md.parse(text):
        start = token.map[0] if token.map else None
        if token.type == "inline":
            for child in token.children or []:
                yield from _inline_problem(child, lines, token.map)
        elif token.type not in _ALLOWED:
            yield from _block_problem(token, lines, start)


def _template_problems(text: str) -> Iterator[MarkupProblem]:
    starts = [0, *(m.end() for m in re.finditer("\n", text))]
    for match in _TEMPLATE.finditer(text):
        placeholder = PLACEHOLDER.match(text, match.start())
        if placeholder and (match.start() == 0 or text[match.start() - 1] != "\\"):
            continue
        opening = match.group()
        closing = "}}" if opening == "{{" else "%}"
        line = bisect_right(starts, match.start()) - 1
        yield MarkupProblem(
            f"expression « {opening} … {closing} » refusée : seules les valeurs du profil "
            "d'établissement sont permises, sous la forme {{ etab.chemin.de.la.valeur }}",
            line,
            match.start() - starts[line],
        )


def _block_problem(token: Token, lines: list[str], start: int | None) -> Iterator[MarkupProblem]:
    if _CLOSING.search(token.type):
        return
    column = _indent(lines[start]) if start is not None and start < len(lines) else 0
    if token.type in {"fence", "colon_fence"}:
        info = token.info.strip()
        name = info.split(maxsplit=1)[0] if info else ""
        fence = token.markup
        if name.startswith("{"):
            message = f"directive MyST « {fence}{_short(name)} » refusée ; {_SIMPLE}"
        else:
            message = f"bloc « {fence} » refusé ; {_SIMPLE}"
        yield MarkupProblem(message, start, column)
        return
    message = _OTHER.get(token.type, f"syntaxe non permise dans un scénario ({token.type}) ; {_SIMPLE}")
    yield MarkupProblem(message, start, column)


def _inline_problem(token: Token, lines: list[str], span: list[int] | None) -> Iterator[MarkupProblem]:
    if token.type == "link_open":
        href = str(token.attrGet("href") or "")
        scheme = _SCHEME.match(href)
        if not scheme or scheme.group(1).lower() not in LINK_SCHEMES:
            yield _find(lines, span, ("](" + href, href, "]("), _LINK)
    elif token.type == "myst_role":
        name = str(token.meta.get("name", ""))
        message = f"rôle MyST « {{{_short(name)}}}`…` » refusé ; {_SIMPLE}"
        yield _find(lines, span, ("{" + name + "}",), message)
    elif token.type == "image":
        yield _find(lines, span, ("![",), _OTHER["image"])
    elif token.type not in _ALLOWED and not _CLOSING.search(token.type):
        message = _OTHER.get(token.type, f"syntaxe non permise dans un scénario ({token.type}) ; {_SIMPLE}")
        yield _find(lines, span, (token.content, token.markup), message)


def _find(lines: list[str], span: list[int] | None, needles: tuple[str, ...], message: str) -> MarkupProblem:
    """The problem at the first line of ``span`` holding one of ``needles`` (else the span's start)."""
    if span is None:
        return MarkupProblem(message, None)
    first, end = span
    for needle in (n for n in needles if n):
        for number in range(first, min(end, len(lines))):
            column = lines[number].find(needle)
            if column >= 0:
                return MarkupProblem(message, number, column)
    return MarkupProblem(message, first, _indent(lines[first]) if first < len(lines) else 0)


def _at(text: str, offset: int, message: str) -> MarkupProblem:
    line = text.count("\n", 0, offset)
    return MarkupProblem(message, line, offset - (text.rfind("\n", 0, offset) + 1))


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def _short(name: str, limit: int = 40) -> str:
    return name if len(name) <= limit else name[: limit - 1] + "…"
