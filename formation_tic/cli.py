"""The ``formation-tic`` command: one settings root, the commands of every package mounted."""

from __future__ import annotations

from pathlib import Path

import click

from .commands.attempts import attempts_group
from .commands.attest import attest_group, keys_group
from .commands.common import CliState
from .commands.content import build_command, scenarios_group
from .commands.hr import items_command, reminders_command, report_command, roster_group
from .commands.lrs import lrs as lrs_group
from .commands.lti import lti_group
from .commands.serve import dashboard_command, serve_command


@click.group()
@click.version_option(package_name="formation-tic", help="Afficher la version et quitter.")
@click.option(
    "--config",
    type=click.Path(path_type=Path, dir_okay=False),
    envvar="FORMATION_TIC_CONFIG",
    default=None,
    help="Fichier de configuration TOML (FORMATION_TIC_CONFIG) ; l'environnement a préséance.",
)
@click.option(
    "--data-dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="Dossier de données (FORMATION_TIC_DATA_DIR ; défaut : ./var).",
)
@click.pass_context
def main(ctx: click.Context, config: Path | None, data_dir: Path | None) -> None:
    """formation-tic : formation et attestation sur la directive DIR 2022 DQEPE 054."""
    ctx.obj = CliState(config_file=config, data_dir=data_dir)


for command in (
    scenarios_group,
    build_command,
    serve_command,
    lrs_group,
    keys_group,
    attest_group,
    attempts_group,
    roster_group,
    report_command,
    reminders_command,
    items_command,
    dashboard_command,
    lti_group,
):
    main.add_command(command)
