"""Read-only queries over the statements pulled by :mod:`lrs_export.pull` (for reports).

The local table of pulled statements belongs to this package: reports (the HR register,
the item analysis) call these functions and never name it. Each function opens the file
read-only, aggregates in SQL and returns small rows — one per person, or per group of
answers — never the statements themselves, so millions of statements stay in SQLite.

Voided statements never count: every aggregate leaves out the statements that a stored
voiding statement (verb ``http://adlnet.gov/expapi/verbs/voided``, object a
``StatementRef``) targets — e.g. the ``accept`` of a revoked attestation — and the voiding
statements themselves are about no activity of the training.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, NamedTuple

import localdb
from lrs_export import vocabulary as V
from lrs_export.errors import LrsError
from lrs_export.pull import TABLE, VOIDED_VERB

SCENARIO_PREFIX = V.BASE + "activites/scenario/"
"""IRI prefix of the scenarios (their decision steps are under ``…/etape/``)."""

NOT_VOIDED = f"id NOT IN (SELECT object FROM {TABLE} WHERE verb = '{VOIDED_VERB}' AND object IS NOT NULL)"
"""SQL condition: the statement is not the target of a stored voiding statement (evaluated
once per query, through the partial index of :mod:`lrs_export.pull`)."""


class PulledStatementsError(LrsError):
    """The pulled statements cannot be read (no file, no table, unreadable file)."""


class ActorActivity(NamedTuple):
    """One person's activity on the training, up to a date (ISO timestamps as stored)."""

    actor: str
    """Account name of the actor (the employee number)."""
    first: str
    """First statement about an activity of the training."""
    last: str
    """Last statement about an activity of the training."""
    passed: str | None
    """Last ``passed`` of the module."""
    failed: str | None
    """Last ``failed`` of the module."""


class AnswerGroup(NamedTuple):
    """Whole-scenario answers sharing the same scenario, success, response and path."""

    activity: str
    success: bool
    response: str | None
    path: str | None
    """JSON of the path extension (branching scenarios), as sent."""
    answers: int


class AnsweredActivity(NamedTuple):
    """One answered scenario: how many people answered it, and its definition."""

    activity: str
    people: int
    definition: str | None
    """JSON of ``object.definition`` (name, interaction type, choices) of one of its statements."""


class AnswerSummary(NamedTuple):
    """The ``answered`` statements of the scenarios, grouped (see :func:`answer_summary`)."""

    groups: list[AnswerGroup]
    activities: list[AnsweredActivity]


def _open(db_path: Path) -> sqlite3.Connection:
    path = Path(db_path)
    if not path.exists():
        raise PulledStatementsError(
            f"Aucun énoncé importé : {path} introuvable. Lancez d'abord « formation-tic lrs pull »."
        )
    try:
        conn = localdb.connect(path, readonly=True)
    except localdb.LocalDbError as exc:
        raise PulledStatementsError(str(exc)) from exc
    try:
        found = conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (TABLE,)
        ).fetchone()
    except sqlite3.DatabaseError as exc:
        conn.close()
        raise PulledStatementsError(f"Lecture des énoncés impossible : {exc}") from exc
    if not found:
        conn.close()
        raise PulledStatementsError(
            f"{path} ne contient pas d'énoncés importés du LRS (« formation-tic lrs pull »)."
        )
    return conn


def has_pulled_statements(db_path: Path | None) -> bool:
    """True when ``db_path`` exists and holds the table of pulled statements."""
    if db_path is None or not Path(db_path).exists():
        return False
    try:
        _open(db_path).close()
    except PulledStatementsError:
        return False
    return True


_MODULE_ACTIVITY = f"""
SELECT actor_name,
       min(timestamp),
       max(timestamp),
       max(CASE WHEN verb = :passed AND object = :module THEN timestamp END),
       max(CASE WHEN verb = :failed AND object = :module THEN timestamp END)
FROM {TABLE}
WHERE object >= :base AND object < :base_end AND actor_name IS NOT NULL
  AND verb != :granted
  AND {NOT_VOIDED}
"""


