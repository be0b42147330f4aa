"""Append-only, hash-chained, signed attestation store (SQLite through sqlite-utils).

Every write is one ``BEGIN IMMEDIATE`` transaction that reads the last record, signs the
new one (its ``seq`` and ``prev_hash`` included) and inserts it, so concurrent writers
produce one valid chain. Triggers refuse UPDATE and DELETE; they are a guard, not the
proof: the proof is the chain and the signatures checked by :func:`attest.verify.verify_store`.
A correction is a new ``revocation`` record naming the revoked one and a reason.
"""

from __future__ import annotations

import datetime as dt
import random
import secrets
import sqlite3
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from pydantic import BaseModel, ConfigDict, Field

import localdb

from .canonical import sha256_hex
from .directive import DirectiveInfo
from .errors import AlreadySigned, NotFound, StoreError
from .form import FormContent, Submission
from .identity import IDENTIFICATION_METHODS, IdentificationMethod, is_valid_employee_number
from .keys import key_id
from .record import (
    COLUMNS,
    GENESIS_HASH,
    RECORD_FORMAT,
    UNSIGNED_COLUMNS,
    AttestationRecord,
    record_from_row,
    to_column,
)
from .signing import sign_attestation

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric import rsa

TABLE = "attestations"
CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
"""Crockford base32: verification codes avoid I, L, O and U."""

_SCHEMA = (
    f"CREATE TABLE IF NOT EXISTS {TABLE} (\n"
    + ",\n".join(
        f"  {name} {sqltype}"
        + (" PRIMARY KEY" if name == "seq" else "")
        + (" NOT NULL UNIQUE" if name in ("id", "verification_code") else "")
        for name, (sqltype, _kind) in COLUMNS.items()
    )
    + ",\n"
    + ",\n".join(f"  {name} {sqltype} NOT NULL" for name, sqltype in UNSIGNED_COLUMNS.items())
    + "\n)"
)
_TRIGGERS = (
    f"CREATE TRIGGER IF NOT EXISTS {TABLE}_no_update BEFORE UPDATE ON {TABLE} "
    "BEGIN SELECT RAISE(ABORT, 'registre en ajout seulement : modification interdite'); END",
    f"CREATE TRIGGER IF NOT EXISTS {TABLE}_no_delete BEFORE DELETE ON {TABLE} "
    "BEGIN SELECT RAISE(ABORT, 'registre en ajout seulement : suppression interdite'); END",
    f"CREATE INDEX IF NOT EXISTS {TABLE}_employee ON {TABLE} (employee_number)",
)


class StoreHead(NamedTuple):
    """The end of a store: last position (0 when empty), number of records, last record's hash."""

    seq: int
    records: int
    record_hash: str | None


READABLE_COLUMNS: frozenset[str] = frozenset((*COLUMNS, *UNSIGNED_COLUMNS))
"""The stored columns :meth:`StoreReader.iter_values` may return."""


