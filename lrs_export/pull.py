"""Pull statements from the LRS into a local SQLite table for reports (resumable).

Table ``lrs_statements`` (one row per statement id, upserted) and ``lrs_pull_state``
(the ``more`` link of an interrupted pull, and the watermark of the last complete one).
Each page and its cursor are committed together, so a killed pull resumes where it was.

Incremental pulls ask ``since`` = last complete pull's highest ``stored`` minus
``settings.pull_overlap_seconds`` (Ralph 5.1's fs backend filters ``since`` on
``timestamp``, not ``stored``: the overlap absorbs statements sent late; the upsert makes
the overlap harmless).

Voiding statements (verb ``http://adlnet.gov/expapi/verbs/voided``) are stored like any
other, their ``object`` column holding the id of the statement they void (the
``StatementRef``); a partial index keeps them at hand. An xAPI LRS stops returning a
statement once it is voided, but one pulled before stays in the table, and Ralph 5.1 keeps
returning voided statements: :mod:`lrs_export.pulled` leaves out every statement a stored
voiding statement targets.

Reports read the table through :mod:`lrs_export.pulled`, never by its name.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlite_utils

import localdb
from lrs_export import vocabulary as V

if TYPE_CHECKING:
    from lrs_export.client import LrsClient

TABLE = "lrs_statements"
STATE = "lrs_pull_state"
VOIDED_VERB = V.VERBS["voided"][0]
"""The reserved xAPI verb of voiding statements (a literal in SQL: the partial index names it)."""
VOIDING_INDEX = f"CREATE INDEX IF NOT EXISTS {TABLE}_voiding ON {TABLE} (object) WHERE verb = '{VOIDED_VERB}'"


@dataclass
class PullReport:
    """What one pull did."""

    fetched: int = 0
    new: int = 0
    pages: int = 0
    since: str | None = None
    resumed: bool = False


def _db(path: Path) -> sqlite_utils.Database:
    db = sqlite_utils.Database(localdb.connect(path, synchronous="NORMAL"))
    with localdb.translated(path):
        db.execute(
            f"CREATE TABLE IF NOT EXISTS {TABLE} (id TEXT PRIMARY KEY, stored TEXT, timestamp TEXT,"
            " verb TEXT, object TEXT, actor_name TEXT, registration TEXT, success INTEGER,"
            " score_scaled REAL, body TEXT NOT NULL)"
        )
        db.execute(f"CREATE TABLE IF NOT EXISTS {STATE} (key TEXT PRIMARY KEY, value TEXT)")
        db.execute(VOIDING_INDEX)
    return db


def _known_ids(conn: sqlite3.Connection, ids: list[str]) -> set[str]:
    """Which of ``ids`` the local table already holds (primary-key look-ups, page-sized)."""
    known: set[str] = set()
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        marks = ", ".join("?" * len(chunk))
        rows = conn.execute(f"SELECT id FROM {TABLE} WHERE id IN ({marks})", chunk)
        known.update(row[0] for row in rows)
    return known


def _row(s: dict[str, Any]) -> tuple[Any, ...]:
    result = s.get("result") or {}
    success = result.get("success")
    return (
        s["id"],
        s.get("stored"),
        s.get("timestamp"),
        (s.get("verb") or {}).get("id"),
        (s.get("object") or {}).get("id"),
        ((s.get("actor") or {}).get("account") or {}).get("name"),
        (s.get("context") or {}).get("registration"),
        None if success is None else int(bool(success)),
        (result.get("score") or {}).get("scaled"),
        json.dumps(s, ensure_ascii=False, separators=(",", ":")),
    )


def pull(
    client: LrsClient,
    db_path: Path,
    *,
    since: datetime | None = None,
    filters: dict[str, str] | None = None,
    max_pages: int | None = None,
) -> PullReport:
    """Fetch statements (``GET`` with filters, following ``more``) into ``db_path``.

    ``since`` overrides the incremental watermark. ``max_pages`` stops early, leaving a
    cursor to resume from (used by tests and for very large stores).
    """
    db = _db(db_path)
    state = {k: v for k, v in db.execute(f"SELECT key, value FROM {STATE}").fetchall()}
    report = PullReport()
    more = state.get("more") if since is None and not filters else None
    params: dict[str, Any] = {"limit": 100, **(filters or {})}
    if more is None:
        if since is None and state.get("watermark"):
            since = datetime.fromisoformat(state["watermark"]) - timedelta(
                seconds=client.settings.pull_overlap_seconds
            )
        if since is not None:
            params["since"] = since.isoformat()
            report.since = params["since"]
    else:
        report.resumed = True
    watermark = state.get("pending_watermark") if more else None
    conn = db.conn
    try:
        for statements, next_more in client.iter_pages(params, more=more):
            conn.execute("BEGIN IMMEDIATE")
            known = _known_ids(conn, [s["id"] for s in statements])
            conn.executemany(
                f"INSERT OR REPLACE INTO {TABLE} VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [_row(s) for s in statements],
            )
            for s in statements:
                if s.get("stored") and (watermark is None or s["stored"] > watermark):
                    watermark = s["stored"]
            conn.execute(
                f"INSERT OR REPLACE INTO {STATE} VALUES ('more', ?), ('pending_watermark', ?)",
                (next_more, watermark),
            )
            conn.execute("COMMIT")
            report.pages += 1
            report.fetched += len(statements)
            report.new += len({s["id"] for s in statements} - known)
            if max_pages is not None and report.pages >= max_pages and next_more:
                return report
        conn.execute("BEGIN IMMEDIATE")
        conn.execute(f"DELETE FROM {STATE} WHERE key IN ('more', 'pending_watermark')")
        if watermark and not filters:
            conn.execute(f"INSERT OR REPLACE INTO {STATE} VALUES ('watermark', ?)", (watermark,))
        conn.execute("COMMIT")
    finally:
        conn.close()
    return report


def pulled_count(db_path: Path) -> int:
    """How many statements the local report table holds."""
    return int(_db(db_path).execute(f"SELECT count(*) FROM {TABLE}").fetchone()[0])
