"""Links from the learner app to the book served alongside it (``/livre/``)."""

from __future__ import annotations

import html
import re
from pathlib import Path

from scenarios.model import Theme

THEME_CHAPTERS: dict[Theme, str] = {
    Theme.URGENCE: "chapitres/04-situations-a-eviter.html",
    Theme.MAUVAIS_DESTINATAIRE: "chapitres/09-bon-destinataire.html",
    Theme.BRIS_DE_CONFIDENTIALITE: "chapitres/12-incidents.html",
    Theme.CONSENTEMENT: "chapitres/05-consentement.html",
    Theme.IDENTIFICATION_USAGER: "chapitres/08-identification-usager.html",
    Theme.TENUE_DE_DOSSIER: "chapitres/11-tenue-de-dossier.html",
    Theme.OUTILS_AUTORISES: "chapitres/06-outils-autorises.html",
    Theme.INTERNE_EXTERNE: "chapitres/10-interne-externe.html",
    Theme.TELETRAVAIL: "chapitres/16-teletravail.html",
    Theme.PARTAGE_SYSTEMES: "chapitres/17-partage-systemes.html",
    Theme.RENSEIGNEMENTS_STRATEGIQUES: "chapitres/02-renseignements-confidentiels.html",
    Theme.PROPRIETE_UTILISATION: "chapitres/13-propriete-utilisation.html",
    Theme.ROLES: "chapitres/14-roles-responsabilites.html",
}
"""The book chapter to review for each theme (paths under the book's root)."""

_TITLE = re.compile(r"<title>(.*?)(?:\s*&#8212;.*)?</title>", re.S)


def book_chapters(html_dir: Path) -> list[tuple[str, str]]:
    """(path under the book, title) of the introduction and every chapter of the built book."""
    pages = [html_dir / "intro.html", *sorted((html_dir / "chapitres").glob("*.html"))]
    found = []
    for page in pages:
        if not page.is_file():
            continue
        with page.open(encoding="utf-8") as fh:
            head = fh.read(4000)
        match = _TITLE.search(head)
        title = html.unescape(match.group(1)).strip() if match else page.stem
        found.append((page.relative_to(html_dir).as_posix(), title))
    return found


def book_link(book_url: str, path: str, title: str) -> str:
    """A link to a page of the book, opened in a new tab (announced to screen readers)."""
    href = html.escape(book_url + path)
    return (
        f'<a href="{href}" target="_blank" rel="noopener">{html.escape(title)}'
        '<span class="ftic-sr"> (nouvel onglet)</span></a>'
    )
