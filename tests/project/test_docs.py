"""Every command and option is documented (README or book) and has French help.

In the manner of sqlite-utils' documentation test: the CLI is walked, and each command
path and each long option must appear in the documentation a person reads.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import click
import pytest

from formation_tic.cli import main

ROOT = Path(__file__).resolve().parents[2]
DOCS = "\n".join(
    p.read_text(encoding="utf-8") for p in [ROOT / "README.md", *sorted((ROOT / "book").rglob("*.md"))]
)
FRENCH = re.compile(
    r"[éèêàçùâîô]|\b(le|la|les|des|du|de|un|une|et|ou|sur|pour|dans|par|ce|cette|ces|au|aux|seulement|avec)\b",
    re.I,
)


def commands(
    group: click.Group, path: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], click.Command]]:
    """Every command below ``group`` with its path of names."""
    for name, command in sorted(group.commands.items()):
        yield (*path, name), command
        if isinstance(command, click.Group):
            yield from commands(command, (*path, name))


ALL = list(commands(main))
OPTIONS = [
    (path, option)
    for path, command in [((), main), *ALL]
    for param in command.params
    if isinstance(param, click.Option)
    for option in param.opts
    if option.startswith("--")
]


@pytest.mark.parametrize("path", [p for p, _ in ALL], ids=" ".join)
def test_every_command_is_documented(path: tuple[str, ...]) -> None:
    assert f"formation-tic {' '.join(path)}" in DOCS


@pytest.mark.parametrize(
    ("path", "option"), OPTIONS, ids=lambda v: " ".join(v) if isinstance(v, tuple) else v
)
def test_every_option_is_documented(path: tuple[str, ...], option: str) -> None:
    assert option in DOCS, f"{' '.join(path)} {option}"


@pytest.mark.parametrize("path", [(), *[p for p, _ in ALL]], ids=lambda p: " ".join(p) or "formation-tic")
def test_help_is_in_french(path: tuple[str, ...]) -> None:
    command: click.Command = main
    for name in path:
        assert isinstance(command, click.Group)
        command = command.commands[name]
    assert command.help and FRENCH.search(command.help), path
    for param in command.params:
        if isinstance(param, click.Option) and not param.hidden:
            assert param.help and FRENCH.search(param.help), (path, param.opts)
