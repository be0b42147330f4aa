"""The attestation register: roster + verified attestations + pulled statements.

:func:`build_register` attaches the attestation store and the statements database
read-only to the roster database, fills a few temporary tables and runs the set-based
query of :mod:`formation_tic.hr.status_sql`. Attestations are trusted only after
:func:`attest.verify.verify_store`: records it flags are ignored (and counted in
``Register.anomalies``). Verification is the slow part (one RSA check per record), so the
verified values the register needs are copied into ``verified_attestations`` of the roster
database, and later reports verify only the records appended since (see
:func:`sync_verified`; ``reverify=True`` verifies everything again).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import sqlite3
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, NamedTuple

from cryptography.hazmat.primitives.asymmetric import rsa
from pydantic import BaseModel, ConfigDict, Field, SkipValidation

from attest.directive import DirectiveInfo
from attest.form import FormContent
from attest.identity import is_valid_employee_number
from attest.record import AttestationRecord
from attest.status import directive_history, renewal_reasons
from attest.store import TABLE as ATTESTATION_TABLE
from attest.verify import Anchor, Finding, verify_rows, verify_store
from lrs_export import vocabulary as V

from . import status_sql as S
from .db import attach_readonly, connect_hr, has_table
from .errors import HrError
from .roster import ensure_schema

STATEMENTS_TABLE = "lrs_statements"

VERIFIED_SCHEMA = """
CREATE TABLE IF NOT EXISTS verified_attestations (
  seq INTEGER PRIMARY KEY,
  id TEXT NOT NULL,
  kind TEXT NOT NULL,
  employee_number TEXT NOT NULL,
  form_id TEXT NOT NULL,
  form_version TEXT NOT NULL,
  directive_version TEXT NOT NULL,
  directive_version_minor INTEGER NOT NULL,
  signed_at TEXT NOT NULL,
  verification_code TEXT NOT NULL,
  revokes TEXT,
  bad INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS verification_state (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  store_key TEXT NOT NULL,
  verified_at TEXT NOT NULL,
  last_seq INTEGER NOT NULL,
  last_hash TEXT NOT NULL,
  findings TEXT NOT NULL
);
"""

SNAPSHOT_COLUMNS = (
    "seq",
    "id",
    "kind",
    "employee_number",
    "form_id",
    "form_version",
    "directive_version",
    "directive_version_minor",
    "signed_at",
    "verification_code",
    "revokes",
)
"""The store columns the register needs, copied once verified into ``verified_attestations``."""


class RegisterFilters(BaseModel):
    """Who is in the register: direction, service, a manager's subtree, dates."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    direction: str | None = None
    service: str | None = None
    manager: str | None = Field(
        default=None, description="Employee number: the people under them, recursively."
    )
    as_of: dt.date | None = Field(default=None, description="State on this date (None: today).")
    hired_from: dt.date | None = None
    hired_to: dt.date | None = None


class RegisterRules(BaseModel):
    """The rules' parameters: lateness threshold, current directive, form versions."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    late_after_days: int = Field(default=30, ge=0)
    directive: DirectiveInfo
    forms: list[FormContent]


class RegisterSources(BaseModel):
    """The three SQLite files the register reads."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    roster_db: Path
    attestations_db: Path | None = None
    statements_db: Path | None = None


class RegisterRow(NamedTuple):
    """One person of the register (names only for HR outputs, never for logs)."""

    employee_number: str
    last_name: str
    first_name: str
    job_title: str | None
    direction: str | None
    service: str | None
    manager_number: str | None
    manager_last_name: str | None
    manager_first_name: str | None
    hire_date: str | None
    email: str | None
    status: str
    activity: str
    form_version: str | None
    directive_version: str | None
    signed_at: str | None
    verification_code: str | None
    renewal_reason: str | None
    last_activity: str | None
    days_late: int | None


class Register(BaseModel):
    """The register for one set of filters, and what the report must say about its sources."""

    model_config = ConfigDict(extra="forbid", arbitrary_types_allowed=True)

    rows: SkipValidation[list[RegisterRow]]
    filters: RegisterFilters
    as_of: dt.date
    late_after_days: int
    anomalies: list[str] = Field(default_factory=list, description="Store findings (no names).")
    notes: list[str] = Field(default_factory=list)

    def counts(self) -> dict[str, int]:
        """People per status, every status present (rule order)."""
        found = Counter(r.status for r in self.rows)
        return {code: found.get(code, 0) for code in S.STATUSES}


# --- verification ------------------------------------------------------------------------------


def _open_store_ro(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(Path(path).resolve().as_uri() + "?mode=ro", uri=True)
    try:
        conn.execute(f"SELECT 1 FROM {ATTESTATION_TABLE} LIMIT 1")
    except sqlite3.DatabaseError as exc:
        conn.close()
        raise HrError(f"{path} n'est pas un registre d'attestations lisible ({exc}).") from exc
    return conn


def _suffix_findings(
    conn: sqlite3.Connection, last_seq: int, last_hash: str, public_keys: Mapping[str, rsa.RSAPublicKey]
) -> list[Finding]:
    """Verify the records after ``last_seq`` (with record ``last_seq`` for the chain).

    The records up to ``last_seq`` were verified before, so "removed" findings before it are
    dropped, and so are revocation findings whose target is an attestation verified before
    and not revoked earlier.
    """
    cur = conn.execute(f"SELECT * FROM {ATTESTATION_TABLE} WHERE seq >= ? ORDER BY seq", (last_seq,))
    names = [d[0] for d in cur.description]
    rows = [dict(zip(names, r, strict=True)) for r in cur]
    report = verify_rows(rows, public_keys, [Anchor(last_seq, last_hash)])
    by_id = {r["id"]: r for r in rows}
    kept: list[Finding] = []
    for finding in report.findings:
        if finding.problem == "removed" and finding.seq is not None and finding.seq < last_seq:
            continue
        if finding.problem == "revocation" and finding.record_id in by_id:
            row = by_id[finding.record_id]
            target_ok = conn.execute(
                f"SELECT 1 FROM {ATTESTATION_TABLE} t WHERE t.id = ? AND t.kind = 'attestation' "
                f"AND t.seq < ? AND NOT EXISTS (SELECT 1 FROM {ATTESTATION_TABLE} o "
                "WHERE o.kind = 'revocation' AND o.revokes = t.id AND o.seq < ?)",
                (row["revokes"], last_seq, row["seq"]),
            ).fetchone()
            if target_ok and row["seq"] != last_seq:
                continue
        kept.append(finding)
    return kept


def _copy_rows(conn: sqlite3.Connection, store: sqlite3.Connection, after: int, bad: set[str]) -> None:
    cur = store.execute(
        f"SELECT {', '.join(SNAPSHOT_COLUMNS)} FROM {ATTESTATION_TABLE} WHERE seq > ? ORDER BY seq", (after,)
    )
    marks = ", ".join("?" for _ in SNAPSHOT_COLUMNS)
    while batch := cur.fetchmany(20_000):
        conn.executemany(
            f"INSERT OR REPLACE INTO verified_attestations VALUES ({marks}, ?)",
            [(*row, int(row[1] in bad)) for row in batch],
        )


def sync_verified(
    conn: sqlite3.Connection,
    store_path: Path,
    public_keys: Mapping[str, rsa.RSAPublicKey],
    *,
    reverify: bool = False,
    progress: Callable[[str], None] | None = None,
) -> list[str]:
    """Bring ``verified_attestations`` (in the roster database) up to date; the findings.

    The first time, and with ``reverify=True``, or when the store is not the one verified
    before (another file, other keys, or its last verified record changed), the whole store
    is verified (:func:`attest.verify.verify_store`) and copied. Otherwise only the records
    appended since are verified (the store is append-only and chained) and copied. The
    register then reads only verified values; records that fail are kept, marked ``bad``,
    and ignored. A full audit of the store as evidence stays ``formation-tic attest verify``.
    """
    conn.executescript(VERIFIED_SCHEMA)
    store_key = hashlib.sha256(
        (str(Path(store_path).resolve()) + "|" + ",".join(sorted(public_keys))).encode()
    ).hexdigest()
    state = conn.execute(
        "SELECT store_key, last_seq, last_hash, findings FROM verification_state WHERE id = 1"
    ).fetchone()
    store = _open_store_ro(store_path)
    try:
        high, count = store.execute(f"SELECT max(seq), count(*) FROM {ATTESTATION_TABLE}").fetchone()
        incremental = False
        if state is not None and not reverify and state[0] == store_key and count and state[1] <= high:
            head = store.execute(
                f"SELECT record_hash FROM {ATTESTATION_TABLE} WHERE seq = ?", (state[1],)
            ).fetchone()
            incremental = head is not None and head[0] == state[2]
        conn.execute("BEGIN IMMEDIATE")
        try:
            if incremental and state is not None:
                findings: list[str] = list(json.loads(state[3]))
                last_seq = state[1]
                if high > last_seq:
                    if progress is not None:
                        progress(
                            f"Vérification des {high - last_seq} nouvel(s) enregistrement(s) du registre…"
                        )
                    new = _suffix_findings(store, last_seq, state[2], public_keys)
                    findings += [str(f) for f in new]
                    bad = {f.record_id for f in new if f.record_id}
                    _copy_rows(conn, store, last_seq, bad)
                    if state[1] in {f.seq for f in new}:
                        conn.execute("UPDATE verified_attestations SET bad = 1 WHERE seq = ?", (state[1],))
            else:
                if progress is not None:
                    progress(f"Vérification complète du registre des attestations ({count} enregistrements)…")
                report = verify_store(store_path, public_keys)
                findings = [str(f) for f in report.findings]
                conn.execute("DELETE FROM verified_attestations")
                _copy_rows(conn, store, 0, report.failing_ids())
            head_hash = ""
            if count:
                (head_hash,) = store.execute(
                    f"SELECT record_hash FROM {ATTESTATION_TABLE} WHERE seq = ?", (high,)
                ).fetchone()
            conn.execute(
                "INSERT OR REPLACE INTO verification_state VALUES (1, ?, ?, ?, ?, ?)",
                (
                    store_key,
                    dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                    high or 0,
                    head_hash,
                    json.dumps(findings, ensure_ascii=False),
                ),
            )
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
    finally:
        store.close()
    return findings


def verified_directive_versions(conn: sqlite3.Connection) -> list[tuple[str, bool]]:
    """:meth:`attest.store.AttestationStore.directive_versions` on the verified copy."""
    sql = (
        "SELECT directive_version, directive_version_minor, MIN(seq) FROM verified_attestations "
        "GROUP BY directive_version ORDER BY MIN(seq)"
    )
    return [(v, bool(m)) for v, m, _ in conn.execute(sql).fetchall()]


# --- renewal table -----------------------------------------------------------------------------


def renewal_table(
    signed_versions: Sequence[tuple[str, str, str]],
    forms: Sequence[FormContent],
    history: Sequence[tuple[str, bool]],
) -> list[tuple[str, str, str, str]]:
    """(form_id, form_version, directive_version, reason) for each signed combination that
    must be renewed, using the single-person rule :func:`attest.status.renewal_reasons`."""
    out: list[tuple[str, str, str, str]] = []
    for form_id, form_version, directive_version in signed_versions:
        probe = AttestationRecord.model_construct(
            form_id=form_id, form_version=form_version, directive_version=directive_version
        )
        reasons = renewal_reasons(probe, forms, history)
        if reasons:
            out.append((form_id, form_version, directive_version, " ".join(reasons)))
    return out


# --- the register ------------------------------------------------------------------------------


def _conditions(filters: RegisterFilters, params: dict[str, Any]) -> list[str]:
    where: list[str] = []
    if filters.direction:
        where.append("r.direction = :direction")
        params["direction"] = filters.direction
    if filters.service:
        where.append("r.service = :service")
        params["service"] = filters.service
    if filters.manager:
        where.append("r.employee_number IN (SELECT employee_number FROM temp.scope)")
    if filters.hired_from:
        where.append("r.hire_date >= :hired_from")
        params["hired_from"] = filters.hired_from.isoformat()
    if filters.hired_to:
        where.append("r.hire_date <= :hired_to")
        params["hired_to"] = filters.hired_to.isoformat()
    return where


def prepare(
    conn: sqlite3.Connection,
    sources: RegisterSources,
    rules: RegisterRules,
    filters: RegisterFilters,
    public_keys: Mapping[str, rsa.RSAPublicKey],
    *,
    as_of: dt.date,
    reverify: bool = False,
    progress: Callable[[str], None] | None = None,
) -> tuple[list[str], list[str]]:
    """Attach the sources and fill the temporary tables; (anomalies, notes)."""
    anomalies: list[str] = []
    notes: list[str] = []
    conn.executescript(S.TEMP_TABLES)
    for table in ("renewal", "att_latest", "activity", "scope"):
        conn.execute(f"DELETE FROM temp.{table}")
    until = (as_of + dt.timedelta(days=1)).isoformat()

    store = sources.attestations_db
    if store is not None and store.exists():
        anomalies = sync_verified(conn, store, public_keys, reverify=reverify, progress=progress)
        history = directive_history(verified_directive_versions(conn), rules.directive)
        conn.execute(S.LATEST_ATTESTATIONS, {"until": until})
        signed = conn.execute(
            "SELECT DISTINCT form_id, form_version, directive_version FROM temp.att_latest"
        ).fetchall()
        conn.executemany(
            "INSERT INTO temp.renewal VALUES (?, ?, ?, ?)", renewal_table(signed, rules.forms, history)
        )
    else:
        notes.append("Aucun registre d'attestations trouvé : personne n'est compté comme attesté.")

    statements = sources.statements_db
    attached = False
    if statements is not None and statements.exists():
        attach_readonly(conn, statements, "st")
        attached = True
    if attached and has_table(conn, "st", STATEMENTS_TABLE):
        conn.execute(
            S.ACTIVITY,
            {
                "until": until,
                "passed": V.VERBS["passed"][0],
                "failed": V.VERBS["failed"][0],
                "module": V.MODULE,
                "base": V.BASE,
                "base_end": V.BASE + "\uffff",
            },
        )
    else:
        notes.append(
            "Aucun énoncé importé du LRS (« formation-tic lrs pull ») : les statuts « en cours » "
            "et « échec » ne peuvent pas être établis."
        )

    if filters.manager:
        conn.execute(S.SCOPE_MANAGER, {"manager": filters.manager})
    return anomalies, notes


def build_register(
    sources: RegisterSources,
    rules: RegisterRules,
    filters: RegisterFilters,
    public_keys: Mapping[str, rsa.RSAPublicKey],
    *,
    reverify: bool = False,
    progress: Callable[[str], None] | None = None,
) -> Register:
    """Compute the status of every active person matching ``filters``."""
    if filters.manager is not None and not is_valid_employee_number(filters.manager):
        raise HrError("Matricule du gestionnaire invalide.")
    as_of = filters.as_of or dt.date.today()
    conn = connect_hr(sources.roster_db, create=False)
    try:
        ensure_schema(conn)
        conn.executescript(VERIFIED_SCHEMA)
        anomalies, notes = prepare(
            conn, sources, rules, filters, public_keys, as_of=as_of, reverify=reverify, progress=progress
        )
        params: dict[str, Any] = {"as_of": as_of.isoformat(), "late_days": rules.late_after_days}
        where = _conditions(filters, params)
        sql = S.REGISTER + "".join(f"  AND {w}\n" for w in where) + "ORDER BY r.employee_number"
        rows = list(map(RegisterRow._make, conn.execute(sql, params)))
    except sqlite3.DatabaseError as exc:
        raise HrError(f"Lecture des données impossible : {exc}") from exc
    finally:
        conn.close()
    if filters.manager and not rows:
        notes.append("Aucune personne active ne relève de ce gestionnaire.")
    return Register(
        rows=rows,
        filters=filters,
        as_of=as_of,
        late_after_days=rules.late_after_days,
        anomalies=anomalies,
        notes=notes,
    )


def distinct_values(roster_db: Path, column: str, *, direction: str | None = None) -> list[str]:
    """Directions or services of active people (for the filters of the dashboard)."""
    if column not in ("direction", "service"):
        raise ValueError(column)
    conn = connect_hr(roster_db, create=False)
    try:
        sql = f"SELECT DISTINCT {column} FROM roster WHERE status = 'active' AND {column} IS NOT NULL"
        args: tuple[str, ...] = ()
        if direction and column == "service":
            sql += " AND direction = ?"
            args = (direction,)
        return [r[0] for r in conn.execute(sql + f" ORDER BY {column}", args)]
    finally:
        conn.close()


def members(roster_db: Path, filters: RegisterFilters) -> list[str]:
    """Employee numbers of the active people matching ``filters`` (no statuses computed)."""
    if filters.manager is not None and not is_valid_employee_number(filters.manager):
        raise HrError("Matricule du gestionnaire invalide.")
    as_of = filters.as_of or dt.date.today()
    conn = connect_hr(roster_db, create=False)
    try:
        ensure_schema(conn)
        conn.executescript(S.TEMP_TABLES)
        if filters.manager:
            conn.execute(S.SCOPE_MANAGER, {"manager": filters.manager})
        params: dict[str, Any] = {"as_of": as_of.isoformat()}
        where = ["(r.status = 'active' OR r.left_on > :as_of)", *_conditions(filters, params)]
        sql = "SELECT r.employee_number FROM roster r WHERE " + " AND ".join(where)
        return [n for (n,) in conn.execute(sql, params)]
    finally:
        conn.close()
