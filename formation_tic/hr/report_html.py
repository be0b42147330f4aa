"""The standalone HTML report: summary, charts, the people to follow up — offline.

Inline CSS and SVG only, a Content-Security-Policy that forbids scripts and remote
resources, every value escaped, tables with captions and header cells, each chart with a
text alternative and its data in a table. Numbers and dates are written for people in
French (Canada) with :mod:`attest.fr_ca`. The page reflows down to 320 px wide: tables and
charts wider than the screen scroll inside their own labelled, focusable region.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from typing import Any, Final

from attest import fr_ca

from . import charts
from .attempts_view import LOCKED_OUT_REASON, grants_section, locked_out_html, needs_follow_up, status_label
from .exports import identity_label, manager_name, reminder_reason, timestamp
from .items import ITEM_HEADERS, ItemStat, item_rows
from .register import INCOMPLETE_PREFIX, Register, RegisterRow
from .status_sql import STATUSES
from .summary import by_direction, by_month, hire_dates_to_check_line, late_by_manager, self_declared_line
from .wording import month_label, plural, rows_to_check

CSS: Final = """
body{font-family:system-ui,sans-serif;margin:2rem;color:#1a1a1a;max-width:70rem;overflow-wrap:break-word}
@media (max-width:40rem){body{margin:1rem}}
.defile{overflow-x:auto;max-width:100%}.defile:focus-visible{outline:3px solid #1a5fb4;outline-offset:2px}
.defile caption{max-width:calc(100vw - 2.5rem)}
svg{display:block}
h1{font-size:1.6rem}h2{font-size:1.25rem;margin-top:2rem;border-bottom:1px solid #ccc}
table{border-collapse:collapse;margin:.5rem 0}caption{text-align:left;font-weight:600;padding:.3rem 0}
th,td{border:1px solid #bbb;padding:.25rem .5rem;text-align:left}th{background:#eef}
td.n{text-align:right}figure{margin:0}figcaption{font-style:italic}
.note{background:#fff6d6;border-left:4px solid #b35806;padding:.5rem}
.incomplet{background:#fde0dc;border:3px solid #b2182b;padding:.5rem 1rem}
@media print{details{display:block}}
"""
CSP: Final = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"


_ids = 0


def _next_id(prefix: str) -> str:
    global _ids
    _ids += 1
    return f"{prefix}-{_ids}"


class Right(str):
    """A text shown right-aligned in a table, like a number (« 17,6 % »)."""

    __slots__ = ()


def cell_text(value: Any) -> str:
    """A table value for people: « 12 345 », « 3,5 », text as is, nothing for None."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, int):
        return fr_ca.integer(value)
    if isinstance(value, float):
        return fr_ca.number(value)
    return str(value)


def _cell(value: Any) -> str:
    text = escape(cell_text(value))
    numeric = isinstance(value, int | float | Right) and not isinstance(value, bool)
    return f"<td class='n'>{text}</td>" if numeric else f"<td>{text}</td>"


def scroll_region(content: str, *, labelledby: str) -> str:
    """``content`` in a region that scrolls sideways on a narrow screen (focusable, so the
    keyboard can scroll it; named by the element ``labelledby``)."""
    return f"<div class='defile' role='region' tabindex='0' aria-labelledby='{labelledby}'>{content}</div>"


def html_table(caption: str, headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """An accessible table in its own scrolling region; numbers right-aligned and written in
    French (Canada); every value escaped."""
    caption_id = _next_id("tableau")
    head = "".join(f"<th scope='col'>{escape(h)}</th>" for h in headers)
    body = []
    for row in rows:
        cells = [f"<th scope='row'>{escape(cell_text(row[0]))}</th>"]
        cells += [_cell(v) for v in row[1:]]
        body.append("<tr>" + "".join(cells) + "</tr>")
    table = (
        f"<table><caption id='{caption_id}'>{escape(caption)}</caption><thead><tr>{head}</tr></thead>"
        f"<tbody>{''.join(body)}</tbody></table>"
    )
    return scroll_region(table, labelledby=caption_id)


def figure(svg: str, caption: str, data_table: str) -> str:
    """A chart (scrolling sideways on a narrow screen), its caption and its data (text
    alternative) in a disclosure."""
    caption_id = _next_id("figure")
    return (
        f"<figure>{scroll_region(svg, labelledby=caption_id)}"
        f"<figcaption id='{caption_id}'>{escape(caption)}</figcaption></figure>"
        f"<details><summary>Données du graphique</summary>{data_table}</details>"
    )


def describe_filters(register: Register) -> str:
    """The filters in French: « État au 5 mai 2023, direction « DSI », … »."""
    f = register.filters
    parts = [f"État au {fr_ca.date_long(register.as_of)}"]
    if f.direction:
        parts.append(f"direction « {f.direction} »")
    if f.service:
        parts.append(f"service « {f.service} »")
    if f.manager:
        parts.append(f"équipe du gestionnaire {f.manager} (tous niveaux)")
    if f.hired_from:
        parts.append(f"embauchés depuis le {fr_ca.date_long(f.hired_from)}")
    if f.hired_to:
        parts.append(f"embauchés jusqu'au {fr_ca.date_long(f.hired_to)}")
    parts.append(f"en retard après {plural(register.late_after_days, 'jour')}")
    return ", ".join(parts)


def share(part: int, total: int) -> Right:
    """« 17,6 % » of ``total`` (« 0,0 % » when there is nobody)."""
    return Right(fr_ca.percent(part / total if total else 0.0, 1))


def hire_dates_section(rows: Sequence[RegisterRow], *, heading: str = "h2", max_rows: int = 500) -> str:
    """The people whose hire date must be checked in the roster, at most ``max_rows`` of
    them (the CSV and Excel files flag them all); empty when none."""
    to_check = rows_to_check(rows)
    if not to_check:
        return ""
    hidden = len(to_check) - max_rows
    more = (
        f"<p>{escape(plural(hidden, 'autre personne', 'autres personnes'))} : voir la colonne "
        "« Date d'embauche à vérifier » du fichier CSV ou Excel.</p>"
        if hidden > 0
        else ""
    )
    table = html_table(
        "Dates d'embauche à vérifier dans la liste du personnel",
        ["Matricule", "Nom", "Prénom", "Direction", "Service", "Date d'embauche", "Gestionnaire"],
        [
            [
                r.employee_number,
                r.last_name,
                r.first_name,
                r.direction,
                r.service,
                fr_ca.date_long(r.hire_date) if r.hire_date else None,
                manager_name(r) or r.manager_number,
            ]
            for r in to_check[:max_rows]
        ],
    )
    return f"<section><{heading}>Dates d'embauche à vérifier</{heading}>{table}{more}</section>"


def chart_sections(register: Register) -> str:
    """The three charts with their data tables (shared with the dashboard)."""
    directions = by_direction(register)
    labels = dict(STATUSES)
    completion = figure(
        charts.stacked_bars("Achèvement par direction", directions, labels),
        "Répartition des statuts par direction ; le pourcentage est la part des personnes attestées.",
        html_table(
            "Personnes par direction et par statut",
            ["Direction", *labels.values(), "Total"],
            [[name, *(c.get(k, 0) for k in labels), sum(c.values())] for name, c in directions],
        ),
    )
    months = [(month_label(key), n) for key, n in by_month(register)]
    over_time = figure(
        charts.columns("Attestations par mois", months),
        "Nombre d'attestations en vigueur selon le mois de signature.",
        html_table("Attestations par mois de signature", ["Mois", "Attestations"], months),
    )
    late = late_by_manager(register)
    late_fig = figure(
        charts.horizontal_bars(
            "Personnes en retard par gestionnaire", late, color=charts.STATUS_COLORS["en_retard"]
        ),
        "Les 20 gestionnaires qui ont le plus de personnes en retard.",
        html_table("Personnes en retard par gestionnaire", ["Gestionnaire", "En retard"], late),
    )
    return (
        f"<section><h2>Achèvement par direction</h2>{completion}</section>"
        f"<section><h2>Attestations dans le temps</h2>{over_time}</section>"
        f"<section><h2>Personnes en retard par gestionnaire</h2>{late_fig}</section>"
    )


def render_report_html(register: Register, *, max_rows: int = 5000, title: str | None = None) -> str:
    """The whole report as one HTML document (French, offline)."""
    counts = register.counts()
    total = sum(counts.values())
    title = title or "Registre des attestations d'engagement"
    if not register.complete:
        title += " — RAPPORT INCOMPLET"
    summary = html_table(
        "Personnes actives par statut",
        ["Statut", "Personnes", "Pourcentage"],
        [[STATUSES[k], n, share(n, total)] for k, n in counts.items()]
        + [["Total", total, share(total, total)]],
    )
    incomplete = ""
    if not register.complete:
        items = "".join(f"<li>{escape(text)}</li>" for text in register.incomplete)
        incomplete = (
            "<section class='incomplet' role='alert'><h2>Rapport incomplet</h2>"
            "<p><strong>Des enregistrements vérifiés par RH ont disparu du registre des "
            "attestations : les statuts de ce rapport ne sont pas fiables.</strong></p>"
            f"<ul>{items}</ul></section>"
        )
    repeated = {INCOMPLETE_PREFIX + text for text in register.incomplete}
    notes = "".join(f"<p class='note'>{escape(n)}</p>" for n in register.notes if n not in repeated)
    anomalies = ""
    if register.anomalies:
        items = "".join(f"<li>{escape(a)}</li>" for a in register.anomalies[:200])
        anomalies = (
            "<section><h2>Anomalies du registre des attestations</h2>"
            f"<p class='note'>{escape(plural(len(register.anomalies), 'anomalie'))} : les enregistrements "
            "visés ne sont pas comptés. Faites vérifier le registre (« formation-tic attest verify »).</p>"
            f"<ul>{items}</ul>"
            "</section>"
        )
    to_check_line = hire_dates_to_check_line(register)
    to_check = f"<p class='note'>{escape(to_check_line)}</p>" if to_check_line else ""
    follow = [r for r in register.rows if needs_follow_up(r)]
    shown = follow[:max_rows]
    hidden = len(follow) - len(shown)
    more = (
        f"<p>{escape(plural(hidden, 'autre personne', 'autres personnes'))} "
        f"{'non affichée' if hidden < 2 else 'non affichées'} : voir le fichier CSV ou Excel.</p>"
        if hidden > 0
        else ""
    )
    people = html_table(
        "Personnes en retard, à renouveler ou en échec",
        ["Matricule", "Nom", "Prénom", "Direction", "Service", "Gestionnaire", "Statut", "Identité", "Motif"],
        [
            [
                r.employee_number,
                r.last_name,
                r.first_name,
                r.direction,
                r.service,
                manager_name(r) or r.manager_number,
                status_label(r),
                identity_label(r),
                LOCKED_OUT_REASON
                if r.locked_out
                else reminder_reason(r)
                if r.status != "echec"
                else "Échec au questionnaire, pas de réussite depuis.",
            ]
            for r in shown
        ],
    )
    return (
        "<!DOCTYPE html><html lang='fr-CA'><head><meta charset='utf-8'>"
        f"<meta http-equiv='Content-Security-Policy' content=\"{CSP}\">"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{escape(title)} — {escape(fr_ca.date_long(register.as_of))}</title>"
        f"<style>{CSS}</style></head><body><main>"
        f"<h1>{escape(title)}</h1>{incomplete}"
        f"<p>Directive DIR 2022 DQEPE 054 — {escape(describe_filters(register))}.</p>{notes}"
        f"<section><h2>Sommaire</h2>{summary}<p>{escape(self_declared_line(register))}</p>{to_check}"
        f"{locked_out_html(register)}</section>"
        f"{anomalies}"
        f"{chart_sections(register)}"
        f"<section><h2>Personnes à suivre</h2>{people}{more}</section>"
        f"{grants_section(register)}"
        f"{hire_dates_section(register.rows)}"
        f"</main><footer><p>Produit le {escape(timestamp())} par formation-tic. Document confidentiel : "
        "renseignements personnels du personnel (à conserver selon le calendrier de conservation).</p>"
        "</footer></body></html>"
    )


def render_items_html(stats: Sequence[ItemStat], *, scope: str = "tout le personnel") -> str:
    """The item analysis report for trainers (offline, French)."""
    chart = figure(
        charts.horizontal_bars(
            "Taux de réussite par scénario",
            [(("⚠ " if s.flag else "") + s.title, s.success_rate) for s in stats],
            maximum=1.0,
            value_text=fr_ca.percent,
        ),
        "Taux de réussite de chaque scénario ; ⚠ : presque tout le monde échoue ou réussit.",
        html_table(
            "Taux de réussite par scénario",
            ["Scénario", "Taux de réussite"],
            [[s.title, Right(fr_ca.percent(s.success_rate, 1))] for s in stats],
        ),
    )
    flagged = [s for s in stats if s.flag]
    flags = "".join(
        f"<li>{escape(s.title)} ({escape(s.scenario_id)}) : {escape(s.flag_label)}</li>" for s in flagged
    )
    return (
        "<!DOCTYPE html><html lang='fr-CA'><head><meta charset='utf-8'>"
        f"<meta http-equiv='Content-Security-Policy' content=\"{CSP}\">"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        "<title>Analyse des scénarios</title>"
        f"<style>{CSS}</style></head><body><main><h1>Analyse des scénarios</h1>"
        f"<p>Réponses enregistrées dans le LRS — {escape(scope)}.</p>"
        f"<section><h2>Scénarios signalés</h2><ul>{flags or '<li>Aucun.</li>'}</ul></section>"
        f"<section><h2>Réussite par scénario</h2>{chart}</section>"
        "<section><h2>Détail</h2>"
        + html_table("Résultats par scénario", ITEM_HEADERS, item_rows(stats))
        + f"</section></main><footer><p>Produit le {escape(timestamp())} par formation-tic.</p></footer>"
        "</body></html>"
    )
