"""The ``formation-tic`` command: mounts each package's commands."""

from __future__ import annotations

from pathlib import Path

import click

from attest.cli import attest_group, keys_group
from lrs_export.cli import lrs as lrs_group
from scenarios.cli import build_command, scenarios_group

from .serve import serve_directory


@click.group()
@click.version_option(package_name="formation-tic")
def main() -> None:
    """formation-tic : formation et attestation sur la directive DIR 2022 DQEPE 054."""


main.add_command(scenarios_group)
main.add_command(build_command)
main.add_command(lrs_group)
main.add_command(keys_group)
main.add_command(attest_group)


@main.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Adresse d'écoute.")
@click.option("--port", default=8000, show_default=True, envvar="FORMATION_TIC_PORT", type=int)
@click.option("--no-build", is_flag=True, help="Servir le livre déjà construit, sans le reconstruire.")
@click.pass_context
def serve_command(ctx: click.Context, host: str, port: int, no_build: bool) -> None:
    """Construire le livre puis le servir sur http://127.0.0.1:PORT/."""
    html_dir = Path("book/_build/html")
    if not no_build:
        ctx.invoke(build_command)
    if not (html_dir / "index.html").exists():
        raise click.ClickException("livre introuvable : lancez « formation-tic build » d'abord")
    click.echo(f"Formation disponible sur http://{host}:{port}/ (Ctrl+C pour arrêter).", err=True)
    try:
        serve_directory(html_dir, host, port)
    except OSError as exc:
        raise click.ClickException(f"impossible d'écouter sur {host}:{port} : {exc.strerror}") from exc
    except KeyboardInterrupt:
        click.echo("Arrêt.", err=True)
