"""Click commands for trainers: ``scenarios check``, ``scenarios audit``, ``scenarios schema`` and ``build``.

The bank, the book sources, the profile and where the outputs go come from the settings root.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from attest import fr_ca
from scenarios.audit import ExamRules, audit, render_text, to_json
from scenarios.bank import BankError, render_scenario
from scenarios.build import BuildError, build
from scenarios.check import check_paths
from scenarios.profile import load_profile
from scenarios.schema import scenario_json_schema

from ..settings import Settings
from .common import cli_errors, settings_of


@click.group("scenarios")
def scenarios_group() -> None:
    """Vérifier les fichiers de scénarios et exporter leur schéma."""


@scenarios_group.command("check")
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@click.pass_context
def check_command(ctx: click.Context, paths: tuple[Path, ...]) -> None:
    """Vérifier les scénarios (défaut : la banque configurée). Code de sortie 1 si un problème."""
    from ..hr.wording import plural  # lazily: HR's wording only, not HR's register

    settings = settings_of(ctx)
    targets = list(paths) or [settings.bank]
    with cli_errors():
        profile = load_profile(settings.profile)
    result = check_paths(targets, profile)
    for problem in result.problems:
        click.echo(str(problem))
    for warning in result.warnings:
        click.echo(str(warning), err=True)
    files = len({p.path for p in result.problems} | {s.path for s in result.scenarios})
    if result.problems:
        click.echo(
            f"{plural(len(result.problems), 'problème')} dans "
            f"{plural(len({p.path for p in result.problems}), 'fichier')} sur {fr_ca.integer(files)}.",
            err=True,
        )
        raise SystemExit(1)
    more = f", {plural(len(result.warnings), 'avertissement')}" if result.warnings else ""
    click.echo(f"{plural(len(result.scenarios), 'scénario valide', 'scénarios valides')}{more}.", err=True)


@scenarios_group.command("audit")
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@click.option(
    "--per-theme",
    type=click.IntRange(1, 10),
    help="Scénarios tirés par thème (défaut : réglage app.per_theme).",
)
@click.option(
    "--pass-mark",
    type=click.FloatRange(0.0, 1.0, min_open=True),
    help="Note de passage, de 0 à 1 (défaut : réglage app.pass_mark).",
)
@click.option(
    "--attempts",
    type=click.IntRange(1, 100),
    help="Essais permis (défaut : réglage app.max_attempts).",
)
@click.option(
    "--simulations",
    type=click.IntRange(0),
    default=0,
    show_default=True,
    help="Vérifier aussi par simulation, avec le tirage de l'application (nombre de séries d'essais).",
)
@click.option("--seed", type=int, default=13, show_default=True, help="Graine de la simulation.")
@click.option("--json", "as_json", is_flag=True, help="Sortie JSON, pour les machines.")
@click.pass_context
def audit_command(
    ctx: click.Context,
    paths: tuple[Path, ...],
    per_theme: int | None,
    pass_mark: float | None,
    attempts: int | None,
    simulations: int,
    seed: int,
    as_json: bool,
) -> None:
    """Mesurer les chances de réussir le questionnaire en devinant (longueur, position, mots)."""
    settings = settings_of(ctx)
    app = settings.app
    rules = ExamRules(
        per_theme=app.per_theme if per_theme is None else per_theme,
        pass_mark=app.pass_mark if pass_mark is None else pass_mark,
        attempts=app.max_attempts if attempts is None else attempts,
    )
    with cli_errors():
        profile = load_profile(settings.profile)
    result = check_paths(list(paths) or [settings.bank], profile)
    if not result.ok:
        for problem in result.problems:
            click.echo(str(problem), err=True)
        from ..hr.wording import plural

        raise click.ClickException(
            f"audit impossible : {plural(len(result.problems), 'problème')} dans les scénarios "
            "(voir « formation-tic scenarios check »)"
        )
    bank = [render_scenario(s.scenario, profile) for s in result.scenarios]
    from ..app.draw import draw_quiz

    report = audit(bank, rules, draw=draw_quiz if simulations else None, runs=simulations, seed=seed)
    if as_json:
        click.echo(json.dumps(to_json(report), ensure_ascii=False, indent=2))
    else:
        click.echo(render_text(report), nl=False)


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
    help="Dossier ou fichier de scénarios (répétable ; défaut : la banque configurée).",
)
@click.pass_context
def build_command(ctx: click.Context, bank_paths: tuple[Path, ...]) -> None:
    """Vérifier les scénarios, compiler les carnets et construire le livre HTML hors ligne."""
    settings = settings_of(ctx)
    try:
        html_dir = build_book(settings, list(bank_paths) or [settings.bank])
    except BankError as exc:
        for problem in exc.problems:
            click.echo(str(problem))
        from ..hr.wording import plural

        raise click.ClickException(
            f"construction refusée : {plural(len(exc.problems), 'problème')} dans les scénarios "
            "(voir « formation-tic scenarios check »)"
        ) from None
    except BuildError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Livre prêt : {html_dir / 'index.html'}", err=True)


def build_book(settings: Settings, bank_paths: list[Path] | None = None) -> Path:
    """Build notebooks and the book into the data directory; the HTML folder is returned.

    Refused, with every problem listed, when the scenarios do not pass the check.
    """
    paths = settings.paths
    with cli_errors():
        profile = load_profile(settings.profile)
    result = build(
        bank_paths or [settings.bank],
        settings.book,
        paths.build,
        profile,
        progress=lambda m: click.echo(m, err=True),
        output_dir=paths.book_output,
    )
    from ..hr.wording import plural

    click.echo(
        f"{plural(len(result.scenarios), 'scénario')}, {plural(len(result.notebooks), 'carnet')}.", err=True
    )
    return result.html_dir
