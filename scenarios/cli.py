"""Click commands for trainers: ``scenarios check``, ``scenarios schema`` and ``build``."""

from __future__ import annotations

import json
from pathlib import Path

import click

from .bank import BankError
from .build import BuildError, build
from .check import check_paths
from .profile import Profile, ProfileError, load_profile
from .schema import scenario_json_schema


def _profile(path: Path | None) -> Profile:
    try:
        return load_profile(path)
    except ProfileError as exc:
        raise click.ClickException(str(exc)) from exc


@click.group("scenarios")
def scenarios_group() -> None:
    """Vérifier les fichiers de scénarios et exporter leur schéma."""


@scenarios_group.command("check")
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@click.option(
    "--profile",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    envvar="FORMATION_TIC_PROFILE",
    help="Profil d'établissement (YAML).",
)
def check_command(paths: tuple[Path, ...], profile: Path | None) -> None:
    """Vérifier les scénarios (par défaut : scenarios/bank). Code de sortie 1 si un problème."""
    targets = list(paths) or [Path("scenarios/bank")]
    result = check_paths(targets, _profile(profile))
    for problem in result.problems:
        click.echo(str(problem))
    files = len({p.path for p in result.problems} | {s.path for s in result.scenarios})
    if result.problems:
        click.echo(
            f"{len(result.problems)} problème(s) dans {len({p.path for p in result.problems})} "
            f"fichier(s) sur {files}.",
            err=True,
        )
        raise SystemExit(1)
    click.echo(f"{len(result.scenarios)} scénario(s) valide(s).", err=True)


@scenarios_group.command("schema")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Fichier où écrire le schéma JSON (sinon : sortie standard).",
)
def schema_command(output: Path | None) -> None:
    """Exporter le schéma JSON du format de scénario (pour l'éditeur du formateur)."""
    text = json.dumps(scenario_json_schema(), ensure_ascii=False, indent=2) + "\n"
    if output:
        output.write_text(text, encoding="utf-8")
        click.echo(f"Schéma écrit dans {output}.", err=True)
    else:
        click.echo(text, nl=False)


@click.command("build")
@click.option(
    "--bank",
    "bank_paths",
    multiple=True,
    type=click.Path(exists=True, path_type=Path),
    help="Dossier ou fichier de scénarios (par défaut : scenarios/bank).",
)
@click.option(
    "--book",
    "book_dir",
    default=Path("book"),
    show_default=True,
    type=click.Path(exists=True, file_okay=False, path_type=Path),
)
@click.option(
    "--work-dir",
    default=Path("build"),
    show_default=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Dossier des fichiers générés (carnets, sources du livre).",
)
@click.option(
    "--profile",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    envvar="FORMATION_TIC_PROFILE",
    help="Profil d'établissement (YAML).",
)
def build_command(bank_paths: tuple[Path, ...], book_dir: Path, work_dir: Path, profile: Path | None) -> None:
    """Vérifier les scénarios, compiler les carnets et construire le livre HTML hors ligne."""
    try:
        result = build(
            list(bank_paths) or [Path("scenarios/bank")],
            book_dir,
            work_dir,
            _profile(profile),
            progress=lambda m: click.echo(m, err=True),
        )
    except BankError as exc:
        for problem in exc.problems:
            click.echo(str(problem))
        raise click.ClickException(
            f"construction refusée : {len(exc.problems)} problème(s) dans les scénarios "
            "(voir « formation-tic scenarios check »)"
        ) from exc
    except BuildError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(
        f"Livre prêt : {result.html_dir / 'index.html'} "
        f"({len(result.scenarios)} scénarios, {len(result.notebooks)} carnets).",
        err=True,
    )
