"""``attest verify --against-lrs``: the LRS is an outside witness of the register's tail.

Against a real Ralph 5.1: attestations signed, enqueued and flushed as the application
does; then the register is cut, or re-signed whole with another key, or left intact.
"""

from __future__ import annotations

import hashlib
import shutil
import sqlite3
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from attest_testsupport import TEST_KEY_SIZE, Keys
from click.testing import CliRunner

from attest import AttestationRecord, AttestationStore, init_keys, load_private_key, sign_attestation
from attest.canonical import sha256_hex
from attest.delivery import enqueue_attestation, signed_record_statement
from attest.record import record_from_row
from formation_tic.cli import main
from formation_tic.settings import Settings, load_settings
from formation_tic.witness import compare_with_lrs
from lrs_export import vocabulary as V
from lrs_export.client import LrsClient
from lrs_export.local_lrs import LocalLrs, start_local_lrs
from lrs_export.outbox import Outbox
from lrs_export.sender import Sender
from lrs_export.settings import LrsSettings


@pytest.fixture(scope="module")
def lrs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalLrs]:
    with start_local_lrs(tmp_path_factory.mktemp("ralph")) as running:
        yield running


@dataclass
class Installation:
    """A data directory with the establishment's keys, talking to the test LRS."""

    data: Path
    settings: Settings

    @property
    def store(self) -> Path:
        return self.settings.paths.attestations

    def verify(self, *args: str) -> Any:
        return CliRunner().invoke(main, ["--data-dir", str(self.data), "attest", "verify", *args])

    def cli(self, *args: str) -> Any:
        result = CliRunner().invoke(main, ["--data-dir", str(self.data), *args])
        assert result.exit_code == 0, (result.output, result.exception)
        return result

    def flush(self) -> None:
        with Outbox(self.settings.paths.outbox) as outbox, Sender(outbox, self.settings.lrs) as sender:
            report = sender.flush()
        assert report.remaining == 0 and report.quarantined == 0, report


@pytest.fixture
def installation(tmp_path: Path, keys: Keys, lrs: LocalLrs, monkeypatch: pytest.MonkeyPatch) -> Installation:
    data = tmp_path / "data"
    (data / "keys").mkdir(parents=True)
    shutil.copy2(keys.files.private_key, data / "keys" / "signing-key.pem")
    shutil.copy2(keys.files.certificate, data / "keys" / "signing-cert.pem")
    # One ENA address per test: the tests share the LRS, each reads only its own statements.
    for name, value in {
        "ENDPOINT": lrs.endpoint,
        "USERNAME": lrs.username,
        "PASSWORD": lrs.password,
        "HOMEPAGE": f"https://ena-{uuid.uuid4().hex[:10]}.example",
    }.items():
        monkeypatch.setenv(f"FORMATION_TIC_LRS_{name}", value)
    return Installation(data, load_settings(data_dir=data))


def sign_and_send(
    inst: Installation,
    sign_one: Callable[..., AttestationRecord],
    keys: Keys,
    numbers: list[str],
    *,
    flush: bool = True,
) -> list[AttestationRecord]:
    """Sign attestations and enqueue them as the application does; flush unless told not to."""
    records = []
    with AttestationStore(inst.store) as store, Outbox(inst.settings.paths.outbox) as outbox:
        for number in numbers:
            record = sign_one(store, employee_number=number)
            enqueue_attestation(
                record, outbox, inst.settings.lrs, keys.private, keys.files.certificate.read_bytes()
            )
            records.append(record)
    if flush:
        inst.flush()
    return records


def tamper(path: Path, sql: str, params: tuple[Any, ...] = ()) -> None:
    conn = sqlite3.connect(path)
    conn.execute("DROP TRIGGER IF EXISTS attestations_no_update")
    conn.execute("DROP TRIGGER IF EXISTS attestations_no_delete")
    conn.execute(sql, params)
    conn.commit()
    conn.close()


