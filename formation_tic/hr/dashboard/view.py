"""The dashboard's logic and widgets, separate from the learner app.

Access: the manager is the employee number in a trusted HTTP header set by the
establishment's single sign-on proxy (Voilà passes it to the kernel as ``HTTP_<NAME>``);
the dashboard only ever shows the people under that manager, recursively. The visitor's
widgets narrow that scope (direction, service, date), never widen it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from html import escape
from typing import Any

from cryptography.hazmat.primitives.asymmetric import rsa

from attest.identity import is_valid_employee_number

from ..exports import manager_name
from ..register import Register, RegisterFilters, RegisterRules, RegisterSources, build_register
from ..report_html import CSS, chart_sections, describe_filters, html_table
from ..status_sql import STATUSES

ALL = "(toutes)"


class DashboardAccessError(Exception):
    """The visitor cannot be identified as a manager; the message is French."""


def header_env(header: str) -> str:
    """Environment variable Voilà fills from ``header`` (RFC 3875: ``HTTP_X_EMPLOYEE_NUMBER``)."""
    return "HTTP_" + header.upper().replace("-", "_")


def manager_from_environ(environ: Mapping[str, str], header: str) -> str:
    """The manager's employee number from the trusted header; :class:`DashboardAccessError`."""
    value = (environ.get(header_env(header)) or "").strip()
    if not value:
        raise DashboardAccessError(
            "Accès refusé : ouvrez le tableau de bord à partir du portail de votre établissement "
            "(authentification unique)."
        )
    if not is_valid_employee_number(value):
        raise DashboardAccessError("Accès refusé : l'identifiant transmis n'est pas un matricule valide.")
    return value


def render_dashboard_html(register: Register, *, max_rows: int = 200) -> str:
    """The dashboard body: summary, charts, people to follow up (escaped, no script)."""
    counts = register.counts()
    total = sum(counts.values())
    if not total:
        return "<p>Aucune personne active ne correspond à ces critères dans votre équipe.</p>"
    summary = html_table(
        "Personnes de votre équipe par statut",
        ["Statut", "Personnes", "Pourcentage"],
        [[STATUSES[k], n, f"{100 * n / total:.1f} %"] for k, n in counts.items()],
    )
    follow = [r for r in register.rows if r.status in ("en_retard", "a_renouveler", "echec")]
    people = html_table(
        "Personnes à suivre",
        ["Matricule", "Nom", "Prénom", "Service", "Gestionnaire", "Statut", "Jours de retard"],
        [
            [
                r.employee_number,
                r.last_name,
                r.first_name,
                r.service,
                manager_name(r) or r.manager_number,
                STATUSES[r.status],
                r.days_late,
            ]
            for r in follow[:max_rows]
        ],
    )
    more = f"<p>… et {len(follow) - max_rows} autre(s).</p>" if len(follow) > max_rows else ""
    return (
        f"<style>{CSS}</style><p>{escape(describe_filters(register))}.</p>"
        f"<section><h2>Sommaire</h2>{summary}</section>{chart_sections(register)}"
        f"<section><h2>Personnes à suivre</h2>{people}{more}</section>"
    )


class ManagerDashboard:
    """Filters (direction, service, date) and the rendered register of one manager's team."""

    def __init__(
        self,
        manager: str,
        sources: RegisterSources,
        rules: RegisterRules,
        public_keys: Mapping[str, rsa.RSAPublicKey],
    ) -> None:
        if not is_valid_employee_number(manager):
            raise DashboardAccessError("Accès refusé : matricule de gestionnaire invalide.")
        self.manager = manager
        self.sources = sources
        self.rules = rules
        self.public_keys = public_keys
        self.team = build_register(sources, rules, RegisterFilters(manager=manager), public_keys)

    def options(self, direction: str | None = None) -> tuple[list[str], list[str]]:
        """Directions and services present in the team (services of ``direction`` if given)."""
        directions = sorted({r.direction for r in self.team.rows if r.direction})
        services = sorted(
            {
                r.service
                for r in self.team.rows
                if r.service and (direction is None or r.direction == direction)
            }
        )
        return directions, services

    def register(
        self, direction: str | None = None, service: str | None = None, as_of: dt.date | None = None
    ) -> Register:
        """The team's register with the visitor's filters (always within the team)."""
        filters = RegisterFilters(manager=self.manager, direction=direction, service=service, as_of=as_of)
        return build_register(self.sources, self.rules, filters, self.public_keys)

    def html(
        self, direction: str | None = None, service: str | None = None, as_of: dt.date | None = None
    ) -> str:
        """The dashboard body for these filters."""
        return render_dashboard_html(self.register(direction, service, as_of))

    def widget(self) -> Any:
        """The ipywidgets user interface (filters on top, report below)."""
        import ipywidgets as w

        directions, services = self.options()
        direction = w.Dropdown(options=[ALL, *directions], value=ALL, description="Direction")
        service = w.Dropdown(options=[ALL, *services], value=ALL, description="Service")
        as_of = w.DatePicker(value=dt.date.today(), description="État au")
        body = w.HTML(value=self.html())

        def refresh(_change: Any = None) -> None:
            d = None if direction.value == ALL else direction.value
            s = None if service.value == ALL else service.value
            body.value = self.html(d, s, as_of.value or None)

        def on_direction(change: Any) -> None:
            d = None if change["new"] == ALL else change["new"]
            service.options = [ALL, *self.options(d)[1]]
            service.value = ALL
            refresh()

        direction.observe(on_direction, names="value")
        service.observe(refresh, names="value")
        as_of.observe(refresh, names="value")
        title = w.HTML(
            f"<h1>Tableau de bord — équipe du gestionnaire {escape(self.manager)}</h1>"
            "<p>Engagements à la directive DIR 2022 DQEPE 054 des personnes sous votre responsabilité.</p>"
        )
        return w.VBox([title, w.HBox([direction, service, as_of]), body])
