"""Thin click commands for HR: ``roster import``, ``report``, ``reminders``, ``items``, ``dashboard``.

The root ``formation-tic`` command mounts :data:`roster_group`, :data:`report_command`,
:data:`reminders_command`, :data:`items_command` and :data:`dashboard_command`.
Settings come from :class:`attest.hr.settings.HrSettings` (``FORMATION_TIC_HR_*``) and,
for the directive profile and the signing certificate, from
:class:`attest.settings.AttestSettings` (``FORMATION_TIC_ATTEST_*``); options win.
Progress goes to stderr; output files carry dates and employee numbers, never names.
"""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click
from cryptography.hazmat.primitives.asymmetric import rsa
from pydantic import ValidationError

from ..directive import load_directive
from ..errors import AttestError
from ..form import available_forms
from ..identity import EMPLOYEE_NUMBER_HELP, is_valid_employee_number
from ..keys import load_public_key, public_keys_by_id
from ..settings import AttestSettings
from .exports import (
    default_stem,
    export_register,
    export_reminders,
    reminder_rows,
    write_csv,
    write_xlsx,
)
from .items import ITEM_HEADERS, ItemThresholds, analyze_items, item_rows
from .register import Register, RegisterFilters, RegisterRules, RegisterSources, build_register, members
from .report_html import describe_filters, render_items_html, render_report_html
from .roster import import_roster
from .settings import HrSettings
from .summary import summary_table

F = TypeVar("F", bound=Callable[..., Any])
FORMATS = ("csv", "xlsx", "html")


def _settings() -> HrSettings:
    try:
        return HrSettings()
    except ValidationError as exc:
        raise click.ClickException(f"Configuration invalide (FORMATION_TIC_HR_*) : {exc}") from exc


def _attest_settings() -> AttestSettings:
    try:
        return AttestSettings()
    except ValidationError as exc:
        raise click.ClickException(f"Configuration invalide (FORMATION_TIC_ATTEST_*) : {exc}") from exc


def _progress(message: str) -> None:
    click.echo(message, err=True)


def _public_keys(settings: HrSettings, attest: AttestSettings, store: Path) -> dict[str, rsa.RSAPublicKey]:
    if not store.exists():
        return {}
    paths = list(settings.public_key_paths)
    if not paths:
        paths = [attest.certificate_path if attest.certificate_path.exists() else attest.public_key_path]
    try:
        return public_keys_by_id(load_public_key(p) for p in paths)
    except AttestError as exc:
        raise click.ClickException(
            f"{exc} — la clé publique est nécessaire pour vérifier le registre des attestations "
            "(option --public-key ou FORMATION_TIC_HR_PUBLIC_KEY_PATHS)."
        ) from exc