def test_intact_register_agrees_with_the_lrs(
    installation: Installation, sign_one: Callable[..., AttestationRecord], keys: Keys
) -> None:
    sign_and_send(installation, sign_one, keys, ["5001", "5002", "5003"])
    result = installation.verify("--against-lrs")
    assert result.exit_code == 0, result.output
    assert "Registre intègre : 3\u00a0enregistrements" in result.output
    assert (
        "3\u00a0enregistrements concordent avec le LRS, qui connaît le registre jusqu'au n° 3"
        in result.output
    )
    assert "ANOMALIES" not in result.output


def test_cut_off_tail_is_named(
    installation: Installation, sign_one: Callable[..., AttestationRecord], keys: Keys
) -> None:
    records = sign_and_send(installation, sign_one, keys, ["5001", "5002", "5003"])
    tamper(installation.store, "DELETE FROM attestations WHERE seq = 3")
    alone = installation.verify()
    assert alone.exit_code == 0, alone.output  # without a witness, a shorter chain looks valid
    result = installation.verify("--against-lrs")
    assert result.exit_code == 1, result.output
    assert "ANOMALIES (comparaison avec le LRS) : 1\u00a0problème ;" in result.output
    assert "le LRS connaît le registre jusqu'au n° 3, le registre s'arrête au n° 2" in result.output
    assert f"n° 3 (id {records[2].id}) : absent du registre" in result.output
    assert "fin du registre coupée" in result.output


def test_whole_chain_resigned_with_a_new_key_is_caught(
    installation: Installation, sign_one: Callable[..., AttestationRecord], keys: Keys, tmp_path: Path
) -> None:
    records = sign_and_send(installation, sign_one, keys, ["5001", "5002", "5003"])
    # The forger has no old key: a new key signs the very same records (same fields, same
    # chain, same record_hash), and its certificate replaces the establishment's.
    forged = init_keys(
        tmp_path / "k.pem",
        tmp_path / "c.pem",
        tmp_path / "p.pem",
        establishment="Faussaire",
        key_size=TEST_KEY_SIZE,
    )
    new_key = load_private_key(forged.private_key)
    with AttestationStore(installation.store, create=False) as store:
        rows = list(store.rows())
    for row in rows:
        fields = record_from_row(row).signed_fields()
        payload, jws = sign_attestation(fields, new_key)
        assert sha256_hex(payload) == row["record_hash"]
        tamper(installation.store, "UPDATE attestations SET jws = ? WHERE seq = ?", (jws, row["seq"]))
    shutil.copy2(forged.certificate, installation.data / "keys" / "signing-cert.pem")
    alone = installation.verify()
    assert alone.exit_code == 0, alone.output  # the forged register verifies with the forged certificate
    result = installation.verify("--against-lrs")
    assert result.exit_code == 1, result.output
    assert "ANOMALIES (comparaison avec le LRS) : 3\u00a0problèmes" in result.output
    for record in records:
        assert f"n° {record.seq} (id {record.id}) : remplacé" in result.output
    assert "autre empreinte de signature" in result.output


def test_revocations_pending_and_undelivered_records(
    installation: Installation, sign_one: Callable[..., AttestationRecord], keys: Keys
) -> None:
    first, _second = sign_and_send(installation, sign_one, keys, ["5001", "5002"])
    installation.cli("attest", "revoke", first.id, "--reason", "Erreur de saisie")
    result = installation.verify("--against-lrs")
    assert result.exit_code == 0, result.output  # not yet sent: a note, not an anomaly
    assert "Note : n° 3" in result.output and "en attente d'envoi" in result.output
    installation.flush()
    result = installation.verify("--against-lrs")
    assert result.exit_code == 0, result.output
    assert "3\u00a0enregistrements concordent" in result.output and "Note" not in result.output
    # A record the LRS never got and the outbox does not hold (enqueue lost): an anomaly.
    with AttestationStore(installation.store) as store:
        lost = sign_one(store, employee_number="5004")
    result = installation.verify("--against-lrs")
    assert result.exit_code == 1, result.output
    assert f"n° 4 (id {lost.id}) : non transmis" in result.output and "jamais mise en file" in result.output


