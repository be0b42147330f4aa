"""One more quiz attempt for a locked-out learner: the grants ledger and the rule of « locked out ».

A person has ``max_attempts`` attempts (setting ``app.max_attempts``) per directive version.
Once the last one fails, nothing more can happen on the learner's page until their manager
or HR grants one more attempt (``formation-tic attempts grant``). Each grant opens exactly
one attempt; a person who fails it is locked out again and needs another grant.

The one definition, read by the learner app (:mod:`formation_tic.app.flow`) and by the HR
register (:mod:`formation_tic.hr.register`) alike, is :class:`Standing`: attempts used,
grants received and the state of the latest attempt, for one person and one directive
version, read by :func:`standings` from the same file (the learner app's progress file,
``DataPaths.progress``). ``allowed = max_attempts + grants``; *locked out* = the latest
attempt failed and no allowed attempt is left.

The grants are kept in table ``attempt_grants`` of that file, next to the progress store's
``attempts`` table: who granted (an employee number), when (UTC), why (free text, kept
here only: it may hold personal or health information and never goes to the LRS, to logs
or to file names), for whom and which directive version, and the number of attempts allowed
after it. Nothing here touches the network or reads the environment.
"""

from __future__ import annotations

import sqlite3
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final

from attest.identity import EMPLOYEE_NUMBER_HELP, is_valid_employee_number

REASON_MAX: Final = 500
"""Longest reason accepted (characters)."""

ATTEMPTS_TABLE: Final = "attempts"
"""The progress store's table of attempts (:mod:`formation_tic.app.progress`)."""

SCHEMA: Final = """
CREATE TABLE IF NOT EXISTS attempt_grants (
    grant_id TEXT PRIMARY KEY,
    employee_number TEXT NOT NULL,
    directive_version TEXT NOT NULL,
    granted_by TEXT NOT NULL,
    granted_at TEXT NOT NULL,
    reason TEXT NOT NULL,
    allowed_after INTEGER NOT NULL,
    statement_id TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS attempt_grants_employee ON attempt_grants (employee_number, directive_version)
"""


class GrantError(ValueError):
    """A grant refused; the message is French, written for the person who asked."""


@dataclass(frozen=True)
class Standing:
    """Where one person stands with their attempts, for one directive version."""

    employee_number: str
    directive_version: str
    used: int
    """Attempts started."""
    granted: int
    """Attempts granted beyond ``max_attempts``."""
    last_state: str | None
    """State of the latest attempt (see :data:`formation_tic.app.progress.State`); None: none."""
    max_attempts: int

    @property
    def allowed(self) -> int:
        """Attempts allowed: the setting plus one per grant."""
        return self.max_attempts + self.granted

    @property
    def left(self) -> int:
        """Attempts still allowed (0 or less: none)."""
        return self.allowed - self.used

    @property
    def locked_out(self) -> bool:
        """The latest attempt failed and no attempt is left: only a grant opens another."""
        return self.last_state == "failed" and self.left <= 0

    @property
    def grant_waiting(self) -> bool:
        """A granted attempt is waiting: every regular attempt used, one still allowed."""
        return self.used >= self.max_attempts and self.left > 0


@dataclass(frozen=True)
class Grant:
    """One attempt granted (the reason stays in this file)."""

    grant_id: str
    employee_number: str
    directive_version: str
    granted_by: str
    granted_at: datetime
    reason: str
    allowed_after: int
    """Attempts allowed to the person for this version once granted."""
    statement_id: str
    """Id of the xAPI statement that reports the grant (without its reason)."""


def ensure_schema(conn: sqlite3.Connection) -> None:
    """Create the grants table if needed (the progress store does it when it opens)."""
    for statement in SCHEMA.strip().split(";\n"):
        conn.execute(statement)


def _has_table(conn: sqlite3.Connection, name: str) -> bool:
    row = conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", [name]).fetchone()
    return row is not None


def standings(
    conn: sqlite3.Connection,
    directive_version: str,
    max_attempts: int,
    employee_number: str | None = None,
) -> list[Standing]:
    """Every person with an attempt for ``directive_version`` (or only ``employee_number``).

    A file without the progress or grants tables has no attempt or no grant.
    """
    if not _has_table(conn, ATTEMPTS_TABLE):
        return []
    granted = (
        "(SELECT count(*) FROM attempt_grants g WHERE g.employee_number = a.employee_number"
        " AND g.directive_version = a.directive_version)"
        if _has_table(conn, "attempt_grants")
        else "0"
    )
    sql = (
        f"SELECT a.employee_number, count(*), {granted},"
        f" (SELECT b.state FROM {ATTEMPTS_TABLE} b WHERE b.employee_number = a.employee_number"
        "   AND b.directive_version = a.directive_version ORDER BY b.started_at DESC, b.rowid DESC LIMIT 1)"
        f" FROM {ATTEMPTS_TABLE} a WHERE a.directive_version = ?"
    )
    params = [directive_version]
    if employee_number is not None:
        sql += " AND a.employee_number = ?"
        params.append(employee_number)
    rows = conn.execute(sql + " GROUP BY a.employee_number ORDER BY a.employee_number", params).fetchall()
    return [
        Standing(number, directive_version, used, got, last, max_attempts) for number, used, got, last in rows
    ]


