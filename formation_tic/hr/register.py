"""The attestation register: roster + verified attestations + pulled statements + attempts.

:func:`build_register` fills a few temporary tables of the roster database and runs the
set-based query of :mod:`formation_tic.hr.status_sql`. The attestation store is read
through :class:`attest.store.StoreReader`, the pulled statements through
:mod:`lrs_export.pulled` and the learner app's attempts and grants through
:mod:`formation_tic.attempt_grants` (who is locked out: the app's own rule); HR never names
their tables nor attaches their files.

Attestations are trusted only after :mod:`attest.verify`: records it flags are ignored (and
counted in ``Register.anomalies``). Verification is the slow part (one RSA check per
record), so the verified values the register needs are copied, with each record's
``record_hash``, into ``verified_attestations`` of the roster database, and later reports
verify only the records appended since (see :func:`sync_verified`; ``reverify=True``
verifies everything again). The copy is not trusted either: before each report it is
compared, position by position, with the register's rows; any difference is reported and
the copy rebuilt from the register, verified again. HR also remembers the last record it
verified: a register that no longer holds it (truncated or rewritten) makes the report
*incomplete* (``Register.incomplete``), and the records HR verified that vanished are kept
in ``vanished_attestations`` — their revocations still apply, their attestations no
longer count — so nobody's status is silently upgraded.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import sqlite3
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import chain
from pathlib import Path
from typing import Any, NamedTuple

from cryptography.hazmat.primitives.asymmetric import rsa
from pydantic import BaseModel, ConfigDict, Field, SkipValidation

import localdb
from attest.directive import DirectiveInfo
from attest.errors import StoreError
from attest.form import FormContent
from attest.identity import is_valid_employee_number
from attest.record import AttestationRecord
from attest.status import directive_history, renewal_reasons
from attest.store import StoreReader
from attest.verify import Anchor, verify_after, verify_snapshot
from lrs_export.pulled import PulledStatementsError, has_pulled_statements, module_activity

from .. import attempt_grants
from ..attempt_grants import Grant
from . import status_sql as S
from .db import connect_hr
from .errors import HrError
from .roster import ensure_schema
from .wording import agree, plural

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
    "identification",
)
"""The store columns the register needs, copied once verified into ``verified_attestations``
(``identification``: how the person was identified when signing; ``typed`` is self-declared)."""

COPY_COLUMNS = (*SNAPSHOT_COLUMNS, "record_hash")
"""What HR keeps of each record: the values it needs, and the hash that ties them to the register."""

_COPY_DEFS = ",\n  ".join(SNAPSHOT_COLUMNS[1:])

# The copied columns have no declared type (no affinity): values are kept exactly as the
# store holds them, so the copy compares equal to the register, value for value.
VERIFIED_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS verified_attestations (
  seq INTEGER PRIMARY KEY,
  {_COPY_DEFS},
  record_hash,
  bad INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS vanished_attestations (
  seq INTEGER NOT NULL,
  {_COPY_DEFS},
  record_hash TEXT NOT NULL,
  noted_at TEXT NOT NULL,
  PRIMARY KEY (seq, record_hash)
);
CREATE TABLE IF NOT EXISTS verification_state (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  store_id TEXT NOT NULL,
  store_key TEXT NOT NULL,
  verified_at TEXT NOT NULL,
  last_seq INTEGER NOT NULL,
  last_hash TEXT NOT NULL,
  seen_seq INTEGER NOT NULL,
  seen_hash TEXT NOT NULL,
  findings TEXT NOT NULL
);
"""
"""HR's verified copy of the register.

``verified_attestations``: one row per record of the register up to ``last_seq``, verified,
``bad`` when it failed. ``vanished_attestations``: records HR verified that the register no
longer holds. ``verification_state``: which store (``store_id``: its path; ``store_key``: its
path and the verification keys), the head the copy covers (``last_seq``, ``last_hash``), the
highest head HR ever verified (``seen_seq``, ``seen_hash``: a register that loses it was
truncated or rewritten) and the verification findings.
"""