def _employee(_ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
    if value is not None and not is_valid_employee_number(value):
        raise click.BadParameter(EMPLOYEE_NUMBER_HELP)
    return value.strip() if value else None


def _date(value: dt.datetime | None) -> dt.date | None:
    return value.date() if value else None


DATE = click.DateTime(formats=["%Y-%m-%d"])


def source_options(func: F) -> F:
    """Options naming the three SQLite files and the public key."""
    options = [
        click.option(
            "--db",
            type=click.Path(path_type=Path, dir_okay=False),
            default=None,
            help="Base du personnel (défaut : FORMATION_TIC_HR_DB_PATH, var/hr.db).",
        ),
        click.option(
            "--attestations",
            type=click.Path(path_type=Path, dir_okay=False),
            default=None,
            help="Registre des attestations signé (défaut : var/attestations.db).",
        ),
        click.option(
            "--statements",
            type=click.Path(path_type=Path, dir_okay=False),
            default=None,
            help="Base des énoncés importés par « lrs pull » (défaut : var/outbox.db).",
        ),
        click.option(
            "--public-key",
            "public_keys",
            multiple=True,
            type=click.Path(path_type=Path, dir_okay=False, exists=True),
            help="Certificat ou clé publique qui vérifie le registre (répétable).",
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


def _register(params: dict[str, Any]) -> tuple[Register, HrSettings]:
    settings = _settings()
    attest = _attest_settings()
    overrides = {
        k: v
        for k, v in {
            "db_path": params.get("db"),
            "attestations_db_path": params.get("attestations"),
            "statements_db_path": params.get("statements"),
            "public_key_paths": list(params.get("public_keys") or []) or None,
            "late_after_days": params.get("late_after"),
        }.items()
        if v is not None
    }
    settings = settings.model_copy(update=overrides)
    try:
        rules = RegisterRules(
            late_after_days=settings.late_after_days,
            directive=load_directive(attest.profile_path),
            forms=available_forms(),
        )
        filters = RegisterFilters(
            direction=params.get("direction"),
            service=params.get("service"),
            manager=params.get("manager"),
            as_of=_date(params.get("as_of")),
            hired_from=_date(params.get("hired_from")),
            hired_to=_date(params.get("hired_to")),
        )
        sources = RegisterSources(
            roster_db=settings.db_path,
            attestations_db=settings.attestations_db_path,
            statements_db=settings.statements_db_path,
        )
        keys = _public_keys(settings, attest, settings.attestations_db_path)
        _progress("Calcul des statuts…")
        register = build_register(
            sources, rules, filters, keys, reverify=bool(params.get("reverify")), progress=_progress
        )
    except AttestError as exc:
        raise click.ClickException(str(exc)) from exc
    for note in register.notes:
        click.echo(f"Note : {note}", err=True)
    if register.anomalies:
        click.echo(
            f"Attention : {len(register.anomalies)} anomalie(s) dans le registre des attestations ; "
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
    "--db",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Base du personnel (défaut : FORMATION_TIC_HR_DB_PATH, var/hr.db).",
)
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
@click.option("--strict", is_flag=True, help="Code de sortie 1 si au moins une ligne est refusée.")
def roster_import(
    file: Path, db: Path | None, complete: bool, errors_path: Path | None, strict: bool
) -> None:
    """Importer la liste du personnel (CSV ou XLSX) : ajoute ou met à jour chaque personne."""
    settings = _settings()
    db_path = db or settings.db_path
    read = 0

    def progress(n: int) -> None:
        nonlocal read
        read += n
        click.echo(f"  {read} lignes lues…", err=True)

    try:
        report = import_roster(db_path, file, complete=complete, progress=progress)
    except AttestError as exc:
        raise click.ClickException(str(exc)) from exc
    fmt = (
        "Excel (XLSX)"
        if report.file_format == "xlsx"
        else f"CSV, {report.encoding}, séparateur « {report.delimiter} »"
    )
    click.echo(f"Fichier lu : {fmt}.")
    click.echo(
        f"{report.rows_read} ligne(s) lue(s) : {report.inserted} ajoutée(s), "
        f"{report.updated} mise(s) à jour, "
        f"{report.unchanged} inchangée(s), {len(report.rejected)} refusée(s)."
    )
    if report.blank_lines:
        click.echo(f"{report.blank_lines} ligne(s) vide(s) ignorée(s).")
    if complete:
        click.echo(f"{report.marked_left} personne(s) absente(s) du fichier marquée(s) comme parties.")
    for warning in report.warnings:
        click.echo(f"Avertissement : {warning}", err=True)
    if report.rejected:
        click.echo("Lignes refusées :", err=True)
        for error in report.rejected[:50]:
            click.echo(f"  {error}", err=True)
        if len(report.rejected) > 50:
            click.echo(
                f"  … et {len(report.rejected) - 50} autre(s) (option --errors pour la liste complète).",
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
    help="Dossier des fichiers produits (défaut : var/rapports).",
)
@click.option(
    "--format",
    "formats",
    type=click.Choice(FORMATS),
    multiple=True,
    help="Formats à produire (répétable ; défaut : csv, xlsx et html).",
)
@click.option("--no-files", is_flag=True, help="Afficher le sommaire seulement.")
def report_command(output_dir: Path | None, formats: tuple[str, ...], no_files: bool, **params: Any) -> None:
    """Registre des attestations : sommaire à l'écran, fichiers CSV, Excel et HTML."""
    register, settings = _register(params)
    click.echo(f"Registre des attestations — {describe_filters(register)}")
    for line in summary_table(register):
        click.echo(line)
    if no_files:
        return
    directory = output_dir or settings.reports_dir
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
                render_report_html(register, max_rows=settings.html_max_rows), encoding="utf-8"
            )
            click.echo(f"Rapport HTML : {html_path}")
    except OSError as exc:
        raise click.ClickException(f"Écriture impossible dans {directory} : {exc.strerror}") from exc


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
    help="Fichier CSV à produire (défaut : var/rapports/relances-AAAA-MM-JJ.csv).",
)
def reminders_command(output: Path | None, **params: Any) -> None:
    """Liste de relance (CSV pour publipostage) : en retard ou à renouveler, avec le gestionnaire."""
    register, settings = _register(params)
    path = output or settings.reports_dir / f"{default_stem('relances', register)}.csv"
    try:
        count = export_reminders(register, path)
    except OSError as exc:
        raise click.ClickException(f"Écriture impossible : {exc.strerror}") from exc
    rows = reminder_rows(register)
    late = sum(1 for r in rows if r.status == "en_retard")
    click.echo(f"{count} personne(s) à relancer : {late} en retard, {count - late} à renouveler.")
    click.echo(f"Liste de relance : {path}")


# --- items -----------------------------------------------------------------------------------------


@click.command("items")
@click.option(
    "--statements",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Base des énoncés importés par « lrs pull » (défaut : var/outbox.db).",
)
@click.option(
    "--db",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Base du personnel (pour les filtres --direction, --service, --manager).",
)
@click.option("--direction", default=None, help="Seulement les réponses des personnes de cette direction.")
@click.option("--service", default=None, help="Seulement les réponses des personnes de ce service.")
@click.option("--manager", default=None, callback=_employee, help="Seulement l'équipe de ce gestionnaire.")
@click.option("--since", type=DATE, default=None, help="Réponses à partir de cette date (AAAA-MM-JJ).")
@click.option("--until", type=DATE, default=None, help="Réponses jusqu'à cette date (AAAA-MM-JJ).")
@click.option(
    "--output-dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="Dossier des fichiers produits (défaut : var/rapports).",
)
def items_command(
    statements: Path | None,
    db: Path | None,
    direction: str | None,
    service: str | None,
    manager: str | None,
    since: dt.datetime | None,
    until: dt.datetime | None,
    output_dir: Path | None,
) -> None:
    """Analyse des scénarios pour les formateurs : réussite, erreurs et parcours fréquents."""
    settings = _settings()
    employees: list[str] | None = None
    scope = "tout le personnel"
    if direction or service or manager:
        filters = RegisterFilters(direction=direction, service=service, manager=manager)
        try:
            employees = members(db or settings.db_path, filters)
        except AttestError as exc:
            raise click.ClickException(str(exc)) from exc
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
        min_attempts=settings.items_min_attempts,
        low_rate=settings.items_low_rate,
        high_rate=settings.items_high_rate,
    )
    try:
        stats = analyze_items(
            statements or settings.statements_db_path,
            employees=employees,
            since=_date(since),
            until=_date(until),
            thresholds=thresholds,
        )
    except AttestError as exc:
        raise click.ClickException(str(exc)) from exc
    if not stats:
        click.echo("Aucune réponse enregistrée pour ces critères.")
        return
    width = max(len(s.scenario_id) for s in stats)
    click.echo(f"{'Scénario'.ljust(width)}  {'Réponses':>8}  {'Réussite':>8}  Signalement")
    for s in stats:
        flag = "⚠ " + s.flag_label if s.flag else ""
        click.echo(f"{s.scenario_id.ljust(width)}  {s.answers:>8}  {100 * s.success_rate:>7.1f}%  {flag}")
    directory = output_dir or settings.reports_dir
    stem = f"analyse-scenarios-{dt.date.today().isoformat()}"
    try:
        write_csv(directory / f"{stem}.csv", ITEM_HEADERS, item_rows(stats))
        write_xlsx(directory / f"{stem}.xlsx", ITEM_HEADERS, item_rows(stats), title="Scénarios")
        (directory / f"{stem}.html").write_text(render_items_html(stats, scope=scope), encoding="utf-8")
    except OSError as exc:
        raise click.ClickException(f"Écriture impossible dans {directory} : {exc.strerror}") from exc
    click.echo(f"Fichiers : {directory / stem}.csv, .xlsx et .html")


