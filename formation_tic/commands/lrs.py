"""``formation-tic lrs …``: status, flush, pull, reconcile, requeue (thin layer over lrs_export).

Messages are in French; credentials are never printed. Paths and the LRS connection come
from the settings root: the configured LRS, else the demo LRS that ``serve`` is running.
"""

from __future__ import annotations

import sys
from datetime import datetime

import click

from lrs_export.capabilities import endpoint_key
from lrs_export.client import LrsClient
from lrs_export.outbox import LrsCapability, Outbox
from lrs_export.pull import pull as pull_statements
from lrs_export.reconcile import reconcile as reconcile_outbox
from lrs_export.sender import Sender
from lrs_export.settings import LrsSettings

from .common import CliError, cli_errors, settings_of

STATEMENT_MODE_LABELS = {
    "signed-multipart": "signed-multipart (énoncé signé, pièce jointe JWS en multipart/mixed)",
    "jws-extension": "jws-extension (sans pièce jointe ; signature JWS de l'énoncé et code en extension)",
}
SOURCE_LABELS = {
    "configuré": "configuré",
    "démonstration": "LRS local de démonstration, démarré par « formation-tic serve »",
}


def _capability(outbox: Outbox, settings: LrsSettings) -> LrsCapability | None:
    """What was learned about the configured LRS (None: nothing yet, or no LRS)."""
    return outbox.capability(endpoint_key(settings.endpoint)) if settings.endpoint else None


def _capability_label(capability: LrsCapability | None) -> str:
    if capability is None:
        return "pas encore connue (apprise au premier envoi d'un énoncé signé)"
    when = capability.learned_at[:16].replace("T", " à ")
    if capability.multipart:
        return f"multipart accepté (constaté le {when} UTC)"
    return (
        f"multipart refusé : forme de repli jws-extension (constaté le {when} UTC,"
        f" réponse « {capability.evidence[:120]} »)"
    )


def _lrs(ctx: click.Context) -> tuple[LrsSettings, str]:
    effective = settings_of(ctx).effective_lrs()
    return effective.settings, effective.source


def _outbox(ctx: click.Context) -> Outbox:
    with cli_errors():
        return Outbox(settings_of(ctx).paths.outbox)


@click.group("lrs")
def lrs() -> None:
    """Envoi des énoncés xAPI au LRS de l'organisation (ENA)."""


@lrs.command("status")
@click.option("--details", is_flag=True, help="Afficher les énoncés en quarantaine ou en conflit.")
@click.pass_context
def status(ctx: click.Context, details: bool) -> None:
    """État de la boîte d'envoi : en attente, envoyés, en quarantaine, en conflit."""
    settings, source = _lrs(ctx)
    with cli_errors(), _outbox(ctx) as outbox:
        counts = outbox.counts()
        click.echo(f"En attente      : {counts['pending']}")
        click.echo(f"Envoyés         : {counts['sent']}")
        click.echo(f"En quarantaine  : {counts['quarantined']}")
        click.echo(f"En conflit      : {counts['conflict']}")
        click.echo(f"Plus ancien en attente : {counts['oldest_pending'] or '—'}")
        if settings.configured:
            click.echo(f"LRS : {settings.safe_endpoint} ({SOURCE_LABELS[source]})")
            click.echo(f"Capacité du LRS : {_capability_label(_capability(outbox, settings))}")
        else:
            click.echo("LRS : aucun (les énoncés attendent dans la boîte d'envoi)")
        click.echo(f"Mode des attestations : {STATEMENT_MODE_LABELS[settings.statement_mode]}")
        signed = outbox.with_attachments(outbox.ids("quarantined"))
        if signed:
            click.echo(
                f"Énoncés signés en quarantaine : {len(signed)} ; « formation-tic lrs requeue"
                " --quarantined » les renverra sous la forme que le LRS accepte."
            )
        if details:
            for row in outbox.problems():
                click.echo(f"{row['id']}  {row['status']}  {row['reason']}")


@lrs.command("flush")
@click.pass_context
def flush(ctx: click.Context) -> None:
    """Envoyer au LRS les énoncés en attente (par lots, avec reprises)."""
    settings, _source = _lrs(ctx)
    with cli_errors(), _outbox(ctx) as outbox:
        total = outbox.counts()["pending"]
        if not settings.configured:
            from ..hr.wording import agree, plural

            waiting = agree(total, "reste", "restent")
            click.echo(f"Aucun LRS configuré : {plural(total, 'énoncé')} {waiting} en attente.")
            return
        with (
            Sender(outbox, settings) as sender,
            click.progressbar(length=total, label="Envoi", file=sys.stderr) as bar,
        ):
            report = sender.flush(progress=bar.update)
    click.echo(
        f"Envoyés : {report.sent} ; en quarantaine : {report.quarantined} ;"
        f" en conflit : {report.conflicts} ; reprises : {report.retries} ;"
        f" restent en attente : {report.remaining}."
    )