INCOMPLETE_PREFIX = "RAPPORT INCOMPLET — "
"""Prefix of the notes that repeat ``Register.incomplete`` (for outputs showing only notes)."""


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
    max_attempts: int = Field(default=3, ge=1, description="Quiz attempts per person (app.max_attempts).")


class RegisterSources(BaseModel):
    """The SQLite files the register reads."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    roster_db: Path
    attestations_db: Path | None = None
    statements_db: Path | None = None
    progress_db: Path | None = None
    """The learner app's progress file: attempts used, attempts granted (« essais épuisés »)."""


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
    identification: str | None
    """How the person was identified when signing their current attestation (None: none);
    ``typed``: self-declared, not verified."""
    locked_out: bool = False
    """Every allowed attempt failed (« essais épuisés », :data:`status_sql.LOCKED_OUT`): only a
    grant (``formation-tic attempts grant``) opens another. The same rule as the learner app
    (:class:`formation_tic.attempt_grants.Standing`); the current state, whatever ``as_of``."""
    attempts_granted: int = 0
    """Extra attempts granted to the person for the current directive version (one per grant
    listed in :attr:`Register.grants`); the current state, whatever ``as_of``."""


class Register(BaseModel):
    """The register for one set of filters, and what the report must say about its sources."""

    model_config = ConfigDict(extra="forbid", arbitrary_types_allowed=True)

    rows: SkipValidation[list[RegisterRow]]
    filters: RegisterFilters
    as_of: dt.date
    late_after_days: int
    anomalies: list[str] = Field(
        default_factory=list, description="Store findings and integrity alerts (no names)."
    )
    notes: list[str] = Field(default_factory=list)
    incomplete: list[str] = Field(
        default_factory=list,
        description="Why the report is incomplete: the register lost records HR had verified.",
    )
    grants: SkipValidation[list[Grant]] = Field(
        default_factory=list,
        description="Attempts granted to the people of the register (current directive version), "
        "oldest first: who granted, when, why.",
    )

    @property
    def complete(self) -> bool:
        """False when the register no longer holds records HR had verified (see ``incomplete``)."""
        return not self.incomplete

    def counts(self) -> dict[str, int]:
        """People per status, every status present (rule order)."""
        found = Counter(r.status for r in self.rows)
        return {code: found.get(code, 0) for code in S.STATUSES}


# --- verification ------------------------------------------------------------------------------


@dataclass
class SyncResult:
    """What :func:`sync_verified` found (French, no names)."""

    findings: list[str] = field(default_factory=list)
    """Verification findings of the register's records (kept across incremental runs)."""
    alerts: list[str] = field(default_factory=list)
    """HR's copy no longer matched the register (it was rebuilt)."""
    incomplete: list[str] = field(default_factory=list)
    """The register lost records HR had verified."""


@dataclass(frozen=True)
class _State:
    store_id: str
    store_key: str
    last_seq: int
    last_hash: str
    seen_seq: int
    seen_hash: str
    findings: list[str]


@dataclass
class _CopyDiff:
    changed: list[int] = field(default_factory=list)
    """Positions where the copy and the register hold different values or hashes."""
    extra: list[int] = field(default_factory=list)
    """Positions in the copy that the register does not hold (or beyond what was verified)."""
    missing: list[int] = field(default_factory=list)
    """Positions of the register, verified before, absent from the copy."""

    def __bool__(self) -> bool:
        return bool(self.changed or self.extra or self.missing)

    def positions(self) -> list[int]:
        return sorted({*self.changed, *self.extra, *self.missing})


def store_identity(store_path: Path, public_keys: Mapping[str, rsa.RSAPublicKey]) -> tuple[str, str]:
    """(store_id, store_key): digests of the store's path, and of its path and key ids."""
    resolved = str(Path(store_path).resolve())
    store_id = hashlib.sha256(resolved.encode()).hexdigest()
    store_key = hashlib.sha256((resolved + "|" + ",".join(sorted(public_keys))).encode()).hexdigest()
    return store_id, store_key