def test_without_an_lrs_the_option_is_a_french_error(
    installation: Installation, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("FORMATION_TIC_LRS_ENDPOINT")
    with AttestationStore(installation.store):
        pass
    result = installation.verify("--against-lrs")
    assert result.exit_code == 1 and "aucun LRS à interroger" in result.output


# --- an xAPI LRS that implements voiding; statements of others in the same LRS --------------------


class SpecLrs:
    """Queries by verb hide voided statements; ``voidedStatementId`` returns them."""

    def __init__(self, statements: list[dict[str, Any]]) -> None:
        self.by_id = {s["id"]: s for s in statements}
        self.voided = {s["object"]["id"] for s in statements if s["verb"]["id"] == V.VERBS["voided"][0]}
        self.asked_voided: list[str] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        params = request.url.params
        if "statementId" in params:
            sid = params["statementId"]
            ok = sid in self.by_id and sid not in self.voided
            return httpx.Response(200, json=self.by_id[sid]) if ok else httpx.Response(404)
        if "voidedStatementId" in params:
            sid = params["voidedStatementId"]
            self.asked_voided.append(sid)
            ok = sid in self.voided and sid in self.by_id
            return httpx.Response(200, json=self.by_id[sid]) if ok else httpx.Response(404)
        shown = [
            s
            for s in self.by_id.values()
            if s["id"] not in self.voided and s["verb"]["id"] == params.get("verb", s["verb"]["id"])
        ]
        return httpx.Response(200, json={"statements": shown})


def test_voided_statements_hidden_by_the_lrs_and_other_installations(
    tmp_path: Path, sign_one: Callable[..., AttestationRecord], keys: Keys
) -> None:
    ours = LrsSettings(
        homepage="https://ena.example", statement_mode="jws-extension", platform="formation-tic-a"
    )
    theirs = ours.model_copy(update={"platform": "formation-tic-b"})
    with AttestationStore(tmp_path / "a.db") as store:
        first = sign_one(store, employee_number="6001")
        second = sign_one(store, employee_number="6002")
        revocation = store.revoke(first.id, "Erreur", keys.private)
        records = [first, second, revocation]
    with AttestationStore(tmp_path / "b.db") as other:  # another installation, same seqs
        foreign = [sign_one(other, employee_number=n) for n in ("6101", "6102", "6103", "6104")]
    statements = [signed_record_statement(r, ours, keys.private)[0] for r in records]
    statements += [signed_record_statement(r, theirs, keys.private)[0] for r in foreign]
    lrs = SpecLrs(statements)
    client = LrsClient(
        ours.model_copy(update={"endpoint": "http://lrs.test/xAPI/"}),
        http=httpx.Client(base_url="http://lrs.test/xAPI/", transport=httpx.MockTransport(lrs)),
    )
    report = compare_with_lrs(tmp_path / "a.db", client, homepage=ours.homepage, platform=ours.platform)
    assert report.ok, [str(f) for f in report.anomalies]
    assert (report.matched, report.lrs_head, report.notes) == (3, 3, [])
    assert lrs.asked_voided == [first.id]  # the revoked attestation, asked by voidedStatementId

    # A statement claiming position 2 under another id (e.g. posted to hide a replacement).
    intruder = signed_record_statement(second, ours, keys.private)[0]
    intruder["id"] = str(uuid.uuid4())
    lrs.by_id[intruder["id"]] = intruder
    report = compare_with_lrs(tmp_path / "a.db", client, homepage=ours.homepage, platform=ours.platform)
    assert [(f.seq, f.problem, f.record_id) for f in report.anomalies] == [(2, "replaced", intruder["id"])]


def test_what_the_lrs_keeps_is_the_digest_of_the_jws(
    tmp_path: Path, sign_one: Callable[..., AttestationRecord], keys: Keys
) -> None:
    with AttestationStore(tmp_path / "a.db") as store:
        record = sign_one(store, employee_number="6001")
    statement, _ = signed_record_statement(record, LrsSettings(), keys.private)
    extensions = statement["context"]["extensions"]
    assert extensions[V.EXT_REGISTER_SEQ] == 1
    assert extensions[V.EXT_REGISTER_WITNESS] == hashlib.sha256(record.jws.encode("ascii")).hexdigest()
    assert extensions[V.EXT_REGISTER_WITNESS] != record.record_hash
