"""Offline verification of a store: every signature, every field, the chain, the order.

Needs only the SQLite file and the establishment's public keys or certificates.
Each problem is reported against the record where it shows, named by its position
(``n°``), its id and its employee number (never a name).
"""

from __future__ import annotations

import json
import operator
import os
from collections.abc import Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from hashlib import sha256
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from .canonical import canonical_json, sha256_hex
from .errors import StoreError
from .record import COLUMNS, GENESIS_HASH, from_column
from .signing import JwsVerifier, SignatureInvalid
from .store import StoreReader

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric import rsa

Problem = Literal["signature", "altered", "moved", "removed", "chain", "duplicate", "revocation", "anchor"]

PROBLEM_LABELS: dict[str, str] = {
    "signature": "signature invalide",
    "altered": "modifié",
    "moved": "déplacé",
    "removed": "supprimé",
    "chain": "chaînage rompu",
    "duplicate": "doublon",
    "revocation": "révocation invalide",
    "anchor": "ancre non respectée",
}


def finding_line(seq: int | None, record_id: str | None, label: str, message: str) -> str:
    """A finding as printed: ``n° SEQ (id ID) : LABEL – MESSAGE`` (``registre`` without a position)."""
    where = f"n° {seq}" if seq is not None else "registre"
    if record_id:
        where += f" (id {record_id})"
    return f"{where} : {label} – {message}"


@dataclass(frozen=True)
class Finding:
    """One problem found on one record (``seq``/``record_id`` None for store-wide ones)."""

    seq: int | None
    record_id: str | None
    problem: Problem
    message: str

    def __str__(self) -> str:
        return finding_line(self.seq, self.record_id, PROBLEM_LABELS[self.problem], self.message)


@dataclass
class VerificationReport:
    """Result of :func:`verify_store`."""

    count: int = 0
    findings: list[Finding] = field(default_factory=list)
    head_seq: int | None = None
    head_hash: str | None = None

    @property
    def ok(self) -> bool:
        """True when no problem was found."""
        return not self.findings

    def failing_ids(self) -> set[str]:
        """Ids of the records named by at least one finding."""
        return {f.record_id for f in self.findings if f.record_id}


@dataclass(frozen=True)
class Anchor:
    """A (position, record hash) pair noted earlier, e.g. the head printed by a past verify."""

    seq: int
    record_hash: str

    @classmethod
    def parse(cls, text: str) -> Anchor:
        """Parse ``SEQ:HASH``."""
        seq, _, digest = text.partition(":")
        if not seq.strip().isdigit() or len(digest.strip()) != 64:
            raise ValueError(f"ancre invalide {text!r} : format attendu N:EMPREINTE (64 hex)")
        return cls(int(seq), digest.strip().lower())


def _signed_view(row: Mapping[str, Any]) -> dict[str, Any]:
    """Row values as the payload would hold them; unconvertible values kept raw."""
    out: dict[str, Any] = {}
    for name, (_t, kind) in COLUMNS.items():
        try:
            out[name] = from_column(kind, row[name])
        except (ValueError, TypeError):
            out[name] = ("<invalide>", row[name])
    return out


_SIGNED_NAMES = frozenset(COLUMNS)
_NAMES: tuple[str, ...] = tuple(sorted(COLUMNS))
_READ: tuple[str, ...] = (*_NAMES, "record_hash", "jws")
"""The columns verification reads, in this order (signed ones first, sorted)."""
_GET_READ = operator.itemgetter(*_READ)
_RECORD_HASH, _JWS = len(_NAMES), len(_NAMES) + 1
_BOOL_NAMES = tuple(name for name, (_t, kind) in COLUMNS.items() if kind == "bool")
_JSON_NAMES = tuple(name for name, (_t, kind) in COLUMNS.items() if kind == "json")
_COLUMN_TYPES: dict[str, type] = {"text": str, "int": int, "real": float, "bool": int, "json": str}
_ALLOWED_TYPES: tuple[frozenset[type], ...] = tuple(
    frozenset({type(None), _COLUMN_TYPES[COLUMNS[name][1]]}) for name in _NAMES
)
_SORTED_JSON = json.JSONEncoder(
    separators=(",", ":"), ensure_ascii=False, allow_nan=False, check_circular=False
)
"""Encodes a dict whose keys are already sorted as :func:`~attest.canonical.canonical_json` would
(without sorting nested objects: a nested object then differs, and the slow path decides).
Values built from SQLite columns hold no cycles: no need to look for them."""