__all__ = ["dashboard_command", "items_command", "reminders_command", "report_command", "roster_group"]


# --- dashboard --------------------------------------------------------------------------------------


@click.command("dashboard")
@click.option("--host", default="127.0.0.1", show_default=True, help="Adresse d'écoute.")
@click.option("--port", default=8001, show_default=True, type=int, help="Port d'écoute.")
def dashboard_command(host: str, port: int) -> None:
    """Tableau de bord des gestionnaires (Voilà), derrière le mandataire d'authentification unique."""
    settings = _settings()
    try:
        from formation_tic.app.server import run_voila
        from formation_tic.app.settings import LearnerAppSettings
    except ImportError as exc:  # pragma: no cover - the app package ships with formation-tic
        raise click.ClickException(f"Serveur Voilà indisponible : {exc}") from exc
    app = LearnerAppSettings(
        identification="sso-header", trusted_header=settings.manager_header, host=host, port=port
    )
    click.echo(
        f"Tableau de bord sur http://{host}:{port}/ ; accès par l'en-tête de confiance "
        f"{settings.manager_header} seulement (Ctrl+C pour arrêter).",
        err=True,
    )
    try:
        run_voila(app, book_html=None, notebook=DASHBOARD_NOTEBOOK)
    except KeyboardInterrupt:
        click.echo("Arrêt.", err=True)


DASHBOARD_NOTEBOOK = Path(__file__).parent / "dashboard" / "tableau-de-bord.ipynb"
