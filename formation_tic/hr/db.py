"""The SQLite connection of the HR register: the roster file (and HR's own verified copies).

The attestation store and the pulled statements are never attached here: they are read
through :class:`attest.store.StoreReader` and :mod:`lrs_export.pulled`.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from .errors import HrError


def connect_hr(db_path: Path, *, create: bool = True) -> sqlite3.Connection:
    """Open the roster database (autocommit mode, WAL)."""
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