class _StoredFields:
    """Builds the signed fields as a row stores them (see :meth:`__call__`), with two caches:
    the column type patterns already accepted, and the parsed JSON columns (records share the
    same few lists of commitments; parsed values are only compared, never changed)."""

    def __init__(self) -> None:
        self.patterns: set[tuple[type, ...]] = set()
        self.json_values: dict[str, Any] = {}

    def __call__(self, row: tuple[Any, ...]) -> dict[str, Any] | None:
        """The fields of a row read as :data:`_READ`, keys sorted, or None when a column holds
        a value :func:`~attest.record.from_column` refuses (then the slow path names the fields)."""
        values = row[: len(_NAMES)]
        pattern = tuple(map(type, values))
        if pattern not in self.patterns:
            if not all(t in allowed for t, allowed in zip(pattern, _ALLOWED_TYPES, strict=True)):
                return None
            self.patterns.add(pattern)
        out = dict(zip(_NAMES, values, strict=True))
        for name in _BOOL_NAMES:
            value = out[name]
            if value is not None:
                if value not in (0, 1):
                    return None
                out[name] = value == 1
        for name in _JSON_NAMES:
            value = out[name]
            if value is not None:
                parsed = self.json_values.get(value)
                if parsed is None:
                    try:
                        parsed = from_column("json", value)
                    except ValueError:
                        return None
                    if len(self.json_values) < 256:
                        self.json_values[value] = parsed
                out[name] = parsed
        return out


_Entry = dict[str, Any]
_BATCH = 512
_SHARED_MIN = 4
"""Below this many RSA checks per thread, a batch's checks are not shared (not worth it)."""


def _batches(rows: Iterable[tuple[Any, ...]]) -> Iterator[list[tuple[Any, ...]]]:
    it = iter(rows)
    while batch := list(islice(it, _BATCH)):
        yield batch


