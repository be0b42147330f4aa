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

from ..attempts_view import grants_section, locked_out_html, needs_follow_up, status_label
from ..exports import manager_name
from ..register import Register, RegisterFilters, RegisterRules, RegisterSources, build_register
from ..report_html import chart_sections, describe_filters, hire_dates_section, html_table, share
from ..status_sql import STATUSES
from ..summary import hire_dates_to_check_line
from ..wording import lateness, plural

ALL_DIRECTIONS = "Toutes les directions"
ALL_SERVICES = "Tous les services"
TITLE = "Tableau de bord des gestionnaires"
"""The page's only title (``h1``), also shown when access is refused."""

CSS = """
.widget-html-content:has(> .tdb){min-width:0}
.tdb{color:#1a1a1a;overflow-wrap:break-word;max-width:70rem}
.tdb h2{font-size:1.25rem;margin-top:2rem;border-bottom:1px solid #ccc}
.tdb table{border-collapse:collapse;margin:.5rem 0}
.tdb caption{text-align:left;font-weight:600;padding:.3rem 0}
.tdb th,.tdb td{border:1px solid #bbb;padding:.25rem .5rem;text-align:left}.tdb th{background:#eef}
.tdb td.n{text-align:right}.tdb figure{margin:0}.tdb figcaption{font-style:italic}
.tdb .note{background:#fff6d6;border-left:4px solid #b35806;padding:.5rem}
.tdb .defile{overflow-x:auto;max-width:100%}
.tdb .defile caption{max-width:calc(100vw - 2.5rem)}
.tdb .defile:focus-visible{outline:3px solid #1a5fb4;outline-offset:2px}
.tdb svg{display:block}
"""
"""The dashboard's styles, scoped to its body (the page itself is Voilà's). The widget's box
may shrink below its content's width (``min-width:0``): the text then reflows on a phone and
the wide tables and charts scroll in their own region instead of being cut off."""


def title_html(subtitle: str = "") -> str:
    """The page title and, below it, ``subtitle`` (escaped)."""
    sub = f"<p>{escape(subtitle)}</p>" if subtitle else ""
    return f"<h1>{escape(TITLE)}</h1>{sub}"


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
        [[STATUSES[k], n, share(n, total)] for k, n in counts.items()],
    )
    to_check_line = hire_dates_to_check_line(register)
    to_check = f"<p class='note'>{escape(to_check_line)}</p>" if to_check_line else ""
    follow = [r for r in register.rows if needs_follow_up(r)]
    people = html_table(
        "Personnes à suivre",
        ["Matricule", "Nom", "Prénom", "Service", "Gestionnaire", "Statut", "Retard"],
        [
            [
                r.employee_number,
                r.last_name,
                r.first_name,
                r.service,
                manager_name(r) or r.manager_number,
                status_label(r),
                lateness(r.days_late) or None,
            ]
            for r in follow[:max_rows]
        ],
    )
    hidden = len(follow) - max_rows
    more = (
        f"<p>… et {escape(plural(hidden, 'autre personne', 'autres personnes'))}.</p>" if hidden > 0 else ""
    )
    return (
        f"<style>{CSS}</style><div class='tdb'><p>{escape(describe_filters(register))}.</p>"
        f"<section><h2>Sommaire</h2>{summary}{to_check}{locked_out_html(register)}</section>"
        f"{chart_sections(register)}"
        f"<section><h2>Personnes à suivre</h2>{people}{more}</section>{grants_section(register)}"
        f"{hire_dates_section(register.rows)}</div>"
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
        direction = w.Dropdown(
            options=[ALL_DIRECTIONS, *directions], value=ALL_DIRECTIONS, description="Direction"
        )
        service = w.Dropdown(options=[ALL_SERVICES, *services], value=ALL_SERVICES, description="Service")
        as_of = w.DatePicker(value=dt.date.today(), description="État au")
        body = w.HTML(value=self.html())

        def refresh(_change: Any = None) -> None:
            d = None if direction.value == ALL_DIRECTIONS else direction.value
            s = None if service.value == ALL_SERVICES else service.value
            body.value = self.html(d, s, as_of.value or None)

        def on_direction(change: Any) -> None:
            d = None if change["new"] == ALL_DIRECTIONS else change["new"]
            service.options = [ALL_SERVICES, *self.options(d)[1]]
            service.value = ALL_SERVICES
            refresh()

        direction.observe(on_direction, names="value")
        service.observe(refresh, names="value")
        as_of.observe(refresh, names="value")
        title = w.HTML(
            title_html(
                f"Équipe du gestionnaire {self.manager} : engagements à la directive DIR 2022 DQEPE 054 "
                "des personnes sous votre responsabilité."
            )
        )
        filters = w.HBox([direction, service, as_of], layout=w.Layout(flex_flow="row wrap"))
        return w.VBox([title, filters, body])
