"""The frame of every page: header with the step counter, a live announcement, the main area.

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
        self.main = w.VBox()
        self.main.add_class("ftic-main")
        self.widget = w.VBox([self.header, self.announce, self.main])
        self.widget.add_class("ftic-app")

    def show(self, page: Page) -> None:
        """Show ``page``: header, announcement (if any), content."""
        self.header.value = (
            '<header class="ftic-header"><p class="ftic-brand">Formation : courriel et messagerie '
            "instantanée sécuritaires</p>"
            f'<p class="ftic-steps">Étape {page.step + 1} sur {len(STEPS)} : '
            f"<strong>{esc(STEPS[page.step])}</strong></p>"
            + (f'<p class="ftic-self-declared">{esc(SELF_DECLARED_NOTICE)}</p>' if self.self_declared else "")
            + "</header>"
        )
        self.announce.value = (
            f'<div class="ftic-announce" role="status" aria-live="polite">{esc(page.note)}</div>'
            if page.note
            else ""
        )
        self.main.children = list(page.children)