def _check_all(
    verifier: JwsVerifier,
    jobs: list[tuple[rsa.RSAPublicKey, bytes, bytes]],
    pool: ThreadPoolExecutor | None,
    workers: int,
) -> list[bool]:
    """The RSA checks of ``jobs``, in order, shared between this thread and ``pool``'s."""
    check = verifier.check
    if pool is None or len(jobs) < _SHARED_MIN * workers:
        return [check(*job) for job in jobs]
    size = -(-len(jobs) // workers)
    parts = [jobs[i : i + size] for i in range(0, len(jobs), size)]
    futures = [pool.submit(lambda part: [check(*job) for job in part], part) for part in parts[1:]]
    results = [check(*job) for job in parts[0]]
    for future in futures:
        results.extend(future.result())
    return results


def default_workers() -> int:
    """Threads sharing the RSA checks: one per CPU, at most 4."""
    return max(1, min(4, os.cpu_count() or 1))


def _entry(row: Mapping[str, Any], signed: dict[str, Any] | None) -> _Entry:
    """The few values of a checked record that the chain pass reads."""
    record: Mapping[str, Any] = signed if signed is not None else _signed_view(row)
    return {
        "id": row["id"],
        "seq": row["seq"],
        "verification_code": row["verification_code"],
        "signed": signed is not None,
        "signed_seq": signed.get("seq") if signed is not None else None,
        "prev_hash": signed.get("prev_hash") if signed is not None else None,
        "kind": record.get("kind"),
        "revokes": record.get("revokes"),
    }


def verify_rows(
    rows: Iterable[Mapping[str, Any]],
    public_keys: Mapping[str, rsa.RSAPublicKey],
    anchors: Iterable[Anchor] = (),
    *,
    workers: int | None = None,
) -> VerificationReport:
    """Check rows given in stored ``seq`` order (see :func:`verify_store`).

    The chain is followed by signed position: each record must name, as ``prev_hash``,
    the hash of the record signed at the position just before its own, and sit at the
    position it was signed for.
    """
    return _verify(map(_GET_READ, rows), public_keys, anchors, workers)


def _verify(
    rows: Iterable[tuple[Any, ...]],
    public_keys: Mapping[str, rsa.RSAPublicKey],
    anchors: Iterable[Anchor],
    workers: int | None = None,
) -> VerificationReport:
    """:func:`verify_rows` on rows given as tuples of the :data:`_READ` columns."""
    workers = workers or default_workers()
    report = VerificationReport()
    # Only what pass 2 needs is kept per record, so memory stays small on large stores.
    checked: list[_Entry] = []
    by_signed_seq: dict[int, str] = {}
    unverifiable_positions: set[Any] = set()
    verifier = JwsVerifier(public_keys)
    stored_fields = _StoredFields()

    def add(row: Mapping[str, Any], problem: Problem, message: str) -> None:
        rid = row["id"] if isinstance(row["id"], str) else repr(row["id"])
        seq = row["seq"] if isinstance(row["seq"], int) else None
        report.findings.append(Finding(seq, rid, problem, message))

    def check_row(row: Mapping[str, Any]) -> None:
        """Every pass-1 check of one row, naming each problem found."""
        signed: dict[str, Any] | None = None
        try:
            payload = verifier.verify(str(row["jws"]))
        except SignatureInvalid as exc:
            add(row, "signature", f"{exc} : enregistrement falsifié ou ajouté sans la clé.")
        else:
            try:
                value = json.loads(payload)
                if not isinstance(value, dict) or canonical_json(value) != payload:
                    raise ValueError("forme non canonique")
                signed = value
            except ValueError:
                add(row, "signature", "contenu signé illisible ou non canonique.")
        if signed is None:
            unverifiable_positions.add(row["seq"])
            checked.append(_entry(row, None))
            return
        actual_hash = sha256_hex(payload)
        stored = _signed_view(row)
        changed = sorted(
            n
            for n in COLUMNS
            if n != "seq" and (type(stored[n]) is not type(signed.get(n)) or stored[n] != signed.get(n))
        )
        if set(signed) != _SIGNED_NAMES:
            changed.append("(liste des champs signés)")
        if row["record_hash"] != actual_hash:
            changed.append("record_hash")
        if changed:
            add(row, "altered", "modifié après signature (champs : " + ", ".join(changed) + ").")
        signed_seq = signed.get("seq")
        if signed_seq != row["seq"]:
            add(
                row,
                "moved",
                f"signé pour la position n° {signed_seq} mais trouvé à la position "
                f"n° {row['seq']} (déplacé ou réordonné).",
            )
        if isinstance(signed_seq, int):
            if signed_seq in by_signed_seq:
                add(
                    row,
                    "duplicate",
                    f"une autre copie signée de la position n° {signed_seq} existe.",
                )
            else:
                by_signed_seq[signed_seq] = actual_hash
        checked.append(_entry(row, signed))

    # Pass 1: signatures and fields. Fast path for a record with nothing to report: the
    # canonical JSON of what its row stores is, byte for byte, the payload its signature
    # covers (then the payload is canonical and every field unchanged, with the same JSON
    # types), its record_hash is right and its position is new. Anything else is checked
    # again by check_row, which names the problems. Rows go by batches: the RSA checks of a
    # batch's fast-path candidates are shared between this thread and the workers
    # (``cryptography`` releases the GIL while it computes), then the batch is settled in order.
    prepare = verifier.prepare
    encode = _SORTED_JSON.encode
    count = 0
    pool = None
    if workers > 1:
        pool = ThreadPoolExecutor(max_workers=workers - 1, thread_name_prefix="attest-verify")
    try:
        for batch in _batches(rows):
            count += len(batch)
            candidates: list[tuple[tuple[Any, ...], dict[str, Any] | None, str]] = []
            jobs: list[tuple[rsa.RSAPublicKey, bytes, bytes]] = []
            for values in batch:
                stored = stored_fields(values)
                actual_hash = ""
                if stored is not None:
                    jws = values[_JWS]
                    if type(stored["seq"]) is int and type(jws) is str:
                        payload = encode(stored).encode()
                        actual_hash = sha256(payload).hexdigest()  # sha256_hex, inlined
                        job = prepare(jws, payload) if values[_RECORD_HASH] == actual_hash else None
                        if job is not None:
                            jobs.append(job)
                        else:
                            stored = None
                    else:
                        stored = None
                candidates.append((values, stored, actual_hash))
            valid = iter(_check_all(verifier, jobs, pool, workers))
            for values, stored, actual_hash in candidates:
                if stored is not None and next(valid) and stored["seq"] not in by_signed_seq:
                    seq = stored["seq"]
                    by_signed_seq[seq] = actual_hash
                    checked.append(
                        {
                            "id": stored["id"],
                            "seq": seq,
                            "verification_code": stored["verification_code"],
                            "signed": True,
                            "signed_seq": seq,
                            "prev_hash": stored["prev_hash"],
                            "kind": stored["kind"],
                            "revokes": stored["revokes"],
                        }
                    )
                else:
                    check_row(dict(zip(_READ, values, strict=True)))
    finally:
        if pool is not None:
            pool.shutdown()
    report.count = count

    # Pass 2: chain, identifiers, revocations.
    seen_ids: set[str] = set()
    seen_codes: set[str] = set()
    revoked: dict[str, bool] = {}
    for row in checked:
        if row["signed"]:
            seq = row["signed_seq"]
            if seq == 1:
                if row["prev_hash"] != GENESIS_HASH:
                    add(row, "chain", "premier enregistrement sans l'empreinte d'origine attendue.")
            elif isinstance(seq, int):
                pred = by_signed_seq.get(seq - 1)
                if pred is None:
                    if seq - 1 not in unverifiable_positions:
                        first = seq - 1
                        while (
                            first > 1
                            and first - 1 not in by_signed_seq
                            and first - 1 not in unverifiable_positions
                        ):
                            first -= 1
                        one = first == seq - 1
                        span = f"n° {first} supprimé" if one else f"n° {first} à {seq - 1} supprimés"
                        report.findings.append(
                            Finding(
                                seq - 1,
                                None,
                                "removed",
                                f"{span} : l'enregistrement n° {seq} "
                                f"(id {row['id']}) {'le' if one else 'les'} suivait.",
                            )
                        )
                elif pred != row["prev_hash"]:
                    add(
                        row,
                        "chain",
                        f"l'enregistrement n° {seq - 1} n'est pas celui qui le précédait "
                        "(remplacé ou inséré).",
                    )
        rid = row["id"]
        if rid in seen_ids:
            add(row, "duplicate", "identifiant déjà présent plus haut dans le registre.")
        seen_ids.add(rid)
        if row["verification_code"] in seen_codes:
            add(row, "duplicate", "code de vérification déjà utilisé plus haut dans le registre.")
        seen_codes.add(row["verification_code"])
        kind = row["kind"]
        if kind == "attestation":
            revoked[rid] = False
        elif kind == "revocation":
            target = row["revokes"]
            if not isinstance(target, str) or target not in revoked:
                add(row, "revocation", "révoque une attestation absente plus haut dans le registre.")
            elif revoked[target]:
                add(row, "revocation", "révoque une attestation déjà révoquée.")
            else:
                revoked[target] = True
        else:
            add(row, "altered", f"type d'enregistrement inconnu : {kind!r}.")

    if by_signed_seq:
        report.head_seq = max(by_signed_seq)
        report.head_hash = by_signed_seq[report.head_seq]
    for anchor in anchors:
        got = by_signed_seq.get(anchor.seq)
        if got is None:
            msg = (
                f"l'enregistrement n° {anchor.seq} noté lors d'une vérification antérieure "
                "est absent (registre tronqué ?)."
            )
            report.findings.append(Finding(anchor.seq, None, "anchor", msg))
        elif got != anchor.record_hash:
            msg = (
                f"l'enregistrement n° {anchor.seq} n'a plus l'empreinte notée lors d'une "
                "vérification antérieure (remplacé ?)."
            )
            report.findings.append(Finding(anchor.seq, None, "anchor", msg))
    return report


def verify_snapshot(
    reader: StoreReader,
    public_keys: Mapping[str, rsa.RSAPublicKey],
    anchors: Iterable[Anchor] = (),
    *,
    upto: int | None = None,
    workers: int | None = None,
) -> VerificationReport:
    """Verify every record of an opened store (up to position ``upto`` when given).

    The records are read from the reader's snapshot: a caller that read
    :meth:`~attest.store.StoreReader.head` first verifies exactly the records it saw.
    """
    missing = reader.missing_columns()
    if missing:
        raise StoreError(f"colonnes manquantes dans le registre : {', '.join(sorted(missing))}")
    rows = (row for batch in reader.iter_batches(_READ, after=-1, upto=upto) for row in batch)
    return _verify(rows, public_keys, anchors, workers)


def verify_store(
    db_path: Path,
    public_keys: Mapping[str, rsa.RSAPublicKey],
    anchors: Iterable[Anchor] = (),
    *,
    workers: int | None = None,
) -> VerificationReport:
    """Verify every record of the store at ``db_path`` (opened read-only).

    ``public_keys`` maps key ids to keys (see :func:`attest.keys.public_keys_by_id`).
    Removal of the last records cannot show in the chain itself: pass ``anchors`` noted
    earlier (the head printed by a previous run, a receipt) to detect a truncation.
    ``workers``: threads sharing the RSA checks (default :func:`default_workers`; 1: none).
    """
    with StoreReader(Path(db_path)) as reader:
        return verify_snapshot(reader, public_keys, anchors, workers=workers)


def verify_after(
    reader: StoreReader,
    public_keys: Mapping[str, rsa.RSAPublicKey],
    anchor: Anchor,
    *,
    upto: int | None = None,
) -> VerificationReport:
    """Verify the records appended after ``anchor``, whose records up to it were verified before.

    Checks the records from ``anchor.seq`` (included, for the chain and the anchor itself)
    to ``upto``. Findings the earlier verification already settled are dropped: the
    "removed" ones before the anchor, and revocations whose target is an attestation before
    the anchor not revoked earlier. The store is append-only and chained, so this is the
    whole store's verification restricted to the new records, at a fraction of the cost.
    """
    rows = list(reader.iter_rows(start=anchor.seq, upto=upto))
    report = verify_rows(rows, public_keys, [anchor])
    by_id = {r["id"]: r for r in rows}
    kept: list[Finding] = []
    for finding in report.findings:
        if finding.problem == "removed" and finding.seq is not None and finding.seq < anchor.seq:
            continue
        if finding.problem == "revocation" and finding.record_id in by_id:
            row = by_id[finding.record_id]
            target = row["revokes"]
            if (
                isinstance(target, str)
                and row["seq"] != anchor.seq
                and reader.is_unrevoked_attestation(target, before=anchor.seq, revoked_before=row["seq"])
            ):
                continue
        kept.append(finding)
    report.findings = kept
    return report
