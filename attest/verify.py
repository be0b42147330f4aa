"""Offline verification of a store: every signature, every field, the chain, the order.

Needs only the SQLite file and the establishment's public key(s) or certificate(s).
Each problem is reported against the record where it shows, named by its position
(``n°``), its id and its employee number (never a name).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from cryptography.hazmat.primitives.asymmetric import rsa

from .canonical import canonical_json, sha256_hex
from .errors import StoreError
from .record import COLUMNS, GENESIS_HASH, from_column
from .signing import SignatureInvalid, verify_jws
from .store import StoreReader

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


@dataclass(frozen=True)
class Finding:
    """One problem found on one record (``seq``/``record_id`` None for store-wide ones)."""

    seq: int | None
    record_id: str | None
    problem: Problem
    message: str

    def __str__(self) -> str:
        where = f"n° {self.seq}" if self.seq is not None else "registre"
        if self.record_id:
            where += f" (id {self.record_id})"
        return f"{where} : {PROBLEM_LABELS[self.problem]} – {self.message}"


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


_Entry = dict[str, Any]


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
) -> VerificationReport:
    """Check rows given in stored ``seq`` order (see :func:`verify_store`).

    The chain is followed by signed position: each record must name, as ``prev_hash``,
    the hash of the record signed at the position just before its own, and sit at the
    position it was signed for.
    """
    report = VerificationReport()
    # Only what pass 2 needs is kept per record, so memory stays small on large stores.
    checked: list[_Entry] = []
    by_signed_seq: dict[int, str] = {}
    unverifiable_positions: set[Any] = set()

    def add(row: Mapping[str, Any], problem: Problem, message: str) -> None:
        rid = row["id"] if isinstance(row["id"], str) else repr(row["id"])
        seq = row["seq"] if isinstance(row["seq"], int) else None
        report.findings.append(Finding(seq, rid, problem, message))

    # Pass 1: signatures and fields.
    for row in rows:
        report.count += 1
        signed: dict[str, Any] | None = None
        try:
            payload = verify_jws(str(row["jws"]), public_keys)
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
            continue
        actual_hash = sha256_hex(payload)
        stored = _signed_view(row)
        changed = sorted(
            n
            for n in COLUMNS
            if n != "seq" and (type(stored[n]) is not type(signed.get(n)) or stored[n] != signed.get(n))
        )
        if set(signed) != set(COLUMNS):
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
                        span = f"n° {first}" if first == seq - 1 else f"n° {first} à {seq - 1}"
                        report.findings.append(
                            Finding(
                                seq - 1,
                                None,
                                "removed",
                                f"{span} supprimé(s) : l'enregistrement n° {seq} "
                                f"(id {row['id']}) le(s) suivait.",
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
) -> VerificationReport:
    """Verify every record of an opened store (up to position ``upto`` when given).

    The records are read from the reader's snapshot: a caller that read
    :meth:`~attest.store.StoreReader.head` first verifies exactly the records it saw.
    """
    missing = reader.missing_columns()
    if missing:
        raise StoreError(f"colonnes manquantes dans le registre : {', '.join(sorted(missing))}")
    return verify_rows(reader.iter_rows(upto=upto), public_keys, anchors)


def verify_store(
    db_path: Path,
    public_keys: Mapping[str, rsa.RSAPublicKey],
    anchors: Iterable[Anchor] = (),
) -> VerificationReport:
    """Verify every record of the store at ``db_path`` (opened read-only).

    ``public_keys`` maps key ids to keys (see :func:`attest.keys.public_keys_by_id`).
    Removal of the last records cannot show in the chain itself: pass ``anchors`` noted
    earlier (the head printed by a previous run, a receipt) to detect a truncation.
    """
    with StoreReader(Path(db_path)) as reader:
        return verify_snapshot(reader, public_keys, anchors)


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
