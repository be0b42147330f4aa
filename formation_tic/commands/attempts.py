"""``formation-tic attempts …``: one more quiz attempt for a locked-out learner (grant, list).

A thin layer over :mod:`formation_tic.attempt_grants` (the ledger, in the learner app's
progress file) and :func:`lrs_export.statements.attempt_granted` (the xAPI statement, put in
the outbox; ``formation-tic serve`` or ``formation-tic lrs flush`` sends it). The reason
stays in the local ledger: the statement carries only employee numbers, the grant id and the
number of attempts allowed. Messages are in French.
"""

from __future__ import annotations

import click

import localdb
from attest import fr_ca
from attest.directive import load_directive
from lrs_export import statements as xapi
from lrs_export.outbox import Outbox

from .. import attempt_grants as G
from ..settings import Settings
from .common import CliError, cli_errors, settings_of

NO_ATTEMPT_YET = (
    "Aucun essai du questionnaire n'est encore enregistré sur ce serveur "
    "(fichier des progrès introuvable) : il n'y a rien à débloquer."
)


def _directive_version(settings: Settings) -> str:
    with cli_errors():
        return load_directive(settings.profile).version


@click.group("attempts")
def attempts_group() -> None:
    """Essais du questionnaire : accorder un essai de plus après le dernier échec permis."""


@attempts_group.command("grant")
@click.argument("employee")
@click.option(
    "--reason",
    required=True,
    help=f"Raison de l'essai supplémentaire (obligatoire, {G.REASON_MAX} caractères au plus ; "
    "conservée sur ce serveur seulement, jamais envoyée au LRS).",
)
@click.option(
    "--by",
    "granted_by",
    required=True,
    help="Votre propre numéro d'employé (gestionnaire ou RH) : qui accorde l'essai.",
)
@click.pass_context
def grant_cmd(ctx: click.Context, employee: str, reason: str, granted_by: str) -> None:
    """Accorder un essai de plus à une personne qui a épuisé ses essais (version actuelle de la directive)."""
    try:
        G.check_request(employee, granted_by, reason)
    except G.GrantError as exc:
        raise CliError(str(exc)) from None
    settings = settings_of(ctx)
    version = _directive_version(settings)
    path = settings.paths.progress
    if not path.exists():
        raise CliError(NO_ATTEMPT_YET)
    with cli_errors():
        conn = localdb.connect(path, synchronous="FULL")
        try:
            with localdb.translated(path):
                grant = G.record_grant(
                    conn,
                    employee_number=employee,
                    directive_version=version,
                    granted_by=granted_by,
                    reason=reason,
                    max_attempts=settings.app.max_attempts,
                )
        except G.GrantError as exc:
            raise CliError(str(exc)) from None
        finally:
            conn.close()
    click.echo(
        f"Essai supplémentaire accordé à {grant.employee_number} par {grant.granted_by} "
        f"le {fr_ca.datetime_long(grant.granted_at)} (directive version {version}) : "
        f"{grant.allowed_after} essais permis en tout. Référence : {grant.grant_id}."
    )
    lrs = settings.effective_lrs().settings
    statement = xapi.attempt_granted(
        grant.employee_number,
        grant.granted_by,
        homepage=lrs.homepage,
        platform=lrs.platform,
        directive_version=version,
        grant_id=grant.grant_id,
        attempts_allowed=grant.allowed_after,
        timestamp=grant.granted_at,
        statement_id=grant.statement_id,
    )
    try:
        with cli_errors(), Outbox(settings.paths.outbox) as outbox:
            outbox.add(statement)
    except CliError as exc:
        raise CliError(
            f"l'essai est accordé (référence {grant.grant_id}), mais son énoncé xAPI n'a pas pu être mis "
            f"dans la boîte d'envoi : {exc.format_message()}"
        ) from None
    click.echo(
        "Énoncé xAPI mis dans la boîte d'envoi, sans la raison "
        "(« formation-tic lrs flush » l'envoie au LRS). "
        "La personne verra son nouvel essai en s'identifiant de nouveau."
    )


@attempts_group.command("list")
@click.pass_context
def list_cmd(ctx: click.Context) -> None:
    """Personnes aux essais épuisés et essais accordés (version actuelle de la directive)."""
    settings = settings_of(ctx)
    version = _directive_version(settings)
    path = settings.paths.progress
    if not path.exists():
        click.echo("Aucun essai enregistré.")
        return
    with cli_errors():
        conn = localdb.connect(path, readonly=True)
        try:
            with localdb.translated(path):
                locked = [s for s in G.standings(conn, version, settings.app.max_attempts) if s.locked_out]
                granted = G.grants(conn, version)
        finally:
            conn.close()
    click.echo(f"Directive version {version}.")
    click.echo(f"Essais épuisés : {len(locked)}")
    for standing in locked:
        click.echo(f"- {standing.employee_number} : {standing.used} essais sur {standing.allowed}")
    click.echo(f"Essais accordés : {len(granted)}")
    for grant in granted:
        click.echo(
            f"- {grant.employee_number}, accordé par {grant.granted_by} le "
            f"{fr_ca.datetime_long(grant.granted_at)} : « {grant.reason} »"
        )