def voided_ids(db_path: Path) -> list[str]:
    """Ids of the statements that stored voiding statements target (sorted)."""
    conn = _open(db_path)
    try:
        rows = conn.execute(
            f"SELECT DISTINCT object FROM {TABLE} WHERE verb = '{VOIDED_VERB}' AND object IS NOT NULL "
            "ORDER BY object"
        ).fetchall()
    except sqlite3.DatabaseError as exc:
        raise PulledStatementsError(f"Lecture des énoncés impossible : {exc}") from exc
    finally:
        conn.close()
    return [r[0] for r in rows]


def module_activity(
    db_path: Path, *, until: dt.date | None = None, batch_size: int = 20_000
) -> Iterator[ActorActivity]:
    """One row per actor with a statement about the training (any activity under the
    vocabulary's base IRI), up to ``until`` (UTC day, inclusive), in no particular order.
    An attempt granted by a manager (verb ``granted-attempt``) is not the person's activity.

    Aggregated in SQL and streamed in batches: the statements are never loaded.
    Raises :class:`PulledStatementsError` (when iterated) if the file cannot be read.
    """
    conn = _open(db_path)
    params: dict[str, Any] = {
        "passed": V.VERBS["passed"][0],
        "failed": V.VERBS["failed"][0],
        "granted": V.VERBS["granted-attempt"][0],
        "module": V.MODULE,
        "base": V.BASE,
        "base_end": V.BASE + "\uffff",
    }
    sql = _MODULE_ACTIVITY
    if until is not None:
        sql += "  AND timestamp < :until\n"
        params["until"] = (until + dt.timedelta(days=1)).isoformat()
    try:
        cur = conn.execute(sql + "GROUP BY actor_name", params)
        while batch := cur.fetchmany(batch_size):
            yield from map(ActorActivity._make, batch)
    except sqlite3.DatabaseError as exc:
        raise PulledStatementsError(f"Lecture des énoncés impossible : {exc}") from exc
    finally:
        conn.close()


def answer_summary(
    db_path: Path,
    *,
    actors: Iterable[str] | None = None,
    since: dt.date | None = None,
    until: dt.date | None = None,
) -> AnswerSummary:
    """The whole-scenario ``answered`` statements (steps of branching scenarios left out),
    grouped by scenario, success, response and path, and the people per scenario.

    ``actors`` restricts to these account names (employee numbers); ``since``/``until`` to
    answers in that date range (UTC days, inclusive).
    """
    conn = _open(db_path)
    try:
        where = [
            "verb = :answered",
            "object >= :prefix",
            "object < :prefix_end",
            "instr(object, '/etape/') = 0",
            NOT_VOIDED,
        ]
        params: dict[str, Any] = {
            "answered": V.VERBS["answered"][0],
            "prefix": SCENARIO_PREFIX,
            "prefix_end": SCENARIO_PREFIX + "\uffff",
            "path": f'$.result.extensions."{V.EXT_PATH}"',
        }
        if since is not None:
            where.append("timestamp >= :since")
            params["since"] = since.isoformat()
        if until is not None:
            where.append("timestamp < :until")
            params["until"] = (until + dt.timedelta(days=1)).isoformat()
        if actors is not None:
            conn.execute("CREATE TEMP TABLE scope (n TEXT PRIMARY KEY)")
            conn.executemany("INSERT OR IGNORE INTO temp.scope VALUES (?)", ((a,) for a in actors))
            where.append("actor_name IN (SELECT n FROM temp.scope)")
        condition = " AND ".join(where)
        groups = [
            AnswerGroup(obj, bool(success), response, path, n)
            for obj, success, response, path, n in conn.execute(
                "SELECT object, coalesce(success, 0), json_extract(body, '$.result.response'), "
                f"json_extract(body, :path), count(*) FROM {TABLE} WHERE {condition} "
                "GROUP BY 1, 2, 3, 4",
                params,
            )
        ]
        activities = [
            AnsweredActivity._make(row)
            for row in conn.execute(
                "SELECT object, count(DISTINCT actor_name), json_extract(body, '$.object.definition') "
                f"FROM {TABLE} WHERE {condition} GROUP BY object",
                params,
            )
        ]
    except sqlite3.DatabaseError as exc:
        raise PulledStatementsError(f"Lecture des énoncés impossible : {exc}") from exc
    finally:
        conn.close()
    return AnswerSummary(groups, activities)
