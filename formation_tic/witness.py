"""The register's tail has an outside witness: the LRS.

Each record of the attestation register leaves for the LRS as a signed statement (an
``accept`` for an attestation, a ``voided`` for a revocation, see :mod:`attest.delivery`)
whose id is the record's id and whose ``context.extensions`` hold the record's position
(:data:`~lrs_export.vocabulary.EXT_REGISTER_SEQ`) and the SHA-256 of its JWS
(:data:`~lrs_export.vocabulary.EXT_REGISTER_WITNESS`). The LRS keeps statements: it
never changes nor deletes one, and refuses another statement under the same id. So what it
holds is what the register was when each record was sent.

:func:`compare_with_lrs` reads the register and the LRS's attestation statements and names:

* **anomalies** (the register no longer is what the LRS saw): a position the LRS knows and
  the register lacks (cut-off tail, removed record), a position where the register holds
  another record or the same record signed otherwise (replaced, re-signed with another
  key), a record the LRS knows at another position; and records the register has that
  never reached the LRS although they are no longer waiting (marked sent, quarantined,
  in conflict, never enqueued);
* **notes**: records not yet delivered but pending in the outbox, and statements sent
  before positions existed (they can be matched by id only).

It needs no key: it compares values. Only the LRS statements of this installation are
read: ``accept`` statements whose actor's ``homePage`` is the ENA's and whose
``context.platform`` is ``LrsSettings.platform``, and ``voided`` statements whose actor is
the installation's account (``homePage`` + ``platform``). Several installations writing to
one LRS with the same ENA address must each have their own ``platform``.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from attest.delivery import register_witness
from attest.store import StoreReader
from attest.verify import finding_line
from lrs_export import vocabulary as V
from lrs_export.client import LrsClient
from lrs_export.outbox import Outbox
from lrs_export.reconcile import find_statement

ACCEPT = V.VERBS["accepted"][0]
VOIDED = V.VERBS["voided"][0]
FORM_PREFIX = V.form_iri("")

Problem = Literal["cut", "replaced", "moved", "unknown", "undelivered"]

PROBLEM_LABELS: dict[str, str] = {
    "cut": "absent du registre",
    "replaced": "remplacé",
    "moved": "déplacé",
    "unknown": "inconnu du registre",
    "undelivered": "non transmis",
    "pending": "en attente d'envoi",
    "legacy": "sans position",
}


@dataclass(frozen=True)
class LrsEntry:
    """One attestation statement of this installation, as the LRS holds it."""

    statement_id: str
    kind: Literal["attestation", "revocation"]
    seq: int | None
    """The record's position (None: sent before positions were sent)."""
    witness: str | None
    stored: str | None
    voided: bool = False
    """Found only by ``voidedStatementId`` (an xAPI LRS hides voided statements)."""


@dataclass(frozen=True)
class WitnessFinding:
    """One difference between the register and the LRS (no names: positions and ids)."""

    seq: int | None
    record_id: str | None
    problem: str
    message: str

    def __str__(self) -> str:
        return finding_line(
            self.seq, self.record_id, PROBLEM_LABELS.get(self.problem, self.problem), self.message
        )