def _columns(conn: sqlite3.Connection, table: str) -> set[str]:
    return {r[1] for r in conn.execute(f"PRAGMA table_info({table})")}


def ensure_verified_schema(conn: sqlite3.Connection, *, store_id: str = "", store_key: str = "") -> None:
    """Create HR's verified copy, replacing the layout of earlier versions (no record hashes).

    The old copy is dropped (the next report verifies the whole store again), but the head
    it had verified is kept as the highest head seen when it was the same store and keys,
    so a register truncated across the upgrade is still caught.
    """

    def legacy() -> bool:
        copy_cols = _columns(conn, "verified_attestations")
        state_cols = _columns(conn, "verification_state")
        vanished_cols = _columns(conn, "vanished_attestations")
        return (
            bool(copy_cols and not set(COPY_COLUMNS) <= copy_cols)
            or bool(state_cols and "seen_seq" not in state_cols)
            or bool(vanished_cols and not set(COPY_COLUMNS) <= vanished_cols)
        )

    if not legacy():
        conn.executescript(VERIFIED_SCHEMA)
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        if legacy():  # not already replaced by a concurrent report
            old = None
            state_cols = _columns(conn, "verification_state")
            # The highest head verified so far: the one a truncated register must still hold.
            head = ("seen_seq", "seen_hash") if "seen_seq" in state_cols else ("last_seq", "last_hash")
            if {"store_key", *head} <= state_cols:
                old = conn.execute(
                    f"SELECT store_key, {head[0]}, {head[1]} FROM verification_state WHERE id = 1"
                ).fetchone()
            conn.execute("DROP TABLE IF EXISTS verified_attestations")
            conn.execute("DROP TABLE IF EXISTS verification_state")
            # Vanished records are kept (their revocations still apply): only new columns added.
            vanished_cols = _columns(conn, "vanished_attestations")
            for name in COPY_COLUMNS:
                if vanished_cols and name not in vanished_cols:
                    conn.execute(f"ALTER TABLE vanished_attestations ADD COLUMN {name}")
            for statement in VERIFIED_SCHEMA.split(";"):
                if statement.strip():
                    conn.execute(statement)
            if old is not None and store_key and old[0] == store_key and old[1]:
                conn.execute(
                    "INSERT INTO verification_state VALUES (1, ?, ?, ?, 0, '', ?, ?, '[]')",
                    (store_id, store_key, _now(), old[1], old[2]),
                )
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def _load_state(conn: sqlite3.Connection) -> _State | None:
    row = conn.execute(
        "SELECT store_id, store_key, last_seq, last_hash, seen_seq, seen_hash, findings "
        "FROM verification_state WHERE id = 1"
    ).fetchone()
    if row is None:
        return None
    try:
        findings = [str(f) for f in json.loads(row[6])]
    except (TypeError, ValueError):
        findings = ["Constats de la vérification précédente illisibles dans hr.db."]
    return _State(row[0], row[1], int(row[2]), row[3], int(row[4]), row[5], findings)


def _compare_copy(conn: sqlite3.Connection, reader: StoreReader, last_seq: int) -> _CopyDiff:
    """Compare HR's copy with the register's rows up to ``last_seq``, position by position
    (values and ``record_hash``). Both are read in ``seq`` order in batches of the same size:
    equal batches (the usual case) are compared at once, the rest merged row by row."""
    size = 20_000
    mine = conn.execute(f"SELECT {', '.join(COPY_COLUMNS)} FROM verified_attestations ORDER BY seq")
    theirs = reader.iter_batches(COPY_COLUMNS, upto=last_seq, batch_size=size)
    while True:
        own = mine.fetchmany(size)
        other = next(theirs, [])
        if own != other:
            return _merge_diff(chain(own, mine), chain(other, chain.from_iterable(theirs)))
        if not own:
            return _CopyDiff()


