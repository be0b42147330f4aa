"""A durable outbox of xAPI statements in SQLite (sqlite-utils, WAL).

Every statement is written here before any network call: the committed write is the
commit point. Several processes (learner kernels) may add at once; one sender at a time
flushes (an OS file lock next to the database, released even on ``kill -9``).

Statuses: ``pending`` → ``sent`` | ``quarantined`` (the LRS rejected its content, with its
reason; never retried blindly) | ``conflict`` (the LRS holds another statement with the
same id).

The outbox also remembers what each LRS was seen to accept (table ``lrs_capabilities``,
keyed by the endpoint without credentials; see :mod:`lrs_export.capabilities`). A
statement's stored body and attachments are never rewritten: the form sent on the wire
is chosen by the sender.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import sqlite3
import threading
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import localdb
from lrs_export.errors import OutboxError, SenderBusy

Status = Literal["pending", "sent", "quarantined", "conflict"]
STATUSES: tuple[Status, ...] = ("pending", "sent", "quarantined", "conflict")

SCHEMA = """
CREATE TABLE IF NOT EXISTS statements (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    body TEXT NOT NULL,
    has_attachments INTEGER NOT NULL DEFAULT 0,
    status TEXT NOT NULL DEFAULT 'pending',
    created_at TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_attempt_at TEXT,
    last_error TEXT,
    sent_at TEXT,
    reason TEXT
);
CREATE INDEX IF NOT EXISTS statements_status_seq ON statements (status, seq);
CREATE TABLE IF NOT EXISTS attachments (
    statement_id TEXT NOT NULL REFERENCES statements (id),
    position INTEGER NOT NULL,
    usage_type TEXT NOT NULL,
    content_type TEXT NOT NULL,
    display TEXT NOT NULL,
    sha2 TEXT NOT NULL,
    length INTEGER NOT NULL,
    content BLOB NOT NULL,
    PRIMARY KEY (statement_id, position)
);
CREATE TABLE IF NOT EXISTS lrs_capabilities (
    endpoint TEXT PRIMARY KEY,
    multipart INTEGER NOT NULL,
    learned_at TEXT NOT NULL,
    evidence TEXT NOT NULL
);
"""


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


@dataclass(frozen=True)
class Attachment:
    """Raw content of an xAPI attachment, sent as a ``multipart/mixed`` part."""

    usage_type: str
    content_type: str
    content: bytes
    display: dict[str, str] = field(default_factory=lambda: {"fr-CA": "Pièce jointe"})

    @property
    def sha2(self) -> str:
        """SHA-256 hex digest of the content (``X-Experience-API-Hash``)."""
        return hashlib.sha256(self.content).hexdigest()

    @property
    def length(self) -> int:
        """Length of the content in octets."""
        return len(self.content)

    def metadata(self) -> dict[str, Any]:
        """The statement's ``attachments`` entry for this content."""
        return {
            "usageType": self.usage_type,
            "display": dict(self.display),
            "contentType": self.content_type,
            "length": self.length,
            "sha2": self.sha2,
        }


@dataclass(frozen=True)
class PendingStatement:
    """A statement waiting to be sent, as read back from the outbox."""

    id: str
    body: str
    attachments: tuple[Attachment, ...] = ()


@dataclass(frozen=True)
class LrsCapability:
    """What one LRS (``endpoint``, without credentials) was seen to accept, and when."""

    endpoint: str
    multipart: bool
    """True: it stored a ``multipart/mixed`` request; False: it refused to read one."""
    learned_at: str
    """UTC ISO 8601 time of the answer this was learned from."""
    evidence: str
    """The LRS's answer it was learned from (e.g. ``HTTP 400 : Invalid JSON body``)."""


def canonical_json(statement: dict[str, Any]) -> str:
    """The stored form of a statement: compact JSON, UTF-8, keys in insertion order."""
    return json.dumps(statement, ensure_ascii=False, separators=(",", ":"))


