"""Launches, sessions and the durable AGS score queue, in one SQLite file (``DataPaths.lti_store``).

* ``launches``: what a verified launch leaves behind: the platform (issuer, client id,
  deployment), the platform's user id (``sub``, the AGS ``userId``), the employee number,
  the line item and scopes of the AGS claim. Names and emails are never stored.
* ``sessions``: the browser sessions opened by launches (only a hash of each token).
* ``scores``: the queue of AGS scores. Each score comes from one xAPI statement
  (``source_id`` is unique: enqueuing twice is harmless) and the bridge's read position in
  the outbox is saved in the same transaction: a score is enqueued exactly once. Statuses:
  ``pending`` → ``sent`` | ``refused`` (the platform rejected it for good, with its answer).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import secrets
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

import localdb

ScoreKind = Literal["failed", "passed", "signed"]
ScoreStatus = Literal["pending", "sent", "refused"]

SCHEMA = """
CREATE TABLE IF NOT EXISTS launches (
    id TEXT PRIMARY KEY,
    issuer TEXT NOT NULL,
    client_id TEXT NOT NULL,
    deployment_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    employee_number TEXT NOT NULL,
    lineitem TEXT,
    scopes TEXT NOT NULL DEFAULT '[]',
    resource_link_id TEXT NOT NULL,
    context_id TEXT,
    launched_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS launches_employee ON launches (employee_number, launched_at);
CREATE TABLE IF NOT EXISTS sessions (
    token_hash TEXT PRIMARY KEY,
    launch_id TEXT NOT NULL REFERENCES launches (id),
    employee_number TEXT NOT NULL,
    expires_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS scores (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    source_id TEXT NOT NULL UNIQUE,
    launch_id TEXT NOT NULL REFERENCES launches (id),
    kind TEXT NOT NULL,
    body TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending',
    created_at TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_attempt_at TEXT,
    last_error TEXT,
    sent_at TEXT
);
CREATE INDEX IF NOT EXISTS scores_status_seq ON scores (status, seq);
CREATE TABLE IF NOT EXISTS bridge (
    name TEXT PRIMARY KEY,
    position INTEGER NOT NULL
);
"""


def now_iso() -> str:
    """UTC now, ISO 8601 with microseconds (sorts as text)."""
    return datetime.now(UTC).isoformat(timespec="microseconds")


def ags_timestamp(moment: datetime) -> str:
    """An AGS score timestamp: ISO 8601, milliseconds, UTC offset (as Moodle validates it)."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds")


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class Launch:
    """A verified launch: where its scores go."""

    id: str
    issuer: str
    client_id: str
    deployment_id: str
    user_id: str
    employee_number: str
    lineitem: str | None
    scopes: tuple[str, ...]
    resource_link_id: str
    context_id: str | None
    launched_at: str

    @property
    def can_post_scores(self) -> bool:
        """The platform gave a line item and the score scope."""
        return bool(self.lineitem) and "https://purl.imsglobal.org/spec/lti-ags/scope/score" in self.scopes


@dataclass(frozen=True)
class SessionInfo:
    """Who a session cookie stands for."""

    employee_number: str
    launch_id: str


@dataclass(frozen=True)
class QueuedScore:
    """A score waiting to be posted, with what the sender needs from its launch."""

    seq: int
    source_id: str
    kind: ScoreKind
    body: dict[str, Any]
    attempts: int
    issuer: str
    client_id: str
    lineitem: str
    scopes: tuple[str, ...]


@dataclass(frozen=True)
class ScoreRequest:
    """What the bridge asks to enqueue (built from one xAPI statement)."""

    source_id: str
    kind: ScoreKind
    employee_number: str
    created_at: str
    """When the statement was written to the outbox: it picks the launch in force then."""
    timestamp: datetime
    score_given: float
    score_maximum: float
    comment: str
    activity_progress: str
    grading_progress: str = "FullyGraded"


class LtiStore:
    """The SQLite file at ``path`` (created if needed, WAL journal, durable commits)."""

    def __init__(self, path: Path | str, *, busy_timeout: float = 30.0) -> None:
        self.path = Path(path)
        self.conn = localdb.connect(self.path, busy_timeout=busy_timeout, check_same_thread=False)
        self._lock = threading.RLock()
        with localdb.translated(self.path), self._lock:
            self.conn.executescript(SCHEMA)

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> LtiStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextlib.contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        with self._lock, localdb.translated(self.path):
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                yield self.conn
            except BaseException:
                localdb.rollback_quietly(self.conn)
                raise
            else:
                self.conn.execute("COMMIT")

    def _query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        with self._lock, localdb.translated(self.path):
            return self.conn.execute(sql, params).fetchall()

    # --- launches and sessions ---------------------------------------------------------------

    def record_launch(
        self,
        *,
        issuer: str,
        client_id: str,
        deployment_id: str,
        user_id: str,
        employee_number: str,
        lineitem: str | None,
        scopes: Sequence[str],
        resource_link_id: str,
        context_id: str | None,
    ) -> Launch:
        """Store a verified launch; return it."""
        launch = Launch(
            str(uuid.uuid4()),
            issuer,
            client_id,
            deployment_id,
            user_id,
            employee_number,
            lineitem,
            tuple(scopes),
            resource_link_id,
            context_id,
            now_iso(),
        )
        with self._tx() as conn:
            conn.execute(
                "INSERT INTO launches (id, issuer, client_id, deployment_id, user_id, employee_number,"
                " lineitem, scopes, resource_link_id, context_id, launched_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    launch.id,
                    issuer,
                    client_id,
                    deployment_id,
                    user_id,
                    employee_number,
                    lineitem,
                    json.dumps(list(scopes)),
                    resource_link_id,
                    context_id,
                    launch.launched_at,
                ),
            )
        return launch

    def launch(self, launch_id: str) -> Launch | None:
        rows = self._query("SELECT * FROM launches WHERE id = ?", (launch_id,))
        return self._launch(rows[0]) if rows else None

    def launches(self) -> list[Launch]:
        return [self._launch(r) for r in self._query("SELECT * FROM launches ORDER BY launched_at")]

    @staticmethod
    def _launch(row: tuple[Any, ...]) -> Launch:
        (lid, iss, cid, dep, uid, emp, item, scopes, rlid, ctx, at) = row
        return Launch(lid, iss, cid, dep, uid, emp, item, tuple(json.loads(scopes)), rlid, ctx, at)

    def launch_in_force(self, employee_number: str, at: str) -> Launch | None:
        """The person's latest launch at or before ``at`` (ISO UTC): where their scores go then."""
        rows = self._query(
            "SELECT * FROM launches WHERE employee_number = ? AND launched_at <= ?"
            " ORDER BY launched_at DESC LIMIT 1",
            (employee_number, at),
        )
        return self._launch(rows[0]) if rows else None

    def open_session(self, launch: Launch, hours: float) -> str:
        """A new session for the launch's person; returns its token (stored only as a hash)."""
        token = secrets.token_urlsafe(32)
        with self._tx() as conn:
            conn.execute(
                "INSERT INTO sessions (token_hash, launch_id, employee_number, expires_at)"
                " VALUES (?, ?, ?, ?)",
                (_hash(token), launch.id, launch.employee_number, time.time() + hours * 3600),
            )
        return token

    def session(self, token: str | None) -> SessionInfo | None:
        """Who the session token stands for (None: unknown or expired)."""
        if not token:
            return None
        rows = self._query(
            "SELECT employee_number, launch_id FROM sessions WHERE token_hash = ? AND expires_at > ?",
            (_hash(token), time.time()),
        )
        return SessionInfo(rows[0][0], rows[0][1]) if rows else None

    def session_count(self) -> int:
        return int(self._query("SELECT count(*) FROM sessions")[0][0])

    def forget_expired_sessions(self) -> int:
        with self._tx() as conn:
            return conn.execute("DELETE FROM sessions WHERE expires_at <= ?", (time.time(),)).rowcount

    # --- the score queue ---------------------------------------------------------------------

    def position(self, name: str = "outbox") -> int:
        """How far the bridge has read the outbox (its last ``seq``)."""
        rows = self._query("SELECT position FROM bridge WHERE name = ?", (name,))
        return int(rows[0][0]) if rows else 0

    def enqueue(self, requests: Sequence[ScoreRequest], position: int, name: str = "outbox") -> int:
        """Enqueue the scores of the statements read, and the new read position, atomically.

        A statement read before the person's first launch (no launch in force), or whose
        launch gave no line item, gives no score. Returns the number of scores enqueued.
        """
        added = 0
        with self._tx() as conn:
            for request in requests:
                if conn.execute("SELECT 1 FROM scores WHERE source_id = ?", (request.source_id,)).fetchone():
                    continue
                launch = self.launch_in_force(request.employee_number, request.created_at)
                if launch is None or not launch.can_post_scores:
                    continue
                body = self._score_body(conn, launch, request)
                conn.execute(
                    "INSERT INTO scores (source_id, launch_id, kind, body, created_at)"
                    " VALUES (?, ?, ?, ?, ?)",
                    (request.source_id, launch.id, request.kind, json.dumps(body), now_iso()),
                )
                added += 1
            conn.execute(
                "INSERT INTO bridge (name, position) VALUES (?, ?)"
                " ON CONFLICT (name) DO UPDATE SET position = excluded.position",
                (name, position),
            )
        return added

    @staticmethod
    def _score_body(conn: sqlite3.Connection, launch: Launch, request: ScoreRequest) -> dict[str, Any]:
        """The AGS score; its timestamp comes after the previous one of the same person and line
        item by a second at least (Moodle compares seconds and refuses an equal or older one)."""
        moment = request.timestamp
        previous = conn.execute(
            "SELECT max(json_extract(s.body, '$.timestamp')) FROM scores s JOIN launches l"
            " ON l.id = s.launch_id WHERE l.lineitem = ? AND l.user_id = ?",
            (launch.lineitem, launch.user_id),
        ).fetchone()[0]
        if previous:
            floor = datetime.fromisoformat(previous) + timedelta(seconds=1)
            moment = max(moment, floor)
        return {
            "userId": launch.user_id,
            "scoreGiven": request.score_given,
            "scoreMaximum": request.score_maximum,
            "activityProgress": request.activity_progress,
            "gradingProgress": request.grading_progress,
            "timestamp": ags_timestamp(moment),
            "comment": request.comment,
        }

    def pending(self, limit: int = 100) -> list[QueuedScore]:
        """The oldest pending scores with their launch's platform and line item."""
        rows = self._query(
            "SELECT s.seq, s.source_id, s.kind, s.body, s.attempts, l.issuer, l.client_id, l.lineitem,"
            " l.scopes FROM scores s JOIN launches l ON l.id = s.launch_id"
            " WHERE s.status = 'pending' ORDER BY s.seq LIMIT ?",
            (limit,),
        )
        return [
            QueuedScore(seq, sid, kind, json.loads(body), attempts, iss, cid, item, tuple(json.loads(scopes)))
            for seq, sid, kind, body, attempts, iss, cid, item, scopes in rows
        ]

    def mark_sent(self, seq: int, note: str | None = None) -> None:
        now = now_iso()
        with self._tx() as conn:
            conn.execute(
                "UPDATE scores SET status = 'sent', sent_at = ?, attempts = attempts + 1,"
                " last_attempt_at = ?, last_error = ? WHERE seq = ?",
                (now, now, note, seq),
            )

    def mark_refused(self, seq: int, reason: str) -> None:
        now = now_iso()
        with self._tx() as conn:
            conn.execute(
                "UPDATE scores SET status = 'refused', attempts = attempts + 1, last_attempt_at = ?,"
                " last_error = ? WHERE seq = ?",
                (now, reason[:1000], seq),
            )

    def record_failure(self, seq: int, error: str) -> None:
        """A transient failure: the score stays pending for the next round."""
        with self._tx() as conn:
            conn.execute(
                "UPDATE scores SET attempts = attempts + 1, last_attempt_at = ?, last_error = ?"
                " WHERE seq = ? AND status = 'pending'",
                (now_iso(), error[:500], seq),
            )

    def scores(self) -> list[dict[str, Any]]:
        """Every score, oldest first (for ``formation-tic lti scores`` and the tests)."""
        rows = self._query(
            "SELECT seq, source_id, kind, status, attempts, last_error, created_at, sent_at, body"
            " FROM scores ORDER BY seq"
        )
        keys = ("seq", "source_id", "kind", "status", "attempts", "last_error", "created_at", "sent_at")
        result = []
        for row in rows:
            item = dict(zip(keys, row[:-1], strict=True))
            item["body"] = json.loads(row[-1])
            result.append(item)
        return result

    def counts(self) -> dict[str, int]:
        counts = dict.fromkeys(("pending", "sent", "refused"), 0)
        for status, n in self._query("SELECT status, count(*) FROM scores GROUP BY status"):
            counts[status] = int(n)
        return counts