def _merge_diff(mine: Iterator[tuple[Any, ...]], theirs: Iterator[tuple[Any, ...]]) -> _CopyDiff:
    """The positions where two ``seq``-ordered row streams differ."""
    diff = _CopyDiff()
    a = next(mine, None)
    b = next(theirs, None)
    while a is not None or b is not None:
        if b is None or (a is not None and a[0] < b[0]):
            assert a is not None
            diff.extra.append(a[0])
            a = next(mine, None)
        elif a is None or b[0] < a[0]:
            diff.missing.append(b[0])
            b = next(theirs, None)
        else:
            if a != b:
                diff.changed.append(a[0])
            a = next(mine, None)
            b = next(theirs, None)
    return diff


def _copy_rows(
    conn: sqlite3.Connection, reader: StoreReader, *, after: int, upto: int, bad: set[str]
) -> None:
    names = ", ".join(COPY_COLUMNS)
    marks = ", ".join("?" for _ in COPY_COLUMNS)
    conn.executemany(
        f"INSERT OR REPLACE INTO verified_attestations ({names}, bad) VALUES ({marks}, ?)",
        ((*row, int(row[1] in bad)) for row in reader.iter_values(COPY_COLUMNS, after=after, upto=upto)),
    )


def _keep_vanished(conn: sqlite3.Connection, positions: Sequence[int]) -> None:
    """Move the valid records of the copy at ``positions`` to ``vanished_attestations``."""
    names = ", ".join(COPY_COLUMNS)
    conn.executemany(
        f"INSERT OR IGNORE INTO vanished_attestations ({names}, noted_at) "
        f"SELECT {names}, ? FROM verified_attestations "
        "WHERE seq = ? AND bad = 0 AND typeof(record_hash) = 'text'",
        ((_now(), seq) for seq in positions),
    )


def _positions(seqs: Sequence[int], limit: int = 10) -> str:
    shown = ", ".join(f"n° {s}" for s in seqs[:limit])
    return shown + (f" et {plural(len(seqs) - limit, 'autre')}" if len(seqs) > limit else "")


def _copy_alerts(conn: sqlite3.Connection, diff: _CopyDiff) -> list[str]:
    """Name the side that changed, once the copy was rebuilt from the verified register:
    positions now marked bad were changed in the register (its findings say how); the
    others were changed in HR's copy."""
    in_register: list[int] = []
    in_copy: list[int] = []
    for seq in diff.positions():
        row = conn.execute("SELECT bad FROM verified_attestations WHERE seq = ?", (seq,)).fetchone()
        (in_register if row is not None and row[0] else in_copy).append(seq)
    alerts: list[str] = []
    if in_copy:
        alerts.append(
            "Copie de vérification de RH modifiée : dans hr.db, les enregistrements "
            f"{_positions(in_copy)} de la copie vérifiée du registre ne correspondaient plus au "
            "registre des attestations. Cette copie a été écartée et reconstruite à partir du "
            "registre, entièrement revérifié ; seuls les enregistrements valides du registre sont "
            "comptés. Vérifiez qui a pu modifier hr.db."
        )
    if in_register:
        alerts.append(
            "Registre des attestations modifié depuis sa vérification par RH : les enregistrements "
            f"{_positions(in_register)} ne sont plus ceux qui avaient été vérifiés. Le registre a "
            "été entièrement revérifié ; ces enregistrements ne sont pas comptés."
        )
    return alerts


