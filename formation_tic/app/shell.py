"""The frame of every page: header with the step counter, the page's note, the main area.

Each page shown is a new box of classes ``ftic-main ftic-page ftic-page-N`` (N counts the
pages shown in this kernel). The kernel runs no script in the browser: the template's
``formation.js`` sees a page numbered higher than the last one, scrolls to the top and moves
the focus to the page's heading (its ``<h1>``, every page has one), described by the page's
note. The note is not a live region: it is read once, with the heading that takes the focus.

In ``typed`` identification the header of every page also says that the identity is
self-declared (:data:`SELF_DECLARED_NOTICE`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import ipywidgets as w

from .markup import esc

STEPS = ("Identification", "Accueil", "Questionnaire", "Résultat", "Engagement", "Accusé de réception")
"""The steps announced in the header (« Étape 3 sur 6 : Questionnaire »)."""

SELF_DECLARED_NOTICE = (
    "Identité déclarée : le numéro d'employé est inscrit par la personne et n'est pas vérifié "
    "(formation de démonstration ou de petit établissement)."
)
"""Shown on every page when people type their own employee number."""


@dataclass
class Page:
    """One page of the journey, ready to show."""

    step: int
    """Index in :data:`STEPS`."""
    name: str
    """Short name (tests and benchmarks: ``Journey.on_page``)."""
    children: Sequence[w.Widget]
    note: str = ""
    """Announced to screen readers when the page is shown (``aria-live``)."""


class Shell:
    """The application's outer box; :meth:`show` replaces the page.

    ``self_declared``: the identity is typed by the person (``typed`` identification); every
    page says so in its header.
    """

    def __init__(self, *, self_declared: bool = False) -> None:
        self.self_declared = self_declared
        self.header = w.HTML()
        self.announce = w.HTML(layout=w.Layout(margin="0"))
        """The page's note (hidden; the description of the heading that takes the focus)."""
        self.shown = 0
        """How many pages were shown (the number in the page box's ``ftic-page-N`` class)."""
        self.main = self._page_box([])
        self.widget = w.VBox([self.header, self.main, self.announce])
        self.widget.add_class("ftic-app")

    def _page_box(self, children: Sequence[w.Widget]) -> w.VBox:
        box = w.VBox(list(children))
        for name in ("ftic-main", "ftic-page", f"ftic-page-{self.shown}"):
            box.add_class(name)
        return box

    def show(self, page: Page) -> None:
        """Show ``page``: header, note (if any), content, in a new page box."""
        self.header.value = (
            '<header class="ftic-header"><p class="ftic-brand">Formation : courriel et messagerie '
            "instantanée sécuritaires</p>"
            f'<p class="ftic-steps">Étape {page.step + 1} sur {len(STEPS)} : '
            f"<strong>{esc(STEPS[page.step])}</strong></p>"
            + (f'<p class="ftic-self-declared">{esc(SELF_DECLARED_NOTICE)}</p>' if self.self_declared else "")
            + "</header>"
        )
        self.announce.value = f'<p id="ftic-page-note" hidden>{esc(page.note)}</p>' if page.note else ""
        self.shown += 1
        old, self.main = self.main, self._page_box(page.children)
        self.widget.children = [self.header, self.main, self.announce]
        old.close()