def standing_of(
    conn: sqlite3.Connection, employee_number: str, directive_version: str, max_attempts: int
) -> Standing:
    """One person's standing (no attempt yet: zero used)."""
    found = standings(conn, directive_version, max_attempts, employee_number)
    return found[0] if found else Standing(employee_number, directive_version, 0, 0, None, max_attempts)


def grants(
    conn: sqlite3.Connection, directive_version: str | None = None, employee_number: str | None = None
) -> list[Grant]:
    """The grants recorded, oldest first (optionally for one version, one person)."""
    if not _has_table(conn, "attempt_grants"):
        return []
    sql = (
        "SELECT grant_id, employee_number, directive_version, granted_by, granted_at, reason,"
        " allowed_after, statement_id FROM attempt_grants WHERE 1 = 1"
    )
    params: list[str] = []
    if directive_version is not None:
        sql += " AND directive_version = ?"
        params.append(directive_version)
    if employee_number is not None:
        sql += " AND employee_number = ?"
        params.append(employee_number)
    rows = conn.execute(sql + " ORDER BY granted_at, rowid", params).fetchall()
    return [
        Grant(gid, number, version, by, datetime.fromisoformat(at), reason, allowed, sid)
        for gid, number, version, by, at, reason, allowed, sid in rows
    ]


def check_request(employee_number: str, granted_by: str, reason: str) -> tuple[str, str, str]:
    """The request's values, cleaned; raises :class:`GrantError` (French) when one is invalid."""
    employee, by, why = employee_number.strip(), granted_by.strip(), " ".join(reason.split())
    if not is_valid_employee_number(employee):
        raise GrantError(f"Numéro d'employé de la personne invalide. {EMPLOYEE_NUMBER_HELP}")
    if not is_valid_employee_number(by):
        raise GrantError(
            f"--by doit être votre propre numéro d'employé (gestionnaire ou RH). {EMPLOYEE_NUMBER_HELP}"
        )
    if by == employee:
        raise GrantError("Une personne ne peut pas s'accorder un essai à elle-même.")
    if not why:
        raise GrantError("Indiquez la raison de l'essai supplémentaire (--reason).")
    if len(why) > REASON_MAX:
        raise GrantError(f"La raison est trop longue ({len(why)} caractères ; au plus {REASON_MAX}).")
    return employee, by, why


def _refusal(standing: Standing) -> str:
    """Why ``standing`` (not locked out) gets no grant, in French."""
    who = standing.employee_number
    if standing.used == 0:
        return f"La personne {who} n'a encore fait aucun essai du questionnaire pour cette version."
    if standing.last_state in ("passed", "signed"):
        return f"La personne {who} a déjà réussi le questionnaire : un essai de plus est inutile."
    if standing.left > 0:
        plural = "s" if standing.left > 1 else ""
        return (
            f"La personne {who} n'a pas épuisé ses essais : il lui reste {standing.left} essai{plural}. "
            "Un essai supplémentaire s'accorde seulement après l'échec du dernier essai permis."
        )
    return f"La personne {who} a un questionnaire en cours : attendez son résultat."


def record_grant(
    conn: sqlite3.Connection,
    *,
    employee_number: str,
    directive_version: str,
    granted_by: str,
    reason: str,
    max_attempts: int,
    now: datetime | None = None,
) -> Grant:
    """Record one more attempt for a locked-out person; raises :class:`GrantError` otherwise.

    The check and the write are one transaction: two grants run at once open one attempt.
    """
    employee, by, why = check_request(employee_number, granted_by, reason)
    when = (now or datetime.now(UTC)).astimezone(UTC)
    if when.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    conn.execute("BEGIN IMMEDIATE")
    try:
        ensure_schema(conn)
        standing = standing_of(conn, employee, directive_version, max_attempts)
        if not standing.locked_out:
            raise GrantError(_refusal(standing))
        grant = Grant(
            grant_id=str(uuid.uuid4()),
            employee_number=employee,
            directive_version=directive_version,
            granted_by=by,
            granted_at=when,
            reason=why,
            allowed_after=standing.allowed + 1,
            statement_id=str(uuid.uuid4()),
        )
        conn.execute(
            "INSERT INTO attempt_grants (grant_id, employee_number, directive_version, granted_by,"
            " granted_at, reason, allowed_after, statement_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                grant.grant_id,
                employee,
                directive_version,
                by,
                when.isoformat(timespec="microseconds"),
                why,
                grant.allowed_after,
                grant.statement_id,
            ],
        )
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return grant