class StoreReader:
    """Read-only access to a store file, for readers that keep their own verified copy.

    Opened with SQLite's ``mode=ro`` (never creates nor writes) inside one read transaction,
    so every method sees the same snapshot even while the application appends: positions
    read by :meth:`head` and rows read later agree. Readers outside :mod:`attest` (the HR
    register) go through these methods and never name the table.
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        if not self.path.exists():
            raise StoreError(f"Registre des attestations introuvable : {self.path}")
        try:
            self._conn = localdb.connect(self.path, readonly=True)
        except localdb.LocalDbError as exc:
            raise StoreError(str(exc)) from exc
        try:
            self._conn.execute("BEGIN")
            self._conn.execute(f"SELECT 1 FROM {TABLE} LIMIT 1")
        except sqlite3.DatabaseError as exc:
            self._conn.close()
            raise StoreError(f"{self.path} n'est pas un registre d'attestations lisible ({exc}).") from exc

    def close(self) -> None:
        """End the read transaction and close the connection."""
        self._conn.close()

    def __enter__(self) -> StoreReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def missing_columns(self) -> set[str]:
        """Signed or unsigned columns absent from the table (an old or foreign file)."""
        present = {r[1] for r in self._conn.execute(f"PRAGMA table_info({TABLE})")}
        return set(READABLE_COLUMNS) - present

    def head(self) -> StoreHead:
        """The last position, the number of records and the last record's ``record_hash``."""
        high, count = self._conn.execute(f"SELECT max(seq), count(*) FROM {TABLE}").fetchone()
        if not count:
            return StoreHead(0, 0, None)
        return StoreHead(int(high), int(count), self.record_hash_at(int(high)))

    def record_hash_at(self, seq: int) -> str | None:
        """The stored ``record_hash`` of the record at position ``seq`` (None: no such record)."""
        row = self._conn.execute(f"SELECT record_hash FROM {TABLE} WHERE seq = ?", (seq,)).fetchone()
        return None if row is None else row[0]

    def iter_batches(
        self, columns: Sequence[str], *, after: int = 0, upto: int | None = None, batch_size: int = 20_000
    ) -> Iterator[list[tuple[Any, ...]]]:
        """``columns`` (stored values, unchecked) of the records with ``after < seq <= upto``,
        in ``seq`` order, in lists of ``batch_size`` rows (the last one shorter)."""
        unknown = [c for c in columns if c not in READABLE_COLUMNS]
        if unknown or not columns:
            raise ValueError(f"colonnes inconnues : {unknown}")
        sql = f"SELECT {', '.join(columns)} FROM {TABLE} WHERE seq > ?"
        args: list[int] = [after]
        if upto is not None:
            sql += " AND seq <= ?"
            args.append(upto)
        cur = self._conn.execute(sql + " ORDER BY seq", args)
        while batch := cur.fetchmany(batch_size):
            yield batch

    def iter_values(
        self, columns: Sequence[str], *, after: int = 0, upto: int | None = None
    ) -> Iterator[tuple[Any, ...]]:
        """Like :meth:`iter_batches`, one row at a time."""
        for batch in self.iter_batches(columns, after=after, upto=upto):
            yield from batch

    def iter_rows(self, *, start: int = 0, upto: int | None = None) -> Iterator[dict[str, Any]]:
        """Whole stored rows with ``start <= seq <= upto`` in ``seq`` order (what
        :func:`attest.verify.verify_rows` checks)."""
        sql = f"SELECT * FROM {TABLE} WHERE seq >= ?"
        args: list[int] = [start]
        if upto is not None:
            sql += " AND seq <= ?"
            args.append(upto)
        cur = self._conn.execute(sql + " ORDER BY seq", args)
        names = [d[0] for d in cur.description]
        for row in cur:
            yield dict(zip(names, row, strict=True))

    def is_unrevoked_attestation(self, record_id: str, *, before: int, revoked_before: int) -> bool:
        """True when ``record_id`` is an attestation at a position before ``before`` that no
        revocation at a position before ``revoked_before`` names."""
        found = self._conn.execute(
            f"SELECT 1 FROM {TABLE} t WHERE t.id = ? AND t.kind = 'attestation' AND t.seq < ? "
            f"AND NOT EXISTS (SELECT 1 FROM {TABLE} o WHERE o.kind = 'revocation' "
            "AND o.revokes = t.id AND o.seq < ?)",
            (record_id, before, revoked_before),
        ).fetchone()
        return found is not None