@dataclass
class WitnessReport:
    """Result of :func:`compare_with_lrs`."""

    register_records: int = 0
    register_head: int = 0
    lrs_statements: int = 0
    lrs_head: int | None = None
    """Highest position the LRS knows (None: no statement with a position)."""
    matched: int = 0
    anomalies: list[WitnessFinding] = field(default_factory=list)
    notes: list[WitnessFinding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when the LRS saw nothing the register no longer holds, and nothing is lost."""
        return not self.anomalies

    def anomaly_positions(self) -> list[int]:
        """Positions named by an anomaly, sorted."""
        return sorted({f.seq for f in self.anomalies if f.seq is not None})


@dataclass(frozen=True)
class _Record:
    seq: int
    id: str
    kind: str
    revokes: str | None
    witness: str


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, dict) else {}


def lrs_entry(statement: Mapping[str, Any], homepage: str, platform: str) -> LrsEntry | None:
    """The register entry a statement is, if it is one of this installation's; else None."""
    verb = (statement.get("verb") or {}).get("id")
    obj = _mapping(statement.get("object"))
    account = _mapping(_mapping(statement.get("actor")).get("account"))
    context = _mapping(statement.get("context"))
    kind: Literal["attestation", "revocation"]
    if verb == ACCEPT:
        object_id = obj.get("id")
        if not (isinstance(object_id, str) and object_id.startswith(FORM_PREFIX)):
            return None
        if account.get("homePage") != homepage or context.get("platform") != platform:
            return None
        kind = "attestation"
    elif verb == VOIDED:
        if account != {"homePage": homepage, "name": platform} or obj.get("objectType") != "StatementRef":
            return None
        kind = "revocation"
    else:
        return None
    ext = _mapping(context.get("extensions"))
    seq = ext.get(V.EXT_REGISTER_SEQ)
    witness = ext.get(V.EXT_REGISTER_WITNESS)
    return LrsEntry(
        statement_id=str(statement.get("id")),
        kind=kind,
        seq=seq if type(seq) is int else None,
        witness=witness if isinstance(witness, str) else None,
        stored=statement.get("stored") if isinstance(statement.get("stored"), str) else None,
    )


def _register(store_path: Path) -> tuple[dict[int, _Record], dict[str, _Record], int]:
    with StoreReader(store_path) as reader:
        head = reader.head()
        by_seq: dict[int, _Record] = {}
        for seq, rid, kind, revokes, jws in reader.iter_values(
            ("seq", "id", "kind", "revokes", "jws"), upto=head.seq
        ):
            witness = register_witness(jws) if isinstance(jws, str) and jws.isascii() else ""
            by_seq[int(seq)] = _Record(int(seq), str(rid), str(kind), revokes, witness)
    by_id = {r.id: r for r in by_seq.values()}
    return by_seq, by_id, head.seq


def _lrs_entries(client: LrsClient, homepage: str, platform: str) -> list[LrsEntry]:
    entries: list[LrsEntry] = []
    for verb in (ACCEPT, VOIDED):
        for page, _more in client.iter_pages({"verb": verb}):
            for statement in page:
                entry = lrs_entry(statement, homepage, platform)
                if entry is not None:
                    entries.append(entry)
    return entries


def _when(entry: LrsEntry) -> str:
    if not entry.stored:
        return ""
    try:
        stored = dt.datetime.fromisoformat(entry.stored.replace("Z", "+00:00"))
    except ValueError:
        return ""
    return f" le {stored.astimezone(dt.UTC):%Y-%m-%d à %H:%M} UTC"


_KIND_LABELS = {"attestation": "attestation", "revocation": "révocation"}


def compare_with_lrs(
    store_path: Path,
    client: LrsClient,
    *,
    homepage: str,
    platform: str,
    outbox: Outbox | None = None,
    progress: Callable[[str], None] | None = None,
) -> WitnessReport:
    """Compare the register at ``store_path`` with what the LRS of ``client`` holds.

    ``homepage`` and ``platform`` select this installation's statements (see the module
    docstring); ``outbox`` (None: unknown) tells which undelivered records are still
    waiting to be sent (a note) rather than lost (an anomaly).
    """
    report = WitnessReport()
    by_seq, by_id, head = _register(Path(store_path))
    report.register_records = len(by_seq)
    report.register_head = head
    if progress is not None:
        progress("Lecture des énoncés d'attestation du LRS…")
    entries = _lrs_entries(client, homepage, platform)
    report.lrs_statements = len(entries)
    seen: set[str] = set()
    _compare(report, entries, by_seq, by_id, head, seen)

    # Records the listing did not show: an xAPI LRS hides voided statements from queries
    # (the revoked attestations); a statement marked sent is asked for by id.
    revoked = {r.revokes for r in by_seq.values() if r.kind == "revocation" and r.revokes}
    unseen = [r for r in by_seq.values() if r.id not in seen]
    statuses = _outbox_statuses(outbox, [r.id for r in unseen])
    fetched: list[LrsEntry] = []
    for record in unseen:
        status = statuses.get(record.id)
        if record.id in revoked or (status is not None and status[0] == "sent"):
            statement, voided = find_statement(client, record.id)
            entry = lrs_entry(statement, homepage, platform) if statement is not None else None
            if entry is not None:
                fetched.append(
                    LrsEntry(entry.statement_id, entry.kind, entry.seq, entry.witness, entry.stored, voided)
                )
    report.lrs_statements += len(fetched)
    _compare(report, fetched, by_seq, by_id, head, seen)

    for record in by_seq.values():
        if record.id in seen:
            continue
        _undelivered(report, record, statuses.get(record.id), outbox is not None)
    report.anomalies.sort(key=lambda f: (f.seq if f.seq is not None else -1, f.problem))
    report.notes.sort(key=lambda f: (f.seq if f.seq is not None else -1, f.problem))
    return report


def _compare(
    report: WitnessReport,
    entries: Iterable[LrsEntry],
    by_seq: Mapping[int, _Record],
    by_id: Mapping[str, _Record],
    head: int,
    seen: set[str],
) -> None:
    """Place each LRS entry against the register (matches, anomalies, legacy notes)."""
    positions: dict[int, list[LrsEntry]] = defaultdict(list)
    for entry in entries:
        if entry.seq is None:
            record = by_id.get(entry.statement_id)
            if record is not None:
                seen.add(record.id)
                report.matched += 1
                report.notes.append(
                    WitnessFinding(
                        record.seq,
                        record.id,
                        "legacy",
                        "le LRS a cet énoncé, envoyé avant que la position dans le registre soit "
                        "transmise : seule sa présence est vérifiée.",
                    )
                )
            else:
                report.notes.append(
                    WitnessFinding(
                        None,
                        entry.statement_id,
                        "legacy",
                        f"énoncé de {_KIND_LABELS[entry.kind]} du LRS{_when(entry)}, sans position, "
                        "dont le registre n'a pas l'identifiant (à examiner).",
                    )
                )
            continue
        positions[entry.seq].append(entry)
        report.lrs_head = max(report.lrs_head or 0, entry.seq)
    for seq in sorted(positions):
        for entry in positions[seq]:
            _place(report, entry, seq, by_seq, by_id, head, seen)


def _place(
    report: WitnessReport,
    entry: LrsEntry,
    seq: int,
    by_seq: Mapping[int, _Record],
    by_id: Mapping[str, _Record],
    head: int,
    seen: set[str],
) -> None:
    kind = _KIND_LABELS[entry.kind]
    when = _when(entry)
    here = by_seq.get(seq)
    if here is not None and here.id == entry.statement_id:
        seen.add(here.id)
        if here.witness == entry.witness and here.kind == entry.kind:
            report.matched += 1
            return
        report.anomalies.append(
            WitnessFinding(
                seq,
                here.id,
                "replaced",
                f"le LRS a reçu{when} cet enregistrement avec une autre empreinte de signature : "
                "le registre le contient modifié, ou signé de nouveau (avec une autre clé ?).",
            )
        )
        return
    elsewhere = by_id.get(entry.statement_id)
    if elsewhere is not None:
        seen.add(elsewhere.id)
        report.anomalies.append(
            WitnessFinding(
                seq,
                entry.statement_id,
                "moved",
                f"le LRS a reçu{when} cet enregistrement à la position n° {seq} ; le registre le "
                f"place au n° {elsewhere.seq} (registre réordonné ou réécrit).",
            )
        )
        return
    if here is not None:
        report.anomalies.append(
            WitnessFinding(
                seq,
                entry.statement_id,
                "replaced",
                f"le LRS a reçu{when} une {kind} à cette position ; le registre y a un autre "
                f"enregistrement (id {here.id}) : enregistrement remplacé.",
            )
        )
        return
    if seq > head:
        message = (
            f"le LRS a reçu{when} une {kind} à cette position ; le registre s'arrête au n° {head} "
            "(fin du registre coupée)."
        )
        report.anomalies.append(WitnessFinding(seq, entry.statement_id, "cut", message))
        return
    report.anomalies.append(
        WitnessFinding(
            seq,
            entry.statement_id,
            "cut",
            f"le LRS a reçu{when} une {kind} à cette position ; le registre ne l'a plus "
            "(enregistrement supprimé).",
        )
    )


def _outbox_statuses(outbox: Outbox | None, ids: list[str]) -> dict[str, tuple[str, str | None]]:
    """(status, reason) of each of ``ids`` the outbox holds."""
    if outbox is None:
        return {}
    found: dict[str, tuple[str, str | None]] = {}
    for rid in ids:
        row = outbox.get(rid)
        if row is not None:
            found[rid] = (str(row["status"]), row.get("reason"))
    return found


def _undelivered(
    report: WitnessReport, record: _Record, status: tuple[str, str | None] | None, has_outbox: bool
) -> None:
    kind = _KIND_LABELS.get(record.kind, record.kind)
    if status is not None and status[0] == "pending":
        report.notes.append(
            WitnessFinding(
                record.seq,
                record.id,
                "pending",
                f"{kind} pas encore reçue par le LRS : elle attend dans la boîte d'envoi "
                "(« formation-tic lrs flush »).",
            )
        )
        return
    if status is None:
        detail = (
            "absente de la boîte d'envoi : jamais mise en file pour le LRS"
            if has_outbox
            else "état d'envoi inconnu (pas de boîte d'envoi)"
        )
    elif status[0] == "sent":
        detail = "marquée envoyée, mais le LRS ne l'a pas (voir « formation-tic lrs reconcile »)"
    else:
        label = "en quarantaine" if status[0] == "quarantined" else "en conflit"
        detail = f"{label} dans la boîte d'envoi ({(status[1] or '')[:160]})"
    report.anomalies.append(
        WitnessFinding(record.seq, record.id, "undelivered", f"{kind} inconnue du LRS : {detail}.")
    )
