"""One SQLite opener for every store, and French messages for SQLite failures."""

from __future__ import annotations

import random
import sqlite3
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any, Literal


class LocalDbError(Exception):
    """A SQLite file cannot be opened, read or written; the message names it (French)."""

    def __init__(self, path: Path | None, message: str) -> None:
        super().__init__(message)
        self.path = path


def explain(exc: BaseException, path: Path | None) -> LocalDbError:
    """A :class:`LocalDbError` telling a person what happened to ``path`` and what to do."""
    text = str(exc).lower()
    if "full" in text or getattr(exc, "errno", None) == 28:
        what = "disque plein : libérez de l'espace puis recommencez (rien n'a été perdu)"
    elif "readonly" in text or "read-only" in text:
        what = "fichier en lecture seule : donnez le droit d'écriture sur le fichier et son dossier"
    elif "not a database" in text or "malformed" in text or "corrupt" in text:
        what = "fichier illisible ou corrompu : restaurez-le depuis une sauvegarde"
    elif "disk i/o error" in text:
        what = "écriture impossible sur le disque (plein ou défaillant) : vérifiez l'espace libre"
    elif "locked" in text or "busy" in text:
        what = "fichier occupé par un autre processus : réessayez dans un moment"
    elif "unable to open" in text or isinstance(exc, OSError):
        what = "fichier impossible à ouvrir : vérifiez le chemin et les droits"
    else:
        what = f"erreur SQLite ({exc})"
    return LocalDbError(path, f"{path} : {what}." if path is not None else f"base de données : {what}.")


@contextmanager
def translated(path: Path) -> Iterator[None]:
    """Turn a SQLite (or file) error raised inside the block into a :class:`LocalDbError`."""
    try:
        yield
    except sqlite3.Error as exc:
        raise explain(exc, path) from exc
    except OSError as exc:
        raise explain(exc, path) from exc


def _retry_locked(conn: sqlite3.Connection, sql: str, timeout: float) -> None:
    """Run ``sql``, retrying on the locks SQLite's busy handler does not wait for (switching to
    WAL, WAL recovery: several processes opening a new file at once)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            conn.execute(sql)
            return
        except sqlite3.OperationalError as exc:
            message = str(exc).lower()
            if ("locked" not in message and "busy" not in message) or time.monotonic() > deadline:
                raise
            time.sleep(0.01 + random.random() * 0.05)


def rollback_quietly(conn: sqlite3.Connection) -> None:
    """End a failed transaction without hiding why it failed (a full disk can end it already)."""
    if conn.in_transaction:
        with suppress(sqlite3.Error):
            conn.execute("ROLLBACK")


def connect(
    path: Path | str,
    *,
    readonly: bool = False,
    busy_timeout: float = 60.0,
    synchronous: Literal["FULL", "NORMAL"] = "FULL",
    check_same_thread: bool = True,
) -> sqlite3.Connection:
    """Open ``path`` in autocommit mode (callers run their own ``BEGIN``).

    Writable files are created if needed, in WAL mode with ``synchronous`` durability;
    ``readonly`` opens an existing file with SQLite's ``mode=ro`` (never creates, never
    writes). Any failure is a :class:`LocalDbError` naming the file.
    """
    path = Path(path)
    if readonly and not path.exists():
        raise LocalDbError(path, f"{path} : fichier introuvable.")
    with translated(path):
        if not readonly:
            path.parent.mkdir(parents=True, exist_ok=True)
        uri = path.resolve().as_uri() + ("?mode=ro" if readonly else "")
        conn = sqlite3.connect(
            uri,
            uri=True,
            timeout=busy_timeout,
            isolation_level=None,
            check_same_thread=check_same_thread,
        )
        try:
            conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")
            if readonly:
                conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
            else:
                if conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                    _retry_locked(conn, "PRAGMA journal_mode = WAL", busy_timeout)
                conn.execute(f"PRAGMA synchronous = {synchronous}")
        except BaseException:
            conn.close()
            raise
    return conn


def query(conn: sqlite3.Connection, sql: str, params: Sequence[Any] = ()) -> Iterator[dict[str, Any]]:
    """Rows of ``sql`` as dicts keyed by column name (the stores' one way of reading rows)."""
    cursor = conn.execute(sql, params)
    names = [d[0] for d in cursor.description]
    for row in cursor:
        yield dict(zip(names, row, strict=True))
