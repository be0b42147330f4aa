"""Thin click commands for HR: ``roster import``, ``report``, ``reminders``, ``items``, ``dashboard``.

Paths (roster, attestation register, pulled statements, reports) and the rules come from
the settings root. Progress goes to stderr; output files carry dates and employee numbers,
never names.
"""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from attest import fr_ca
from attest.identity import EMPLOYEE_NUMBER_HELP, is_valid_employee_number

from ..hr.attempts_view import locked_out_line
from ..hr.exports import (
    default_stem,
    export_register,
    export_reminders,
    reminder_rows,
    write_csv,
    write_xlsx,
)
from ..hr.inputs import register_inputs
from ..hr.items import ITEM_HEADERS, ItemThresholds, analyze_items, item_rows
from ..hr.register import Register, RegisterFilters, build_register, members
from ..hr.report_html import describe_filters, render_items_html, render_report_html
from ..hr.roster import import_roster
from ..hr.summary import summary_table
from ..hr.wording import agree, plural
from ..settings import Settings
from .common import CliError, cli_errors, settings_of

F = TypeVar("F", bound=Callable[..., Any])
FORMATS = ("csv", "xlsx", "html")


def _progress(message: str) -> None:
    click.echo(message, err=True)


def _employee(_ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
    if value is not None and not is_valid_employee_number(value):
        raise click.BadParameter(EMPLOYEE_NUMBER_HELP)
    return value.strip() if value else None


def _date(value: dt.datetime | None) -> dt.date | None:
    return value.date() if value else None


DATE = click.DateTime(formats=["%Y-%m-%d"])


def source_options(func: F) -> F:
    """Options about the attestation register's verification."""
    options = [
        click.option(
            "--public-key",
            "public_keys",
            multiple=True,
            type=click.Path(path_type=Path, dir_okay=False, exists=True),
            help="Certificat ou clé publique du registre (répétable ; défaut : le certificat actuel).",
        ),
        click.option(
            "--reverify",
            is_flag=True,
            help="Revérifier tout le registre des attestations (sinon : les ajouts seulement).",
        ),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def filter_options(func: F) -> F:
    """Filters shared by report, reminders and items."""
    options = [
        click.option("--direction", default=None, help="Seulement cette direction (nom exact)."),
        click.option("--service", default=None, help="Seulement ce service (nom exact)."),
        click.option(
            "--manager",
            default=None,
            callback=_employee,
            help="Matricule d'un gestionnaire : les personnes sous sa responsabilité, à tous les niveaux.",
        ),
        click.option(
            "--as-of", type=DATE, default=None, help="État à cette date (AAAA-MM-JJ ; défaut : aujourd'hui)."
        ),
        click.option("--hired-from", type=DATE, default=None, help="Embauchés à partir de cette date."),
        click.option("--hired-to", type=DATE, default=None, help="Embauchés jusqu'à cette date."),
        click.option(
            "--late-after",
            type=click.IntRange(0, 3650),
            default=None,
            help="Jours après l'embauche avant d'être « en retard » (défaut : 30).",
        ),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _register(ctx: click.Context, params: dict[str, Any]) -> tuple[Register, Settings]:
    settings = settings_of(ctx)
    filters = RegisterFilters(
        direction=params.get("direction"),
        service=params.get("service"),
        manager=params.get("manager"),
        as_of=_date(params.get("as_of")),
        hired_from=_date(params.get("hired_from")),
        hired_to=_date(params.get("hired_to")),
    )
    with cli_errors():
        inputs = register_inputs(
            settings, public_keys=params.get("public_keys") or (), late_after_days=params.get("late_after")
        )
        _progress("Calcul des statuts…")
        register = build_register(
            inputs.sources,
            inputs.rules,
            filters,
            inputs.keys,
            reverify=bool(params.get("reverify")),
            progress=_progress,
        )
    for note in register.notes:
        click.echo(f"Note : {note}", err=True)
    if register.anomalies:
        click.echo(
            f"Attention : {plural(len(register.anomalies), 'anomalie')} dans le registre des attestations ; "
            "les enregistrements visés ne sont pas comptés (« formation-tic attest verify »).",
            err=True,
        )
    return register, settings


# --- roster --------------------------------------------------------------------------------------


@click.group("roster")
def roster_group() -> None:
    """Liste du personnel (importée des ressources humaines)."""


@roster_group.command("import")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@click.option(
    "--complete",
    is_flag=True,
    help="Le fichier est la liste complète : les personnes actives absentes sont marquées parties.",
)
@click.option(
    "--errors",
    "errors_path",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Écrire les lignes refusées (numéro de ligne, matricule, motif) dans ce CSV.",
)
@click.option(
    "--complete-despite-rejects",
    is_flag=True,
    help="Avec --complete : marquer les absents comme partis même si des lignes sont refusées.",
)
@click.option(
    "--strict",
    is_flag=True,
    help="Tout ou rien : si une ligne est refusée, rien n'est écrit et le code de sortie est 1.",
)
@click.pass_context
def roster_import(
    ctx: click.Context,
    file: Path,
    complete: bool,
    complete_despite_rejects: bool,
    errors_path: Path | None,
    strict: bool,
) -> None:
    """Importer la liste du personnel (CSV ou XLSX) : ajoute ou met à jour chaque personne."""
    db_path = settings_of(ctx).paths.roster
    read = 0

    def progress(n: int) -> None:
        nonlocal read
        read += n
        click.echo(f"  {read} lignes lues…", err=True)

    with cli_errors():
        report = import_roster(
            db_path,
            file,
            complete=complete,
            complete_despite_rejects=complete_despite_rejects,
            strict=strict,
            progress=progress,
        )
    if report.file_format == "xlsx":
        fmt = "Excel (XLSX)"
    else:
        fmt = f"CSV, {report.encoding}, séparateur « {report.delimiter} »"
        if report.line_endings:
            fmt += f", fins de ligne {report.line_endings}"
    click.echo(f"Fichier lu : {fmt}.")
    click.echo(
        f"{plural(report.rows_read, 'ligne lue', 'lignes lues')} : {plural(report.inserted, 'ajoutée')}, "
        f"{plural(report.updated, 'mise à jour', 'mises à jour')}, "
        f"{plural(report.unchanged, 'inchangée')}, {plural(len(report.rejected), 'refusée')}."
    )
    if report.blank_lines:
        click.echo(f"{plural(report.blank_lines, 'ligne vide ignorée', 'lignes vides ignorées')}.")
    if complete and report.departures_withheld:
        withheld = report.departures_withheld
        would = agree(withheld, "l'aurait", "l'auraient")
        click.echo(
            f"Aucune personne marquée comme partie : {fr_ca.integer(withheld)} {would} été, "
            "mais des lignes sont refusées (corrigez-les, ou --complete-despite-rejects)."
        )
    elif complete:
        people = plural(report.marked_left, "personne absente", "personnes absentes")
        marked = agree(report.marked_left, "marquée comme partie", "marquées comme parties")
        click.echo(f"{people} du fichier {marked}.")
    if not report.written:
        click.echo("Rien n'a été écrit dans la base du personnel (mode --strict).", err=True)
    for warning in report.warnings:
        click.echo(f"Avertissement : {warning}", err=True)
    if report.rejected:
        click.echo("Lignes refusées :", err=True)
        for error in report.rejected[:50]:
            click.echo(f"  {error}", err=True)
        if len(report.rejected) > 50:
            click.echo(
                f"  … et {plural(len(report.rejected) - 50, 'autre')} "
                "(option --errors pour la liste complète).",
                err=True,
            )
    if errors_path is not None:
        write_csv(
            errors_path,
            ["Ligne", "Matricule", "Motif"],
            ([e.line, e.employee_number, " ; ".join(e.reasons)] for e in report.rejected),
        )
        click.echo(f"Lignes refusées écrites dans {errors_path}.")
    if strict and report.rejected:
        sys.exit(1)


# --- report ---------------------------------------------------------------------------------------


@click.command("report")
@filter_options
@source_options
@click.option(
    "--output-dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="Dossier des fichiers produits (défaut : rapports/ dans le dossier de données).",
)
@click.option(
    "--format",
    "formats",
    type=click.Choice(FORMATS),
    multiple=True,
    help="Formats à produire (répétable ; défaut : csv, xlsx et html).",
)
@click.option("--no-files", is_flag=True, help="Afficher le sommaire seulement.")
@click.pass_context
def report_command(
    ctx: click.Context, output_dir: Path | None, formats: tuple[str, ...], no_files: bool, **params: Any
) -> None:
    """Registre des attestations : sommaire à l'écran, fichiers CSV, Excel et HTML."""
    register, settings = _register(ctx, params)
    click.echo(f"Registre des attestations — {describe_filters(register)}")
    for line in summary_table(register):
        click.echo(line)
    if locked := locked_out_line(register):
        click.echo(locked)
    if no_files:
        return
    directory = output_dir or settings.paths.reports
    chosen = set(formats or FORMATS)
    try:
        if chosen & {"csv", "xlsx"}:
            _progress("Écriture des fichiers CSV et Excel…")
            paths = export_register(register, directory)
            for kind in ("csv", "xlsx"):
                if kind in chosen:
                    click.echo(f"Fichier {kind.upper()} : {paths[kind]}")
                else:
                    paths[kind].unlink()
        if "html" in chosen:
            html_path = directory / (Path(export_stem(register)).name + ".html")
            html_path.parent.mkdir(parents=True, exist_ok=True)
            html_path.write_text(
                render_report_html(register, max_rows=settings.hr.html_max_rows), encoding="utf-8"
            )
            click.echo(f"Rapport HTML : {html_path}")
    except OSError as exc:
        raise CliError(f"Écriture impossible dans {directory} : {exc.strerror}") from exc


def export_stem(register: Register) -> str:
    """File name stem of the register outputs."""
    return default_stem("registre", register)


# --- reminders ------------------------------------------------------------------------------------


@click.command("reminders")
@filter_options
@source_options
@click.option(
    "--output",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Fichier CSV à produire (défaut : rapports/relances-AAAA-MM-JJ.csv dans le dossier de données).",
)
@click.pass_context
def reminders_command(ctx: click.Context, output: Path | None, **params: Any) -> None:
    """Liste de relance (CSV pour publipostage) : en retard ou à renouveler, avec le gestionnaire."""
    register, settings = _register(ctx, params)
    path = output or settings.paths.reports / f"{default_stem('relances', register)}.csv"
    try:
        count = export_reminders(register, path)
    except OSError as exc:
        raise CliError(f"Écriture impossible : {exc.strerror}") from exc
    rows = reminder_rows(register)
    late = sum(1 for r in rows if r.status == "en_retard")
    click.echo(
        f"{plural(count, 'personne')} à relancer : {fr_ca.integer(late)} en retard, "
        f"{fr_ca.integer(count - late)} à renouveler."
    )
    click.echo(f"Liste de relance : {path}")


# --- items -----------------------------------------------------------------------------------------


@click.command("items")
@click.option("--direction", default=None, help="Seulement les réponses des personnes de cette direction.")
@click.option("--service", default=None, help="Seulement les réponses des personnes de ce service.")
@click.option("--manager", default=None, callback=_employee, help="Seulement l'équipe de ce gestionnaire.")
@click.option("--since", type=DATE, default=None, help="Réponses à partir de cette date (AAAA-MM-JJ).")
@click.option("--until", type=DATE, default=None, help="Réponses jusqu'à cette date (AAAA-MM-JJ).")
@click.option(
    "--output-dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="Dossier des fichiers produits (défaut : rapports/ dans le dossier de données).",
)
@click.pass_context
def items_command(
    ctx: click.Context,
    direction: str | None,
    service: str | None,
    manager: str | None,
    since: dt.datetime | None,
    until: dt.datetime | None,
    output_dir: Path | None,
) -> None:
    """Analyse des scénarios pour les formateurs : réussite, erreurs et parcours fréquents."""
    settings = settings_of(ctx)
    employees: list[str] | None = None
    scope = "tout le personnel"
    if direction or service or manager:
        filters = RegisterFilters(direction=direction, service=service, manager=manager)
        with cli_errors():
            employees = members(settings.paths.roster, filters)
        scope = ", ".join(
            part
            for part in (
                f"direction « {direction} »" if direction else "",
                f"service « {service} »" if service else "",
                f"équipe du gestionnaire {manager}" if manager else "",
            )
            if part
        )
    thresholds = ItemThresholds(
        min_attempts=settings.hr.items_min_attempts,
        low_rate=settings.hr.items_low_rate,
        high_rate=settings.hr.items_high_rate,
    )
    with cli_errors():
        stats = analyze_items(
            settings.paths.statements,
            employees=employees,
            since=_date(since),
            until=_date(until),
            thresholds=thresholds,
        )
    if not stats:
        click.echo("Aucune réponse enregistrée pour ces critères.")
        return
    width = max(len(s.scenario_id) for s in stats)
    click.echo(f"{'Scénario'.ljust(width)}  {'Réponses':>8}  {'Réussite':>8}  Signalement")
    for s in stats:
        flag = "⚠ " + s.flag_label if s.flag else ""
        answers, rate = fr_ca.integer(s.answers), fr_ca.percent(s.success_rate, 1)
        click.echo(f"{s.scenario_id.ljust(width)}  {answers:>8}  {rate:>8}  {flag}")
    directory = output_dir or settings.paths.reports
    stem = f"analyse-scenarios-{dt.date.today().isoformat()}"
    try:
        write_csv(directory / f"{stem}.csv", ITEM_HEADERS, item_rows(stats))
        write_xlsx(directory / f"{stem}.xlsx", ITEM_HEADERS, item_rows(stats), title="Scénarios")
        (directory / f"{stem}.html").write_text(render_items_html(stats, scope=scope), encoding="utf-8")
    except OSError as exc:
        raise CliError(f"Écriture impossible dans {directory} : {exc.strerror}") from exc
    click.echo(f"Fichiers : {directory / stem}.csv, .xlsx et .html")


__all__ = ["items_command", "reminders_command", "report_command", "roster_group"]
