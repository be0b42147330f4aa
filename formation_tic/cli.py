"""The ``formation-tic`` command: mounts each package's commands."""

from __future__ import annotations

import click

from scenarios.cli import build_command, scenarios_group


@click.group()
@click.version_option(package_name="formation-tic")
def main() -> None:
    """formation-tic : formation et attestation sur la directive DIR 2022 DQEPE 054."""


main.add_command(scenarios_group)
main.add_command(build_command)
