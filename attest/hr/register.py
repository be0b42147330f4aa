"""The attestation register: roster + verified attestations + pulled statements.

:func:`build_register` attaches the attestation store and the statements database
read-only to the roster database, fills a few temporary tables and runs the set-based
query of :mod:`attest.hr.status_sql`. Attestations are trusted only after
:func:`attest.verify.verify_store`: records it flags are ignored (and counted in
``Register.anomalies``). Verification is the slow part (one RSA check per record): its
result is kept in the roster database with a SHA-256 of the store columns the register
reads, so a later report verifies only the records appended since, and verifies
everything again as soon as one of those values changed (see :func:`verified_bad_ids`).
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
from pydantic import BaseModel, ConfigDict, Field

from lrs_export import vocabulary as V

from ..directive import DirectiveInfo
from ..form import FormContent
from ..identity import is_valid_employee_number
from ..record import AttestationRecord
from ..status import directive_history, renewal_reasons
from ..store import TABLE as ATTESTATION_TABLE
from ..store import AttestationStore
from ..verify import Anchor, Finding, verify_rows, verify_store
from . import status_sql as S
from .db import attach_readonly, connect_hr, has_table
from .errors import HrError
from .roster import ensure_schema

STATEMENTS_TABLE = "lrs_statements"

VERIFICATION_CACHE = """
CREATE TABLE IF NOT EXISTS store_verification_state (
  store_key TEXT PRIMARY KEY,
  verified_at TEXT NOT NULL,
  last_seq INTEGER NOT NULL,
  last_hash TEXT NOT NULL,
  digest TEXT NOT NULL,
  bad_ids TEXT NOT NULL,
  findings TEXT NOT NULL
)
"""

READ_COLUMNS = (
    "seq",
    "id",
    "kind",
    "employee_number",
    "form_id",
    "form_version",
    "directive_version",
    "signed_at",
    "verification_code",
    "revokes",
    "record_hash",
)
"""The store columns the register reads: the verification cache is bound to their values."""


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

    rows: list[RegisterRow]
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
    return sqlite3.connect(Path(path).resolve().as_uri() + "?mode=ro", uri=True)


def _digest_rows(conn: sqlite3.Connection, digest: Any, first: int, last: int) -> None:
    """Feed ``digest`` with the read columns of records ``first..last`` (any chunking gives
    the same digest: each record ends with a record separator)."""
    expr = " || char(31) || ".join(f"quote({c})" for c in READ_COLUMNS)
    for start in range(first, last + 1, 20_000):
        (chunk,) = conn.execute(
            f"SELECT group_concat({expr} || char(30), '') FROM (SELECT * FROM {ATTESTATION_TABLE} "
            "WHERE seq >= ? AND seq <= ? ORDER BY seq)",
            (start, min(start + 19_999, last)),
        ).fetchone()
        digest.update((chunk or "").encode("utf-8", "surrogatepass"))


def store_fingerprint(path: Path) -> tuple[str, int]:
    """SHA-256 over the columns the register reads, every record in ``seq`` order; count."""
    conn = _open_store_ro(path)
    try:
        low, high, count = conn.execute(
            f"SELECT min(seq), max(seq), count(*) FROM {ATTESTATION_TABLE}"
        ).fetchone()
        digest = hashlib.sha256()
        if count:
            _digest_rows(conn, digest, low, high)
        return digest.hexdigest(), int(count)
    finally:
        conn.close()


def _suffix_findings(
    conn: sqlite3.Connection, last_seq: int, last_hash: str, public_keys: Mapping[str, rsa.RSAPublicKey]
) -> list[Finding]:
    """Verify the records after ``last_seq`` (with record ``last_seq`` for the chain).

    The prefix is known intact, so "removed" findings before ``last_seq`` are dropped, and
    so are revocation findings whose target is an attestation of the prefix not revoked
    before.
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


