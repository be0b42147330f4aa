"""The ``formation-tic`` command: mounts each package's commands."""

from __future__ import annotations

import click

from attest.cli import attest_group, keys_group
from attest.hr.cli import (
    dashboard_command,
    items_command,
    reminders_command,
    report_command,
    roster_group,
)
from lrs_export.cli import lrs as lrs_group
from scenarios.cli import build_command, scenarios_group

from .serve import serve_app, serve_directory


@click.group()
@click.version_option(package_name="formation-tic")
def main() -> None:
    """formation-tic : formation et attestation sur la directive DIR 2022 DQEPE 054."""


main.add_command(scenarios_group)
main.add_command(build_command)
main.add_command(lrs_group)
main.add_command(keys_group)
main.add_command(attest_group)
main.add_command(roster_group)
main.add_command(report_command)
main.add_command(reminders_command)
main.add_command(items_command)
main.add_command(dashboard_command)


@main.command("serve")
@click.option("--host", default=None, help="Adresse d'écoute (par défaut 127.0.0.1).")
@click.option("--port", default=None, type=int, help="Port (par défaut 8000 ; FORMATION_TIC_APP_PORT).")
@click.option("--rebuild", is_flag=True, help="Reconstruire le livre même s'il existe déjà.")
@click.option("--book-only", is_flag=True, help="Servir seulement le livre statique, sans l'application.")
@click.pass_context
def serve_command(
    ctx: click.Context, host: str | None, port: int | None, rebuild: bool, book_only: bool
) -> None:
    """Lancer la formation (application web, livre, LRS de démonstration) sur http://127.0.0.1:PORT/."""
    from pydantic import ValidationError

    from attest.settings import AttestSettings
    from lrs_export.settings import LrsSettings

    from .app.settings import LearnerAppSettings
    from .settings import AppSettings

    try:
        base = AppSettings()
        given = {"host": host, "port": port}
        overrides: dict[str, object] = {k: v for k, v in given.items() if v is not None}
        app = LearnerAppSettings.model_validate({**LearnerAppSettings().model_dump(), **overrides})
        attest = AttestSettings()
        lrs = LrsSettings()
    except ValidationError as exc:
        fields = ", ".join(".".join(str(p) for p in e["loc"]) for e in exc.errors())
        raise click.ClickException(f"configuration invalide ({fields}) : {exc.errors()[0]['msg']}") from None
    html_dir = base.book / "_build" / "html"
    if rebuild or not (html_dir / "index.html").exists():
        ctx.invoke(build_command, bank_paths=(base.bank,), book_dir=base.book, profile=base.profile)
    if not (html_dir / "index.html").exists():
        raise click.ClickException("livre introuvable : lancez « formation-tic build » d'abord")
    try:
        if book_only:
            click.echo(f"Livre disponible sur http://{app.host}:{app.port}/ (Ctrl+C pour arrêter).", err=True)
            serve_directory(html_dir, app.host, app.port)
        else:
            serve_app(base, app, attest, lrs, echo=lambda m: click.echo(m, err=True))
    except OSError as exc:
        raise click.ClickException(
            f"impossible d'écouter sur {app.host}:{app.port} : {exc.strerror}"
        ) from exc
    except KeyboardInterrupt:
        click.echo("Arrêt.", err=True)