def _lost_records_message(conn: sqlite3.Connection, seen_seq: int, head_seq: int, replaced: bool) -> str:
    if replaced:
        text = (
            f"Registre des attestations réécrit : l'enregistrement n° {seen_seq}, le dernier que RH "
            f"avait vérifié, n'est plus le même (le registre va maintenant jusqu'au n° {head_seq})."
        )
    elif head_seq == 0:
        text = (
            f"Registre des attestations vidé : RH en avait vérifié les enregistrements jusqu'au "
            f"n° {seen_seq}, mais il n'en contient plus aucun."
        )
    else:
        text = (
            f"Registre des attestations raccourci : RH en avait vérifié les enregistrements jusqu'au "
            f"n° {seen_seq}, mais il s'arrête maintenant au n° {head_seq}."
        )
    text += " Des enregistrements ont disparu : ce rapport est incomplet."
    kinds = dict(conn.execute("SELECT kind, count(*) FROM vanished_attestations GROUP BY kind").fetchall())
    numbers = [
        n for (n,) in conn.execute("SELECT DISTINCT employee_number FROM vanished_attestations ORDER BY 1")
    ]
    if numbers:
        shown = ", ".join(str(n) for n in numbers[:20]) + (", …" if len(numbers) > 20 else "")
        attestations, revocations = kinds.get("attestation", 0), kinds.get("revocation", 0)
        text += (
            f" Disparus : {plural(attestations, 'attestation')} et {plural(revocations, 'révocation')} "
            f"{agree(attestations + revocations, 'vérifiée')} par RH (matricules : {shown}) ; "
            "les révocations disparues restent appliquées et les attestations disparues ne sont "
            "plus comptées."
        )
    return text + (
        " Restaurez le registre à partir d'une copie de sauvegarde, puis faites-le vérifier "
        "(« formation-tic attest verify »)."
    )


def missing_store_message(conn: sqlite3.Connection, store_path: Path) -> str | None:
    """When HR had verified records of the store at ``store_path``, which is now missing."""
    store_id, _ = store_identity(store_path, {})
    ensure_verified_schema(conn, store_id=store_id)
    state = _load_state(conn)
    if state is None or state.store_id != store_id or state.seen_seq <= 0:
        return None
    return (
        f"Registre des attestations introuvable ({store_path}) : RH en avait vérifié les "
        f"enregistrements jusqu'au n° {state.seen_seq}. Ce rapport est incomplet : personne n'y est "
        "compté comme attesté. Restaurez le registre à partir d'une copie de sauvegarde."
    )


def _sync(
    conn: sqlite3.Connection,
    reader: StoreReader,
    public_keys: Mapping[str, rsa.RSAPublicKey],
    store_id: str,
    store_key: str,
    reverify: bool,
    progress: Callable[[str], None] | None,
) -> SyncResult:
    result = SyncResult()
    state = _load_state(conn)
    head = reader.head()
    same_store = state is not None and state.store_id == store_id
    if state is not None and not same_store:
        conn.execute("DELETE FROM vanished_attestations")  # another register's records

    # 1. The register must still hold the last record HR verified.
    seen_seq, seen_hash = (state.seen_seq, state.seen_hash) if state is not None and same_store else (0, "")
    found_at_seen = reader.record_hash_at(seen_seq) if seen_seq > 0 else None
    lost = seen_seq > 0 and found_at_seen != seen_hash

    # 2. HR's copy must still be the register's rows, position by position.
    diff = _CopyDiff()
    if state is not None and same_store:
        diff = _compare_copy(conn, reader, state.last_seq)
        if lost:
            _keep_vanished(conn, sorted({*diff.changed, *diff.extra}))

    incremental = (
        state is not None
        and same_store
        and state.store_key == store_key
        and not reverify
        and not diff
        and 0 < state.last_seq <= head.seq
        and reader.record_hash_at(state.last_seq) == state.last_hash
    )
    if incremental and state is not None:
        result.findings = list(state.findings)
        if head.seq > state.last_seq:
            if progress is not None:
                added = plural(head.seq - state.last_seq, "nouvel enregistrement", "nouveaux enregistrements")
                progress(f"Vérification de {added} du registre…")
            report = verify_after(reader, public_keys, Anchor(state.last_seq, state.last_hash), upto=head.seq)
            result.findings += [str(f) for f in report.findings]
            _copy_rows(conn, reader, after=state.last_seq, upto=head.seq, bad=report.failing_ids())
            if state.last_seq in {f.seq for f in report.findings}:
                conn.execute("UPDATE verified_attestations SET bad = 1 WHERE seq = ?", (state.last_seq,))
    else:
        if progress is not None:
            progress(
                f"Vérification complète du registre des attestations "
                f"({plural(head.records, 'enregistrement')})…"
            )
        report = verify_snapshot(reader, public_keys, upto=head.seq)
        result.findings = [str(f) for f in report.findings]
        conn.execute("DELETE FROM verified_attestations")
        _copy_rows(conn, reader, after=0, upto=head.seq, bad=report.failing_ids())
        if diff and not lost:
            result.alerts = _copy_alerts(conn, diff)

    # Records back in the register (restored from a backup) are no longer vanished.
    conn.execute(
        "DELETE FROM vanished_attestations WHERE EXISTS (SELECT 1 FROM verified_attestations v "
        "WHERE v.seq = vanished_attestations.seq AND v.record_hash = vanished_attestations.record_hash)"
    )
    if lost:
        result.incomplete.append(
            _lost_records_message(conn, seen_seq, head.seq, replaced=found_at_seen is not None)
        )
    else:
        seen_seq, seen_hash = head.seq, head.record_hash or ""
    conn.execute(
        "INSERT OR REPLACE INTO verification_state VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            store_id,
            store_key,
            _now(),
            head.seq,
            head.record_hash or "",
            seen_seq,
            seen_hash,
            json.dumps(result.findings, ensure_ascii=False),
        ),
    )
    return result


