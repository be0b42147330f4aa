"""``formation-tic lrs …``: status, flush, pull, reconcile (thin layer over the library).

Messages are in French. Credentials are never printed. Settings come from ``ctx.obj``
(``LrsSettings`` or a dict with key ``lrs_settings``, as the root CLI passes them) or are
built here from ``FORMATION_TIC_LRS_*`` variables / ``--config``.
"""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import click
from pydantic import ValidationError

from lrs_export.client import LrsClient
from lrs_export.errors import LrsError
from lrs_export.outbox import Outbox
from lrs_export.pull import pull as pull_statements
from lrs_export.reconcile import reconcile as reconcile_outbox
from lrs_export.sender import Sender
from lrs_export.settings import LrsSettings

DEFAULT_OUTBOX = Path("var/outbox.db")
STATEMENT_MODE_LABELS = {
    "signed-multipart": "signed-multipart (énoncé signé, pièce jointe JWS en multipart/mixed)",
    "jws-extension": "jws-extension (énoncé simple portant le JWS et le code dans une extension)",
}


def _settings(ctx: click.Context) -> LrsSettings:
    obj = ctx.obj
    if isinstance(obj, LrsSettings):
        return obj
    if isinstance(obj, dict) and isinstance(obj.get("lrs_settings"), LrsSettings):
        return obj["lrs_settings"]
    if isinstance(getattr(obj, "lrs", None), LrsSettings):
        return obj.lrs
    config: Path | None = ctx.meta.get("lrs_config")
    try:
        return LrsSettings.from_file(config) if config else LrsSettings()
    except ValidationError as error:
        fields = ", ".join(str(e["loc"][0]) for e in error.errors() if e.get("loc"))
        raise click.ClickException(f"Configuration du LRS invalide ({fields}).") from None


def _outbox(ctx: click.Context) -> Outbox:
    path: Path = ctx.meta["lrs_outbox"]
    return Outbox(path)


@click.group("lrs")
@click.option(
    "--outbox",
    "outbox_path",
    type=click.Path(path_type=Path),
    default=DEFAULT_OUTBOX,
    show_default=True,
    help="Fichier SQLite de la boîte d'envoi.",
)
@click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path, exists=True),
    default=None,
    help="Fichier de configuration (TOML, YAML ou JSON).",
)
@click.pass_context
def lrs(ctx: click.Context, outbox_path: Path, config_path: Path | None) -> None:
    """Envoi des énoncés xAPI au LRS de l'organisation (ENA)."""
    ctx.meta["lrs_outbox"] = outbox_path
    ctx.meta["lrs_config"] = config_path


@lrs.command("status")
@click.option("--details", is_flag=True, help="Afficher les énoncés en quarantaine ou en conflit.")
@click.pass_context
def status(ctx: click.Context, details: bool) -> None:
    """État de la boîte d'envoi : en attente, envoyés, en quarantaine, en conflit."""
    settings = _settings(ctx)
    with _outbox(ctx) as outbox:
        counts = outbox.counts()
        click.echo(f"En attente      : {counts['pending']}")
        click.echo(f"Envoyés         : {counts['sent']}")
        click.echo(f"En quarantaine  : {counts['quarantined']}")
        click.echo(f"En conflit      : {counts['conflict']}")
        click.echo(f"Plus ancien en attente : {counts['oldest_pending'] or '—'}")
        click.echo(f"LRS : {settings.endpoint or 'aucun (les énoncés attendent dans la boîte)'}")
        click.echo(f"Mode des attestations : {STATEMENT_MODE_LABELS[settings.statement_mode]}")
        if details:
            for row in outbox.problems():
                click.echo(f"{row['id']}  {row['status']}  {row['reason']}")


def _fail(error: LrsError) -> click.ClickException:
    return click.ClickException(str(error))


@lrs.command("flush")
@click.pass_context
def flush(ctx: click.Context) -> None:
    """Envoyer au LRS les énoncés en attente (par lots, avec reprises)."""
    settings = _settings(ctx)
    with _outbox(ctx) as outbox:
        total = outbox.counts()["pending"]
        if not settings.configured:
            click.echo(f"Aucun LRS configuré : {total} énoncé(s) restent en attente.")
            return
        try:
            with (
                Sender(outbox, settings) as sender,
                click.progressbar(length=total, label="Envoi", file=sys.stderr) as bar,
            ):
                report = sender.flush(progress=bar.update)
        except LrsError as error:
            raise _fail(error) from None
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
@click.option(
    "--db",
    "db_path",
    type=click.Path(path_type=Path),
    default=None,
    help="Base SQLite des rapports (par défaut : celle de la boîte d'envoi).",
)
@click.option("--verb", default=None, help="Filtrer par verbe (IRI).")
@click.option("--activity", default=None, help="Filtrer par activité (IRI).")
@click.option("--registration", default=None, help="Filtrer par tentative (UUID).")
@click.pass_context
def pull(
    ctx: click.Context,
    since: datetime | None,
    db_path: Path | None,
    verb: str | None,
    activity: str | None,
    registration: str | None,
) -> None:
    """Importer les énoncés du LRS dans une table locale pour les rapports (reprenable)."""
    settings = _settings(ctx)
    filters = {
        k: v for k, v in {"verb": verb, "activity": activity, "registration": registration}.items() if v
    }
    if since is not None and since.tzinfo is None:
        from datetime import UTC

        since = since.replace(tzinfo=UTC)
    try:
        with LrsClient(settings) as client:
            report = pull_statements(
                client, db_path or ctx.meta["lrs_outbox"], since=since, filters=filters or None
            )
    except LrsError as error:
        raise _fail(error) from None
    reprise = " (reprise d'un import interrompu)" if report.resumed else ""
    click.echo(
        f"Importés : {report.fetched} énoncé(s), dont {report.new} nouveau(x),"
        f" en {report.pages} page(s){reprise}."
    )


@lrs.command("reconcile")
@click.option("--requeue", is_flag=True, help="Remettre en attente les énoncés absents du LRS.")
@click.pass_context
def reconcile(ctx: click.Context, requeue: bool) -> None:
    """Vérifier, énoncé par énoncé, que le LRS a bien tout ce qui a été envoyé."""
    settings = _settings(ctx)
    with _outbox(ctx) as outbox:
        try:
            with (
                LrsClient(settings) as client,
                click.progressbar(
                    length=outbox.counts()["sent"], label="Vérification", file=sys.stderr
                ) as bar,
            ):
                report = reconcile_outbox(outbox, client, requeue=requeue, progress=bar.update)
        except LrsError as error:
            raise _fail(error) from None
    click.echo(f"Vérifiés : {report.checked} ; absents du LRS : {len(report.missing)}.")
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
    """Remettre en attente des énoncés (après correction)."""
    with _outbox(ctx) as outbox:
        targets = list(ids) + (outbox.ids("quarantined") if quarantined else [])
        click.echo(f"Remis en attente : {outbox.requeue(targets)}.")


def main(argv: list[str] | None = None) -> Any:
    """Run the ``lrs`` group alone (``python -m lrs_export``)."""
    return lrs.main(args=argv, prog_name="formation-tic lrs")


__all__ = ["lrs", "main"]