class Outbox:
    """The SQLite outbox at ``path`` (created if needed, WAL journal)."""

    def __init__(self, path: Path | str, *, busy_timeout: float = 60.0) -> None:
        self.path = Path(path)
        # FULL: a committed add survives power loss, not only a killed process.
        conn = localdb.connect(self.path, busy_timeout=busy_timeout, check_same_thread=False)
        self.conn = conn
        self._lock = threading.RLock()
        with localdb.translated(self.path):
            for statement in SCHEMA.strip().split(";\n"):
                if statement.strip():
                    self.conn.execute(statement)

    # --- transactions ------------------------------------------------------------------

    @contextlib.contextmanager
    def _tx(self, *, durable: bool = True) -> Iterator[sqlite3.Connection]:
        """A write transaction taken at once (BEGIN IMMEDIATE): no lock-upgrade deadlocks.

        ``durable=False`` (status updates by the sender) skips the fsync of the commit: losing
        a "sent" mark on power loss only means a harmless resend of the same ids.
        """
        with self._lock:
            conn = self.conn
            conn.execute(f"PRAGMA synchronous = {'FULL' if durable else 'NORMAL'}")
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            else:
                conn.execute("COMMIT")

    def close(self) -> None:
        """Close the database connection."""
        self.conn.close()

    def __enter__(self) -> Outbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- writing -----------------------------------------------------------------------

    def add(self, statement: dict[str, Any], attachments: Sequence[Attachment] = ()) -> str:
        """Store a statement (and its attachments) durably; return its id.

        A missing ``id`` gets a new UUID. Adding the same statement twice is harmless;
        the same id with other content raises :class:`OutboxError`.
        """
        return self.add_many([(statement, attachments)])[0]

    def add_many(
        self,
        items: Sequence[tuple[dict[str, Any], Sequence[Attachment]]] | Sequence[dict[str, Any]],
    ) -> list[str]:
        """Store several statements in one transaction; return their ids."""
        prepared: list[tuple[str, str, Sequence[Attachment]]] = []
        for item in items:
            statement, attachments = item if isinstance(item, tuple) else (item, ())
            prepared.append(self._prepare(statement, attachments))
        created = _now()
        with self._tx() as conn:
            for sid, body, attachments in prepared:
                try:
                    conn.execute(
                        "INSERT INTO statements (id, body, has_attachments, created_at) VALUES (?, ?, ?, ?)",
                        (sid, body, 1 if attachments else 0, created),
                    )
                except sqlite3.IntegrityError:
                    row = conn.execute("SELECT body FROM statements WHERE id = ?", (sid,)).fetchone()
                    if row is None or json.loads(row[0]) != json.loads(body):
                        raise OutboxError(f"Un autre énoncé porte déjà l'identifiant {sid}.") from None
                    continue
                conn.executemany(
                    "INSERT INTO attachments (statement_id, position, usage_type, content_type,"
                    " display, sha2, length, content) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    [
                        (
                            sid,
                            i,
                            a.usage_type,
                            a.content_type,
                            json.dumps(a.display),
                            a.sha2,
                            a.length,
                            a.content,
                        )
                        for i, a in enumerate(attachments)
                    ],
                )
        return [sid for sid, _, _ in prepared]

    @staticmethod
    def _prepare(
        statement: dict[str, Any], attachments: Sequence[Attachment]
    ) -> tuple[str, str, Sequence[Attachment]]:
        statement = dict(statement)
        try:
            sid = str(uuid.UUID(str(statement.get("id") or uuid.uuid4())))
        except ValueError:
            raise OutboxError("L'identifiant de l'énoncé n'est pas un UUID.") from None
        statement["id"] = sid
        if attachments:
            entries = list(statement.get("attachments") or [])
            known = {e.get("sha2") for e in entries}
            entries += [a.metadata() for a in attachments if a.sha2 not in known]
            statement["attachments"] = entries
        return sid, canonical_json(statement), tuple(attachments)

    # --- reading -----------------------------------------------------------------------

    def next_batch(self, limit: int) -> list[PendingStatement]:
        """The oldest pending statements, at most ``limit``."""
        with self._lock:
            rows = self.conn.execute(
                "SELECT id, body, has_attachments FROM statements WHERE status = 'pending'"
                " ORDER BY seq LIMIT ?",
                (limit,),
            ).fetchall()
            return [
                PendingStatement(sid, body, self._attachments(sid) if has else ()) for sid, body, has in rows
            ]

    def _attachments(self, sid: str) -> tuple[Attachment, ...]:
        rows = self.conn.execute(
            "SELECT usage_type, content_type, content, display FROM attachments"
            " WHERE statement_id = ? ORDER BY position",
            (sid,),
        ).fetchall()
        return tuple(Attachment(u, c, bytes(b), json.loads(d)) for u, c, b, d in rows)

    def get(self, statement_id: str) -> dict[str, Any] | None:
        """The stored row of one statement (body parsed), or None."""
        with self._lock:
            rows = list(localdb.query(self.conn, "SELECT * FROM statements WHERE id = ?", [statement_id]))
        if not rows:
            return None
        row = rows[0]
        row["body"] = json.loads(row["body"])
        return row

    def counts(self) -> dict[str, Any]:
        """Statements per status, and the creation time of the oldest pending one."""
        with self._lock:
            result: dict[str, Any] = dict.fromkeys(STATUSES, 0)
            for status, n in self.conn.execute(
                "SELECT status, count(*) FROM statements GROUP BY status"
            ).fetchall():
                result[status] = n
            oldest = self.conn.execute(
                "SELECT min(created_at) FROM statements WHERE status = 'pending'"
            ).fetchone()[0]
        result["oldest_pending"] = oldest
        return result

    def ids(self, status: Status) -> list[str]:
        """Ids of every statement with this status, oldest first."""
        with self._lock:
            return [
                r[0]
                for r in self.conn.execute(
                    "SELECT id FROM statements WHERE status = ? ORDER BY seq", (status,)
                ).fetchall()
            ]

    def problems(self) -> list[dict[str, Any]]:
        """Quarantined and conflicting statements with the LRS's reason."""
        with self._lock:
            return list(
                localdb.query(
                    self.conn,
                    "SELECT id, status, reason, attempts, last_attempt_at, has_attachments"
                    " FROM statements WHERE status IN ('quarantined', 'conflict') ORDER BY seq",
                )
            )

    def with_attachments(self, ids: Sequence[str]) -> list[str]:
        """Those of ``ids`` whose statement travels with attachments (e.g. a signature)."""
        found: list[str] = []
        with self._lock:
            for start in range(0, len(ids), 500):
                chunk = list(ids[start : start + 500])
                marks = ",".join("?" * len(chunk))
                found += [
                    r[0]
                    for r in self.conn.execute(
                        f"SELECT id FROM statements WHERE has_attachments = 1 AND id IN ({marks})"
                        " ORDER BY seq",
                        chunk,
                    ).fetchall()
                ]
        return found

    # --- what each LRS accepts -----------------------------------------------------------

    def capability(self, endpoint: str) -> LrsCapability | None:
        """What was learned about the LRS at ``endpoint`` (None: nothing yet)."""
        with self._lock:
            row = self.conn.execute(
                "SELECT endpoint, multipart, learned_at, evidence FROM lrs_capabilities WHERE endpoint = ?",
                (endpoint,),
            ).fetchone()
        if row is None:
            return None
        return LrsCapability(row[0], bool(row[1]), row[2], row[3])

    def remember_capability(self, endpoint: str, *, multipart: bool, evidence: str) -> LrsCapability:
        """Record (or replace) what the LRS at ``endpoint`` accepts; return the record."""
        learned = LrsCapability(endpoint, multipart, _now(), evidence[:500])
        with self._tx() as conn:
            conn.execute(
                "INSERT INTO lrs_capabilities (endpoint, multipart, learned_at, evidence)"
                " VALUES (?, ?, ?, ?) ON CONFLICT (endpoint) DO UPDATE SET"
                " multipart = excluded.multipart, learned_at = excluded.learned_at,"
                " evidence = excluded.evidence",
                (learned.endpoint, 1 if multipart else 0, learned.learned_at, learned.evidence),
            )
        return learned

    def forget_capability(self, endpoint: str) -> bool:
        """Forget what was learned about ``endpoint`` (it is learned again at the next send)."""
        with self._tx() as conn:
            return conn.execute("DELETE FROM lrs_capabilities WHERE endpoint = ?", (endpoint,)).rowcount > 0

    # --- status changes (the sender) ---------------------------------------------------

    def mark_sent(self, ids: Sequence[str]) -> None:
        """The LRS accepted (or already had) these statements."""
        now = _now()
        with self._tx(durable=False) as conn:
            conn.executemany(
                "UPDATE statements SET status = 'sent', sent_at = ?, reason = NULL,"
                " attempts = attempts + 1, last_attempt_at = ? WHERE id = ?",
                [(now, now, i) for i in ids],
            )

    def quarantine(self, statement_id: str, reason: str) -> None:
        """The LRS rejected this statement's content: keep it aside with the reason."""
        self._set(statement_id, "quarantined", reason)

    def mark_conflict(self, statement_id: str, reason: str) -> None:
        """The LRS holds a different statement with this id."""
        self._set(statement_id, "conflict", reason)

    def _set(self, statement_id: str, status: Status, reason: str) -> None:
        now = _now()
        with self._tx() as conn:
            conn.execute(
                "UPDATE statements SET status = ?, reason = ?, attempts = attempts + 1,"
                " last_attempt_at = ? WHERE id = ?",
                (status, reason[:2000], now, statement_id),
            )

    def record_failure(self, ids: Sequence[str], error: str) -> None:
        """A transient failure (5xx, timeout, reset): the statements stay pending."""
        now = _now()
        with self._tx(durable=False) as conn:
            conn.executemany(
                "UPDATE statements SET attempts = attempts + 1, last_attempt_at = ?,"
                " last_error = ? WHERE id = ? AND status = 'pending'",
                [(now, error[:500], i) for i in ids],
            )

    def requeue(self, ids: Sequence[str]) -> int:
        """Put statements back to pending (after a fix, or when reconcile finds them missing)."""
        with self._tx() as conn:
            cur = conn.executemany(
                "UPDATE statements SET status = 'pending', reason = NULL WHERE id = ?",
                [(i,) for i in ids],
            )
            return cur.rowcount

    # --- the single sender -------------------------------------------------------------

    @contextlib.contextmanager
    def sender_lock(self) -> Iterator[None]:
        """Hold the outbox's sender lock (one sender at a time, across processes)."""
        lock_path = self.path.with_name(self.path.name + ".sender.lock")
        with open(lock_path, "a+b") as handle:
            try:
                import fcntl
            except ImportError:  # pragma: no cover - Windows: no cross-process lock
                yield
                return
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise SenderBusy("Un autre envoi est déjà en cours pour cette boîte d'envoi.") from None
            try:
                yield
            finally:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