def sync_verified(
    conn: sqlite3.Connection,
    store_path: Path,
    public_keys: Mapping[str, rsa.RSAPublicKey],
    *,
    reverify: bool = False,
    progress: Callable[[str], None] | None = None,
) -> SyncResult:
    """Check HR's verified copy against the register and bring it up to date.

    In one read snapshot of the store and one write transaction of the roster database:

    1. the register must still hold the last record HR verified (``seen_seq`` with its
       hash); if not, the report is incomplete, and the records HR verified that vanished
       are kept in ``vanished_attestations`` (revocations still applied);
    2. the copy must equal the register's rows (values and ``record_hash``) at every
       position it covers; if not, it is an alert and the copy is rebuilt;
    3. the first time, with ``reverify=True``, after a difference, or when the store or
       keys changed, the whole store is verified (:func:`attest.verify.verify_snapshot`) and
       copied; otherwise only the records appended since (:func:`attest.verify.verify_after`).

    Records that fail verification are kept in the copy, marked ``bad``, and ignored.
    A full audit of the store as evidence stays ``formation-tic attest verify``.
    """
    store_id, store_key = store_identity(store_path, public_keys)
    ensure_verified_schema(conn, store_id=store_id, store_key=store_key)
    try:
        reader = StoreReader(store_path)
    except StoreError as exc:
        raise HrError(str(exc)) from exc
    with reader:
        conn.execute("BEGIN IMMEDIATE")
        try:
            result = _sync(conn, reader, public_keys, store_id, store_key, reverify, progress)
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
    return result


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


@dataclass
class Prepared:
    """What :func:`prepare` found about the sources (French, no names)."""

    anomalies: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    incomplete: list[str] = field(default_factory=list)
    grants: list[Grant] = field(default_factory=list)
    """Every attempt granted for the current directive version (before the filters)."""


def _fill_locked_out(conn: sqlite3.Connection, progress_db: Path | None, rules: RegisterRules) -> list[Grant]:
    """``temp.locked_out`` from the learner app's progress file; the grants recorded there.

    Who is locked out is decided by :attr:`formation_tic.attempt_grants.Standing.locked_out`,
    the rule the learner app applies, on the same file. No file: nobody, no grant.
    """
    if progress_db is None or not progress_db.exists():
        return []
    version = rules.directive.version
    try:
        progress = localdb.connect(progress_db, readonly=True)
    except localdb.LocalDbError as exc:
        raise HrError(str(exc)) from exc
    try:
        with localdb.translated(progress_db):
            standings = attempt_grants.standings(progress, version, rules.max_attempts)
            granted = attempt_grants.grants(progress, version)
    except localdb.LocalDbError as exc:
        raise HrError(str(exc)) from exc
    finally:
        progress.close()
    conn.executemany(
        "INSERT OR IGNORE INTO temp.locked_out VALUES (?)",
        [(s.employee_number,) for s in standings if s.locked_out],
    )
    return granted


