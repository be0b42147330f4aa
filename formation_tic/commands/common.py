"""What every command shares: the settings root, and library errors turned into French CLI errors."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click

import localdb
from attest.errors import AttestError
from localdb import LocalDbError
from lrs_export.errors import LrsError
from scenarios.bank import BankError
from scenarios.build import BuildError
from scenarios.profile import ProfileError

from ..hr.errors import HrError
from ..settings import Settings, SettingsError, load_settings

USER_ERRORS: tuple[type[Exception], ...] = (
    SettingsError,
    LocalDbError,
    AttestError,
    LrsError,
    HrError,
    BankError,
    BuildError,
    ProfileError,
)
"""Library errors whose message is written for people (French): shown as is, exit 1."""


class CliError(click.ClickException):
    """A command's failure, shown in French (« Erreur : … »), exit code 1."""

    def show(self, file: Any = None) -> None:
        """Print « Erreur : message » on standard error."""
        click.echo(f"Erreur : {self.format_message()}", err=file is None, file=file)


@dataclass
class CliState:
    """What the root group knows before a command runs; settings load on first use."""

    config_file: Path | None = None
    data_dir: Path | None = None
    _settings: Settings | None = field(default=None, repr=False)

    def settings(self) -> Settings:
        """The settings root (loaded once per command line)."""
        if self._settings is None:
            with cli_errors():
                self._settings = load_settings(self.config_file, data_dir=self.data_dir)
        return self._settings


def settings_of(ctx: click.Context) -> Settings:
    """The settings root of the running command (a default one outside the root group)."""
    state = ctx.find_object(CliState)
    if state is None:
        state = ctx.ensure_object(CliState)
    return state.settings()


@contextmanager
def cli_errors() -> Iterator[None]:
    """Turn a library, settings, SQLite or file error into a French ``ClickException`` (exit 1)."""
    try:
        yield
    except USER_ERRORS as exc:
        raise CliError(str(exc)) from None
    except sqlite3.DatabaseError as exc:  # a store that did not say which file: still in French
        raise CliError(str(localdb.explain(exc, None))) from None
    except OSError as exc:
        where = f" : {exc.filename}" if exc.filename else ""
        raise CliError(f"erreur de fichier{where} ({exc.strerror or exc})") from None