class QuizResult(BaseModel):
    """The passed quiz that allows signing (its xAPI registration and scaled score)."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    registration: uuid.UUID
    score: float = Field(ge=0.0, le=1.0)
    passed: bool = True


def new_verification_code() -> str:
    """A random 10-character code (50 bits), shown as ``XXXXX-XXXXX``."""
    chars = "".join(secrets.choice(CODE_ALPHABET) for _ in range(10))
    return f"{chars[:5]}-{chars[5:]}"


_LOOKALIKES = str.maketrans("OIL", "011")


def normalize_code(code: str) -> str:
    """Accept lower case, spaces, missing dash and the usual look-alikes (O→0, I/L→1)."""
    raw = "".join(code.upper().split()).replace("-", "")
    raw = raw.translate(_LOOKALIKES)
    return f"{raw[:5]}-{raw[5:]}" if len(raw) == 10 else raw


def utc_now() -> str:
    """Current UTC time, ISO 8601 with microseconds and a ``Z``."""
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class AttestationStore:
    """An attestation store in one SQLite file.

    ``create=True`` creates the file and schema if needed (writers); readers and the
    verifier use ``create=False`` and never write.
    """

    def __init__(self, path: Path, *, create: bool = True, busy_timeout: float = 60.0) -> None:
        self.path = Path(path)
        self.busy_timeout = busy_timeout
        if not create and not self.path.exists():
            raise StoreError(f"Registre des attestations introuvable : {self.path}")
        conn = localdb.connect(self.path, busy_timeout=busy_timeout)
        self.conn = conn
        with localdb.translated(self.path):
            if create:
                self._ensure_schema()
            elif (
                conn.execute(
                    "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", [TABLE]
                ).fetchone()
                is None
            ):
                conn.close()
                raise StoreError(f"{self.path} n'est pas un registre d'attestations.")

    def close(self) -> None:
        """Close the SQLite connection."""
        self.conn.close()

    def __enter__(self) -> AttestationStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _retry_locked(self, sql: str) -> None:
        """Run ``sql``, retrying while SQLite reports a lock its busy handler did not wait for
        (switching to WAL, WAL recovery: several processes opening a new store at once)."""
        deadline = time.monotonic() + self.busy_timeout
        while True:
            try:
                self.conn.execute(sql)
                return
            except sqlite3.OperationalError as exc:
                message = str(exc).lower()
                if ("locked" not in message and "busy" not in message) or (time.monotonic() > deadline):
                    raise
                time.sleep(0.01 + random.random() * 0.05)

    def _ensure_schema(self) -> None:
        conn = self.conn
        self._retry_locked("BEGIN IMMEDIATE")
        try:
            conn.execute(_SCHEMA)
            for sql in _TRIGGERS:
                conn.execute(sql)
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    # -- reading -----------------------------------------------------------------------

    def rows(self) -> Iterator[dict[str, Any]]:
        """Raw rows in chain order (``seq``), as stored (for the verifier)."""
        yield from localdb.query(self.conn, f"SELECT * FROM {TABLE} ORDER BY seq")

    def records(self) -> Iterator[AttestationRecord]:
        """Every record in chain order (no signature check)."""
        for row in self.rows():
            yield record_from_row(row)

    def count(self) -> int:
        """Number of records."""
        return int(self.conn.execute(f"SELECT count(*) FROM {TABLE}").fetchone()[0])

    def get(self, record_id: str) -> AttestationRecord:
        """The record with this id; :class:`NotFound` otherwise."""
        for row in localdb.query(self.conn, f"SELECT * FROM {TABLE} WHERE id = ?", [record_id]):
            return record_from_row(row)
        raise NotFound(f"Aucune attestation n'a l'identifiant {record_id}.")

    def find_by_code(self, code: str) -> AttestationRecord:
        """The record with this verification code; :class:`NotFound` otherwise."""
        for row in localdb.query(
            self.conn, f"SELECT * FROM {TABLE} WHERE verification_code = ?", [normalize_code(code)]
        ):
            return record_from_row(row)
        raise NotFound(f"Aucune attestation ne porte le code de vérification {code.strip()}.")

    def for_employee(self, employee_number: str) -> list[AttestationRecord]:
        """Every record (attestations and revocations) of one person, in chain order."""
        rows = localdb.query(
            self.conn,
            f"SELECT * FROM {TABLE} WHERE employee_number = ? ORDER BY seq",
            [employee_number.strip()],
        )
        return [record_from_row(r) for r in rows]

    def directive_versions(self) -> list[tuple[str, bool]]:
        """Directive versions seen in the store, by first appearance, with their minor flag."""
        sql = (
            f"SELECT directive_version, directive_version_minor, MIN(seq) FROM {TABLE} "
            "GROUP BY directive_version ORDER BY MIN(seq)"
        )
        return [(v, bool(m)) for v, m, _ in self.conn.execute(sql).fetchall()]

    # -- writing -----------------------------------------------------------------------

    def _append(
        self,
        build: Callable[[sqlite3.Connection], dict[str, Any]],
        private_key: rsa.RSAPrivateKey,
        kid: str | None = None,
    ) -> AttestationRecord:
        conn = self.conn
        kid = kid or key_id(private_key.public_key())
        for _attempt in range(5):
            self._retry_locked("BEGIN IMMEDIATE")
            try:
                fields = build(conn)
                last = conn.execute(
                    f"SELECT seq, record_hash FROM {TABLE} ORDER BY seq DESC LIMIT 1"
                ).fetchone()
                fields["seq"] = (last[0] + 1) if last else 1
                fields["prev_hash"] = last[1] if last else GENESIS_HASH
                fields["format"] = RECORD_FORMAT
                fields.setdefault("verification_code", new_verification_code())
                fields["signed_at"] = utc_now()
                missing = set(COLUMNS) - set(fields)
                extra = set(fields) - set(COLUMNS)
                if missing or extra:
                    raise StoreError(f"champs d'attestation incorrects : {missing or extra}")
                ordered = {name: fields[name] for name in COLUMNS}
                payload, jws = sign_attestation(ordered, private_key, kid)
                row = {name: to_column(kind, ordered[name]) for name, (_t, kind) in COLUMNS.items()}
                row["record_hash"] = sha256_hex(payload)
                row["jws"] = jws
                names = ", ".join(row)
                marks = ", ".join("?" for _ in row)
                conn.execute(f"INSERT INTO {TABLE} ({names}) VALUES ({marks})", list(row.values()))
                conn.execute("COMMIT")
            except sqlite3.IntegrityError as exc:
                localdb.rollback_quietly(conn)
                if "verification_code" in str(exc):
                    continue  # astronomically rare code collision: draw another one
                raise StoreError(f"enregistrement refusé par le registre : {exc}") from exc
            except sqlite3.Error as exc:  # disk full, I/O error, corruption: said plainly
                localdb.rollback_quietly(conn)
                raise localdb.explain(exc, self.path) from exc
            except BaseException:
                localdb.rollback_quietly(conn)
                raise
            return record_from_row(row)
        raise StoreError("impossible d'attribuer un code de vérification unique")

    def sign(
        self,
        submission: Submission,
        form: FormContent,
        directive: DirectiveInfo,
        quiz: QuizResult,
        identification: IdentificationMethod,
        private_key: rsa.RSAPrivateKey,
        *,
        kid: str | None = None,
    ) -> AttestationRecord:
        """Sign and append the attestation of a validated submission."""
        if not quiz.passed:
            raise StoreError(
                "Le questionnaire n'a pas été réussi : l'engagement ne peut pas encore être signé."
            )
        if submission.form_id != form.id or submission.form_version != form.version:
            raise StoreError("La soumission ne correspond pas à la version du formulaire affichée.")
        if identification not in IDENTIFICATION_METHODS:
            raise StoreError(f"Mode d'identification inconnu : {identification!r}.")
        if not is_valid_employee_number(submission.employee_number):
            raise StoreError("Numéro d'employé invalide.")
        fields: dict[str, Any] = {
            "id": str(uuid.uuid4()),
            "kind": "attestation",
            "employee_number": submission.employee_number,
            "full_name": submission.full_name,
            "job_title": submission.job_title,
            "direction": submission.direction,
            "establishment": submission.establishment,
            "typed_signature": submission.signature,
            "electronic_signature_consent": submission.consent_electronic_signature,
            "commitments": list(submission.commitments),
            "form_id": form.id,
            "form_version": form.version,
            "form_version_minor": form.changement_mineur,
            "form_sha256": form.text_sha256(directive),
            "directive_number": directive.numero,
            "directive_version": directive.version,
            "directive_version_minor": directive.version_mineure,
            "quiz_registration": str(quiz.registration),
            "quiz_score": float(quiz.score),
            "identification": identification,
            "revokes": None,
            "reason": None,
        }

        def build(conn: sqlite3.Connection) -> dict[str, Any]:
            # Inside the write transaction: two tabs (or two processes) signing the same
            # quiz registration are serialized here, and only the first one is recorded.
            existing = conn.execute(
                f"SELECT id FROM {TABLE} a WHERE a.kind = 'attestation' AND a.quiz_registration = ? "
                f"AND NOT EXISTS (SELECT 1 FROM {TABLE} r WHERE r.kind = 'revocation' AND r.revokes = a.id)",
                (fields["quiz_registration"],),
            ).fetchone()
            if existing is not None:
                raise AlreadySigned(self.get(existing[0]))
            return dict(fields)

        return self._append(build, private_key, kid)

    def revoke(
        self,
        record_id: str,
        reason: str,
        private_key: rsa.RSAPrivateKey,
        *,
        kid: str | None = None,
    ) -> AttestationRecord:
        """Append a revocation of attestation ``record_id`` with a reason (French, required)."""
        reason = " ".join(reason.split())
        if not reason:
            raise StoreError("La raison de la révocation est obligatoire.")
        if len(reason) > 500:
            raise StoreError("La raison de la révocation ne doit pas dépasser 500 caractères.")

        def build(conn: sqlite3.Connection) -> dict[str, Any]:
            cur = conn.execute(f"SELECT * FROM {TABLE} WHERE id = ?", [record_id])
            found = cur.fetchone()
            if found is None:
                raise NotFound(f"Aucune attestation n'a l'identifiant {record_id}.")
            target = record_from_row(dict(zip([d[0] for d in cur.description], found, strict=True)))
            if target.kind != "attestation":
                raise StoreError("Seule une attestation peut être révoquée.")
            again = conn.execute(f"SELECT 1 FROM {TABLE} WHERE revokes = ?", [record_id]).fetchone()
            if again:
                raise StoreError("Cette attestation est déjà révoquée.")
            fields = target.signed_fields()
            for name in ("seq", "prev_hash", "format", "signed_at", "verification_code"):
                fields.pop(name)
            fields.update(
                id=str(uuid.uuid4()),
                kind="revocation",
                typed_signature=None,
                electronic_signature_consent=False,
                quiz_registration=None,
                quiz_score=None,
                identification=None,
                revokes=target.id,
                reason=reason,
            )
            return fields

        return self._append(build, private_key, kid)