def _fill_activity(conn: sqlite3.Connection, statements: Path, as_of: dt.date) -> None:
    """One row per person from :func:`lrs_export.pulled.module_activity` (aggregated there)."""
    conn.execute("BEGIN")
    try:
        conn.executemany(S.ACTIVITY_INSERT, module_activity(statements, until=as_of))
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


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
) -> Prepared:
    """Check and read the sources, fill the temporary tables; what the report must say."""
    found = Prepared()
    conn.executescript(S.TEMP_TABLES)
    for table in ("renewal", "att_latest", "activity", "scope", "locked_out"):
        conn.execute(f"DELETE FROM temp.{table}")
    until = (as_of + dt.timedelta(days=1)).isoformat()

    store = sources.attestations_db
    if store is not None and store.exists():
        synced = sync_verified(conn, store, public_keys, reverify=reverify, progress=progress)
        found.incomplete = synced.incomplete
        found.anomalies = [*synced.incomplete, *synced.alerts, *synced.findings]
        history = directive_history(verified_directive_versions(conn), rules.directive)
        conn.execute(S.LATEST_ATTESTATIONS, {"until": until})
        signed = conn.execute(
            "SELECT DISTINCT form_id, form_version, directive_version FROM temp.att_latest"
        ).fetchall()
        conn.executemany(
            "INSERT INTO temp.renewal VALUES (?, ?, ?, ?)", renewal_table(signed, rules.forms, history)
        )
    else:
        found.notes.append("Aucun registre d'attestations trouvé : personne n'est compté comme attesté.")
        lost = missing_store_message(conn, store) if store is not None else None
        if lost:
            found.incomplete = [lost]
            found.anomalies = [lost]

    statements = sources.statements_db
    if statements is not None and has_pulled_statements(statements):
        try:
            _fill_activity(conn, statements, as_of)
        except PulledStatementsError as exc:
            raise HrError(str(exc)) from exc
    else:
        found.notes.append(
            "Aucun énoncé importé du LRS (« formation-tic lrs pull ») : les statuts « en cours » "
            "et « échec » ne peuvent pas être établis."
        )

    found.grants = _fill_locked_out(conn, sources.progress_db, rules)

    if filters.manager:
        conn.execute(S.SCOPE_MANAGER, {"manager": filters.manager})
    # Shown first, also where only the notes are shown.
    found.notes[:0] = [INCOMPLETE_PREFIX + text for text in found.incomplete]
    return found


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
        found = prepare(
            conn, sources, rules, filters, public_keys, as_of=as_of, reverify=reverify, progress=progress
        )
        params: dict[str, Any] = {"as_of": as_of.isoformat(), "late_days": rules.late_after_days}
        where = _conditions(filters, params)
        sql = S.REGISTER + "".join(f"  AND {w}\n" for w in where) + "ORDER BY r.employee_number"
        granted = Counter(g.employee_number for g in found.grants)
        rows = [
            RegisterRow._make((*r[:-1], bool(r[-1]), granted.get(r[0], 0))) for r in conn.execute(sql, params)
        ]
    except sqlite3.DatabaseError as exc:
        raise localdb.explain(exc, sources.roster_db) from exc
    finally:
        conn.close()
    shown = {r.employee_number for r in rows}
    if filters.manager and not rows:
        found.notes.append("Aucune personne active ne relève de ce gestionnaire.")
    return Register(
        rows=rows,
        filters=filters,
        as_of=as_of,
        late_after_days=rules.late_after_days,
        anomalies=found.anomalies,
        notes=found.notes,
        incomplete=found.incomplete,
        grants=[g for g in found.grants if g.employee_number in shown],
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
