"""SQLite connections of the HR register: the roster file, and read-only attachments."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from .errors import HrError


def connect_hr(db_path: Path, *, create: bool = True) -> sqlite3.Connection:
    """Open the roster database (autocommit mode; URI filenames allowed for ATTACH)."""
    path = Path(db_path)
    if not create and not path.exists():
        raise HrError(
            f"Base du personnel introuvable : {path}. Importez d'abord la liste du personnel "
            "(« formation-tic roster import FICHIER »)."
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path.resolve().as_uri(), uri=True, timeout=60, isolation_level=None)
    conn.execute("PRAGMA busy_timeout = 60000")
    if conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
        conn.execute("PRAGMA journal_mode = WAL")
    return conn


def attach_readonly(conn: sqlite3.Connection, path: Path, schema: str) -> None:
    """Attach another SQLite file read-only under ``schema``."""
    uri = Path(path).resolve().as_uri() + "?mode=ro"
    conn.execute("ATTACH DATABASE ? AS " + schema, (uri,))


def has_table(conn: sqlite3.Connection, schema: str, table: str) -> bool:
    """True when ``schema.table`` exists."""
    row = conn.execute(
        f"SELECT 1 FROM {schema}.sqlite_master WHERE type = 'table' AND name = ?", (table,)
    ).fetchone()
    return row is not None
