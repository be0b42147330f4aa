"""``formation-tic serve`` (the learner app, the book, the demo LRS) and ``dashboard`` (managers)."""

from __future__ import annotations

from pathlib import Path

import click

from ..serve import serve_app, serve_directory
from ..settings import write_kernel_config
from .common import cli_errors, settings_of
from .content import build_book

DASHBOARD_NOTEBOOK = Path(__file__).resolve().parent.parent / "hr" / "dashboard" / "tableau-de-bord.ipynb"


@click.command("serve")
@click.option("--host", default=None, help="Adresse d'écoute (défaut : 127.0.0.1 ; FORMATION_TIC_APP_HOST).")
@click.option("--port", default=None, type=int, help="Port (défaut : 8000 ; FORMATION_TIC_APP_PORT).")
@click.option("--rebuild", is_flag=True, help="Reconstruire le livre même s'il existe déjà.")
@click.option("--book-only", is_flag=True, help="Servir seulement le livre statique, sans l'application.")
@click.pass_context
def serve_command(
    ctx: click.Context, host: str | None, port: int | None, rebuild: bool, book_only: bool
) -> None:
    """Lancer la formation (application web, livre, LRS de démonstration) sur http://127.0.0.1:PORT/."""
    settings = settings_of(ctx)
    given = {k: v for k, v in {"host": host, "port": port}.items() if v is not None}
    if given:
        with cli_errors():
            app = settings.app.model_validate({**settings.app.model_dump(), **given})
        settings = settings.model_copy(update={"app": app})
    html_dir = settings.paths.book_html
    if rebuild or not (html_dir / "index.html").exists():
        html_dir = build_book(settings)
    echo = lambda m: click.echo(m, err=True)  # noqa: E731
    try:
        with cli_errors():
            if book_only:
                where = f"http://{settings.app.host}:{settings.app.port}/"
                echo(f"Livre disponible sur {where} (Ctrl+C pour arrêter).")
                serve_directory(html_dir, settings.app.host, settings.app.port)
            else:
                serve_app(settings, echo=echo)
    except KeyboardInterrupt:
        echo("Arrêt.")


@click.command("dashboard")
@click.option("--host", default="127.0.0.1", show_default=True, help="Adresse d'écoute.")
@click.option("--port", default=8001, show_default=True, type=int, help="Port d'écoute.")
@click.pass_context
def dashboard_command(ctx: click.Context, host: str, port: int) -> None:
    """Tableau de bord des gestionnaires (Voilà), derrière le mandataire d'authentification unique."""
    from ..app.settings import LearnerAppSettings
    from ..voila_server import kernel_environment, patched_environ, run_voila

    settings = settings_of(ctx)
    header = settings.hr.manager_header
    app = LearnerAppSettings(identification="sso-header", trusted_header=header, host=host, port=port)
    with cli_errors():
        env = kernel_environment(write_kernel_config(settings))
    click.echo(
        f"Tableau de bord des gestionnaires sur http://{host}:{port}/ ; accès seulement par "
        f"l'en-tête de confiance {header}, posé par le mandataire d'authentification unique "
        "(Ctrl+C pour arrêter).",
        err=True,
    )
    try:
        with cli_errors(), patched_environ(env):
            run_voila(app, book_html=None, notebook=DASHBOARD_NOTEBOOK)
    except KeyboardInterrupt:
        click.echo("Arrêt.", err=True)