@lrs.command("pull")
@click.option(
    "--since",
    type=click.DateTime(formats=["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S"]),
    default=None,
    help="Depuis cette date (UTC) ; sinon, depuis le dernier import.",
)
@click.option("--verb", default=None, help="Filtrer par verbe (IRI).")
@click.option("--activity", default=None, help="Filtrer par activité (IRI).")
@click.option("--registration", default=None, help="Filtrer par tentative (UUID).")
@click.pass_context
def pull(
    ctx: click.Context,
    since: datetime | None,
    verb: str | None,
    activity: str | None,
    registration: str | None,
) -> None:
    """Importer les énoncés du LRS dans une table locale pour les rapports (reprenable)."""
    settings, _source = _lrs(ctx)
    if not settings.configured:
        raise CliError(
            "aucun LRS à interroger : configurez FORMATION_TIC_LRS_ENDPOINT "
            "ou lancez « formation-tic serve » (LRS local de démonstration)."
        )
    filters = {
        k: v for k, v in {"verb": verb, "activity": activity, "registration": registration}.items() if v
    }
    if since is not None and since.tzinfo is None:
        from datetime import UTC

        since = since.replace(tzinfo=UTC)
    with cli_errors(), LrsClient(settings) as client:
        report = pull_statements(
            client, settings_of(ctx).paths.statements, since=since, filters=filters or None
        )
    from ..hr.wording import agree, plural

    reprise = " (reprise d'un import interrompu)" if report.resumed else ""
    # « Importés : N » with a plain space: scripts (and tests) read that count.
    click.echo(
        f"Importés : {report.fetched} {agree(report.fetched, 'énoncé')}, dont "
        f"{plural(report.new, 'nouveau', 'nouveaux')}, en {plural(report.pages, 'page')}{reprise}."
    )


@lrs.command("reconcile")
@click.option("--requeue", is_flag=True, help="Remettre en attente les énoncés absents du LRS.")
@click.pass_context
def reconcile(ctx: click.Context, requeue: bool) -> None:
    """Vérifier, énoncé par énoncé, que le LRS a bien tout ce qui a été envoyé."""
    settings, _source = _lrs(ctx)
    with (
        cli_errors(),
        _outbox(ctx) as outbox,
        LrsClient(settings) as client,
        click.progressbar(length=outbox.counts()["sent"], label="Vérification", file=sys.stderr) as bar,
    ):
        report = reconcile_outbox(outbox, client, requeue=requeue, progress=bar.update)
    click.echo(f"Vérifiés : {report.checked} ; absents du LRS : {len(report.missing)}.")
    if report.voided:
        click.echo(f"Annulés par une révocation (présents, énoncé « voided ») : {len(report.voided)}.")
    for statement_id in report.missing:
        click.echo(f"  absent : {statement_id}")
    if report.requeued:
        click.echo(f"Remis en attente : {report.requeued}.")
    if report.missing and not requeue:
        ctx.exit(1)


@lrs.command("requeue")
@click.argument("ids", nargs=-1)
@click.option("--quarantined", is_flag=True, help="Tous les énoncés en quarantaine.")
@click.pass_context
def requeue(ctx: click.Context, ids: tuple[str, ...], quarantined: bool) -> None:
    """Remettre en attente des énoncés (après correction).

    Un énoncé signé (pièce jointe JWS) part ensuite sous la forme que le LRS accepte :
    multipart, ou forme de repli jws-extension pour un LRS qui refuse le multipart.
    """
    settings, _source = _lrs(ctx)
    with cli_errors(), _outbox(ctx) as outbox:
        targets = list(ids) + (outbox.ids("quarantined") if quarantined else [])
        click.echo(f"Remis en attente : {outbox.requeue(targets)}.")
        signed = outbox.with_attachments(targets)
        if not signed or not settings.configured:
            return
        capability = _capability(outbox, settings)
        if capability is None:
            click.echo(
                f"Énoncés signés : {len(signed)} ; le prochain envoi vérifiera si le LRS accepte"
                " le multipart, sinon ils partiront sous la forme de repli jws-extension."
            )
        elif capability.multipart:
            click.echo(f"Énoncés signés : {len(signed)} ; envoi en multipart (accepté par ce LRS).")
        else:
            click.echo(
                f"Énoncés signés : {len(signed)} ; ils partiront sous la forme de repli"
                " jws-extension (ce LRS refuse le multipart)."
            )


__all__ = ["lrs"]
