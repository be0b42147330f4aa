"""The SQLite connection of the HR register: the roster file (and HR's own verified copies).

The attestation store and the pulled statements are never attached here: they are read
through :class:`attest.store.StoreReader` and :mod:`lrs_export.pulled`.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import localdb

from .errors import HrError


def connect_hr(db_path: Path, *, create: bool = True) -> sqlite3.Connection:
    """Open the roster database (autocommit mode, WAL)."""
    path = Path(db_path)
    if not create and not path.exists():
        raise HrError(
            f"Base du personnel introuvable : {path}. Importez d'abord la liste du personnel "
            "(« formation-tic roster import FICHIER »)."
        )
    return localdb.connect(path, synchronous="NORMAL")
