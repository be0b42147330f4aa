"""Server-side progress of each learner, so a closed tab resumes where the person was.

One SQLite file (sqlite-utils, WAL) keyed by employee number and registration (one
registration = one attempt of the quiz, as in xAPI). Only employee numbers are stored here,
never names; file names and logs carry no personal data. The same file holds the attempts
granted after a lock-out (table ``attempt_grants``, see :mod:`formation_tic.attempt_grants`).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import localdb

from .. import attempt_grants
from ..attempt_grants import Standing

State = Literal["welcome", "quiz", "passed", "failed", "signed", "closed"]

SCHEMA = """
CREATE TABLE IF NOT EXISTS attempts (
    registration TEXT PRIMARY KEY,
    employee_number TEXT NOT NULL,
    directive_version TEXT NOT NULL,
    attempt_no INTEGER NOT NULL,
    scenario_ids TEXT NOT NULL,
    answers TEXT NOT NULL DEFAULT '{}',
    state TEXT NOT NULL,
    score REAL,
    attestation_id TEXT,
    started_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS attempts_employee ON attempts (employee_number, started_at);
"""


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


@dataclass
class AttemptProgress:
    """Where one attempt stands."""

    registration: str
    employee_number: str
    directive_version: str
    attempt_no: int
    scenario_ids: list[str]
    answers: dict[str, bool] = field(default_factory=dict)
    state: State = "welcome"
    score: float | None = None
    attestation_id: str | None = None

    @property
    def position(self) -> int:
        """Index of the next scenario to answer (= number answered)."""
        return sum(1 for sid in self.scenario_ids if sid in self.answers)

    @property
    def next_scenario_id(self) -> str | None:
        """The first scenario of the draw not answered yet."""
        return next((sid for sid in self.scenario_ids if sid not in self.answers), None)

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> AttemptProgress:
        return cls(
            registration=row["registration"],
            employee_number=row["employee_number"],
            directive_version=row["directive_version"],
            attempt_no=int(row["attempt_no"]),
            scenario_ids=list(json.loads(row["scenario_ids"])),
            answers={str(k): bool(v) for k, v in json.loads(row["answers"]).items()},
            state=row["state"],
            score=row["score"],
            attestation_id=row["attestation_id"],
        )


class ProgressStore:
    """The progress file at ``path`` (created if needed)."""

    def __init__(self, path: Path, *, busy_timeout: float = 30.0) -> None:
        self.path = Path(path)
        conn = localdb.connect(
            self.path, busy_timeout=busy_timeout, synchronous="NORMAL", check_same_thread=False
        )
        self.conn = conn
        self._lock = threading.RLock()
        with localdb.translated(self.path):
            for statement in SCHEMA.strip().split(";\n"):
                if statement.strip():
                    self.conn.execute(statement)
            attempt_grants.ensure_schema(self.conn)

    def close(self) -> None:
        """Close the database connection."""
        self.conn.close()

    def __enter__(self) -> ProgressStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- reading -----------------------------------------------------------------------

    def get(self, registration: str) -> AttemptProgress | None:
        """One attempt, or None."""
        with self._lock:
            rows = list(
                localdb.query(self.conn, "SELECT * FROM attempts WHERE registration = ?", [registration])
            )
        return AttemptProgress.from_row(rows[0]) if rows else None

    def attempts(self, employee_number: str, directive_version: str | None = None) -> list[AttemptProgress]:
        """Every attempt of one person (optionally for one directive version), oldest first."""
        sql = "SELECT * FROM attempts WHERE employee_number = ?"
        params: list[str] = [employee_number]
        if directive_version is not None:
            sql += " AND directive_version = ?"
            params.append(directive_version)
        with self._lock:
            rows = list(localdb.query(self.conn, sql + " ORDER BY started_at, rowid", params))
        return [AttemptProgress.from_row(r) for r in rows]

    def latest(self, employee_number: str, directive_version: str) -> AttemptProgress | None:
        """The most recent attempt of one person for this directive version."""
        found = self.attempts(employee_number, directive_version)
        return found[-1] if found else None

    def standing(self, employee_number: str, directive_version: str, max_attempts: int) -> Standing:
        """Attempts used and granted; locked out or not (:mod:`formation_tic.attempt_grants`)."""
        with self._lock:
            return attempt_grants.standing_of(self.conn, employee_number, directive_version, max_attempts)

    # --- writing -----------------------------------------------------------------------

    def create(
        self,
        employee_number: str,
        registration: str,
        directive_version: str,
        scenario_ids: Sequence[str],
        attempt_no: int,
        state: State = "welcome",
    ) -> AttemptProgress:
        """Record a new attempt with its draw."""
        now = _now()
        with self._lock:
            self.conn.execute(
                "INSERT INTO attempts (registration, employee_number, directive_version, attempt_no,"
                " scenario_ids, state, started_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    registration,
                    employee_number,
                    directive_version,
                    attempt_no,
                    json.dumps(list(scenario_ids)),
                    state,
                    now,
                    now,
                ],
            )
        found = self.get(registration)
        assert found is not None
        return found

    def replace_failed(
        self, failed: AttemptProgress, registration: str, scenario_ids: Sequence[str]
    ) -> AttemptProgress | None:
        """Close ``failed`` and record the next attempt, in one transaction (a granted attempt).

        None, and nothing written, when ``failed`` is no longer this person's failed latest
        attempt (another page of theirs opened the granted attempt first).
        """
        now = _now()
        with self._lock:
            conn = self.conn
            conn.execute("BEGIN IMMEDIATE")
            try:
                latest = conn.execute(
                    "SELECT registration, state FROM attempts"
                    " WHERE employee_number = ? AND directive_version = ?"
                    " ORDER BY started_at DESC, rowid DESC LIMIT 1",
                    [failed.employee_number, failed.directive_version],
                ).fetchone()
                if latest != (failed.registration, "failed"):
                    conn.execute("ROLLBACK")
                    return None
                conn.execute(
                    "UPDATE attempts SET state = 'closed', updated_at = ? WHERE registration = ?",
                    [now, failed.registration],
                )
                conn.execute(
                    "INSERT INTO attempts (registration, employee_number, directive_version, attempt_no,"
                    " scenario_ids, state, started_at, updated_at) VALUES (?, ?, ?, ?, ?, 'welcome', ?, ?)",
                    [
                        registration,
                        failed.employee_number,
                        failed.directive_version,
                        failed.attempt_no + 1,
                        json.dumps(list(scenario_ids)),
                        now,
                        now,
                    ],
                )
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
        return self.get(registration)

    def record_answer(self, registration: str, scenario_id: str, correct: bool) -> AttemptProgress:
        """Store the final grade of one scenario (the first one counts; a resend is ignored)."""
        with self._lock:
            conn = self.conn
            conn.execute("BEGIN IMMEDIATE")
            try:
                row = conn.execute(
                    "SELECT answers FROM attempts WHERE registration = ?", [registration]
                ).fetchone()
                if row is None:
                    raise KeyError(registration)
                answers = json.loads(row[0])
                answers.setdefault(scenario_id, bool(correct))
                conn.execute(
                    "UPDATE attempts SET answers = ?, state = 'quiz', updated_at = ? WHERE registration = ?",
                    [json.dumps(answers), _now(), registration],
                )
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
        found = self.get(registration)
        assert found is not None
        return found

    def set_state(
        self,
        registration: str,
        state: State,
        *,
        score: float | None = None,
        attestation_id: str | None = None,
    ) -> None:
        """Move an attempt to ``state`` (score and attestation id kept unless given)."""
        with self._lock:
            self.conn.execute(
                "UPDATE attempts SET state = ?, score = COALESCE(?, score),"
                " attestation_id = COALESCE(?, attestation_id), updated_at = ? WHERE registration = ?",
                [state, score, attestation_id, _now(), registration],
            )