def verified_bad_ids(
    conn: sqlite3.Connection,
    store_path: Path,
    public_keys: Mapping[str, rsa.RSAPublicKey],
    progress: Callable[[str], None] | None = None,
) -> tuple[set[str], list[str]]:
    """Ids of records that fail verification, and the findings (French, no names).

    The result is kept in ``store_verification_state`` of the roster database with the
    SHA-256 of the columns the register reads: when they are unchanged for the records
    already verified, only the records appended since are verified (the store is
    append-only and chained); when any of them changed, the whole store is verified again.
    """
    conn.execute(VERIFICATION_CACHE)
    store_key = hashlib.sha256(
        (str(Path(store_path).resolve()) + "|" + ",".join(sorted(public_keys))).encode()
    ).hexdigest()
    cached = conn.execute(
        "SELECT last_seq, last_hash, digest, bad_ids, findings FROM store_verification_state "
        "WHERE store_key = ?",
        (store_key,),
    ).fetchone()
    store = _open_store_ro(store_path)
    try:
        low, high, count = store.execute(
            f"SELECT min(seq), max(seq), count(*) FROM {ATTESTATION_TABLE}"
        ).fetchone()
        if not count:
            return set(), []
        digest = hashlib.sha256()
        incremental = False
        if cached is not None and cached[0] <= high:
            _digest_rows(store, digest, low, cached[0])
            head = store.execute(
                f"SELECT record_hash FROM {ATTESTATION_TABLE} WHERE seq = ?", (cached[0],)
            ).fetchone()
            incremental = digest.hexdigest() == cached[2] and head is not None and head[0] == cached[1]
        if incremental and cached is not None:
            bad = set(json.loads(cached[3]))
            findings = list(json.loads(cached[4]))
            if high > cached[0]:
                if progress is not None:
                    progress(f"Vérification des {high - cached[0]} nouvel(s) enregistrement(s) du registre…")
                new = _suffix_findings(store, cached[0], cached[1], public_keys)
                bad |= {f.record_id for f in new if f.record_id}
                findings += [str(f) for f in new]
                _digest_rows(store, digest, cached[0] + 1, high)
        else:
            if progress is not None:
                progress(f"Vérification complète du registre des attestations ({count} enregistrements)…")
            report = verify_store(store_path, public_keys)
            bad = report.failing_ids()
            findings = [str(f) for f in report.findings]
            digest = hashlib.sha256()
            _digest_rows(store, digest, low, high)
        (last_hash,) = store.execute(
            f"SELECT record_hash FROM {ATTESTATION_TABLE} WHERE seq = ?", (high,)
        ).fetchone()
    finally:
        store.close()
    conn.execute(
        "INSERT OR REPLACE INTO store_verification_state VALUES (?, ?, ?, ?, ?, ?, ?)",
        (
            store_key,
            dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            high,
            last_hash,
            digest.hexdigest(),
            json.dumps(sorted(bad)),
            json.dumps(findings, ensure_ascii=False),
        ),
    )
    return bad, findings


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
    progress: Callable[[str], None] | None = None,
) -> tuple[list[str], list[str]]:
    """Attach the sources and fill the temporary tables; (anomalies, notes)."""
    anomalies: list[str] = []
    notes: list[str] = []
    conn.executescript(S.TEMP_TABLES)
    for table in ("bad_records", "renewal", "att_latest", "activity", "scope"):
        conn.execute(f"DELETE FROM temp.{table}")
    until = (as_of + dt.timedelta(days=1)).isoformat()

    store = sources.attestations_db
    if store is not None and store.exists():
        bad, anomalies = verified_bad_ids(conn, store, public_keys, progress)
        conn.executemany("INSERT INTO temp.bad_records VALUES (?)", ((i,) for i in bad))
        with AttestationStore(store, create=False) as st:
            history = directive_history(st.directive_versions(), rules.directive)
        attach_readonly(conn, store, "att")
        signed = conn.execute(
            "SELECT DISTINCT form_id, form_version, directive_version FROM att.attestations "
            "WHERE kind = 'attestation'"
        ).fetchall()
        conn.executemany(
            "INSERT INTO temp.renewal VALUES (?, ?, ?, ?)", renewal_table(signed, rules.forms, history)
        )
        conn.execute(S.LATEST_ATTESTATIONS, {"until": until})
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
    progress: Callable[[str], None] | None = None,
) -> Register:
    """Compute the status of every active person matching ``filters``."""
    if filters.manager is not None and not is_valid_employee_number(filters.manager):
        raise HrError("Matricule du gestionnaire invalide.")
    as_of = filters.as_of or dt.date.today()
    conn = connect_hr(sources.roster_db, create=False)
    try:
        ensure_schema(conn)
        anomalies, notes = prepare(conn, sources, rules, filters, public_keys, as_of=as_of, progress=progress)
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
