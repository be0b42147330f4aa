"""Learner-facing text: Markdown safety checks and inline citations."""

from __future__ import annotations

import re

from markdown_it import MarkdownIt

_md = MarkdownIt("commonmark", {"html": True})

_UNSAFE_LINK = re.compile(r"^\s*(javascript|data|vbscript):", re.IGNORECASE)
_UNSAFE_LINK_SOURCE = re.compile(r"(\]\(|<)\s*(javascript|data|vbscript):", re.IGNORECASE)
_INLINE_SECTION = re.compile(
    r"\bsections?\s+((?:\d+(?:\.\d+)*)(?:\s*(?:,|et|à)\s*\d+(?:\.\d+)*)*)", re.IGNORECASE
)
_NUMBER = re.compile(r"\d+(?:\.\d+)*")


def unsafe_markup(text: str) -> str | None:
    """Why ``text`` is refused (raw HTML, script, unsafe link), or None when it is plain Markdown."""
    if _UNSAFE_LINK_SOURCE.search(text):
        return "lien refusé : seuls les liens http, https et mailto sont permis"
    for token in _md.parse(text):
        if token.type == "html_block":
            return "HTML brut refusé : écrivez en Markdown (pas de balises ni de script)"
        for child in token.children or []:
            if child.type == "html_inline":
                return "HTML brut refusé : écrivez en Markdown (pas de balises ni de script)"
            if child.type == "link_open" and _UNSAFE_LINK.match(str(child.attrGet("href") or "")):
                return "lien refusé : seuls les liens http, https et mailto sont permis"
    return None


def inline_directive_sections(text: str) -> list[str]:
    """Directive section numbers cited in prose, e.g. « sections 5.8 et 5.10 » → ["5.8", "5.10"]."""
    found: list[str] = []
    for match in _INLINE_SECTION.finditer(text):
        found.extend(_NUMBER.findall(match.group(1)))
    return found
