"""The register's statements through lrs_export's outbox, in both modes: an attestation's
``accept``, a revocation's ``voided``; the statement itself is signed, never the record."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable
from email import policy
from email.parser import BytesParser
from pathlib import Path

import jwt
import pytest
from attest_testsupport import Keys
from cryptography import x509
from ralph.models.xapi.base.statements import BaseXapiStatement

from attest import AttestationRecord, AttestationStore, AttestError, key_id, verify_jws
from attest.delivery import EXT_VERIFICATION_CODE, enqueue_attestation, enqueue_record, enqueue_revocation
from lrs_export import vocabulary as V
from lrs_export.capabilities import to_jws_extension, verify_jws_extension_form
from lrs_export.client import LrsClient, multipart_body
from lrs_export.local_lrs import start_local_lrs
from lrs_export.outbox import Outbox
from lrs_export.sender import Sender
from lrs_export.settings import LrsSettings
from lrs_export.signature import verify_jws_extension, verify_signed_statement

HOMEPAGE = "https://ena.cisss-laurentides.example"


def _record(tmp_path: Path, sign_one: Callable[..., AttestationRecord]) -> AttestationRecord:
    with AttestationStore(tmp_path / "a.db") as store:
        return sign_one(store, employee_number="8001")


def test_signed_multipart_body_parses_back(
    tmp_path: Path, keys: Keys, sign_one: Callable[..., AttestationRecord]
) -> None:
    record = _record(tmp_path, sign_one)
    settings = LrsSettings(homepage=HOMEPAGE)  # default mode: signed-multipart
    assert settings.statement_mode == "signed-multipart"
    cert_pem = keys.files.certificate.read_bytes()
    with Outbox(tmp_path / "outbox.db") as outbox:
        sid = enqueue_attestation(record, outbox, settings, keys.private, cert_pem)
        assert enqueue_attestation(record, outbox, settings, keys.private, cert_pem) == sid
        (pending,) = outbox.next_batch(10)
    assert sid == record.id == pending.id

    body, content_type = multipart_body(("[" + pending.body + "]").encode(), list(pending.attachments))
    message = BytesParser(policy=policy.HTTP).parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + body
    )
    assert message.get_content_type() == "multipart/mixed"
    parts = list(message.iter_parts())
    assert [p.get_content_type() for p in parts] == ["application/json", "application/octet-stream"]
    (statement,) = json.loads(parts[0].get_payload(decode=True))
    jws_bytes = parts[1].get_payload(decode=True)
    assert parts[1]["X-Experience-API-Hash"] == hashlib.sha256(jws_bytes).hexdigest()

    (entry,) = statement["attachments"]
    assert entry["usageType"] == "http://adlnet.gov/expapi/attachments/signature"
    assert entry["sha2"] == hashlib.sha256(jws_bytes).hexdigest()
    assert statement["verb"]["id"] == "http://activitystrea.ms/schema/1.0/accept"
    assert statement["object"]["id"] == V.form_iri(record.form_version)
    assert statement["actor"]["account"] == {"homePage": HOMEPAGE, "name": "8001"}
    assert statement["context"]["registration"] == record.quiz_registration
    assert statement["result"]["extensions"][EXT_VERIFICATION_CODE] == record.verification_code
    assert record.full_name not in json.dumps(statement)  # no names sent to the LRS

    public_key = keys.public[next(iter(keys.public))]
    payload = jwt.PyJWS().decode(jws_bytes, public_key, algorithms=["RS256"])
    without = {k: v for k, v in statement.items() if k != "attachments"}
    assert json.loads(payload) == without
    assert verify_signed_statement(statement, jws_bytes, public_key)
    x5c = jwt.get_unverified_header(jws_bytes)["x5c"]
    cert = x509.load_der_x509_certificate(base64.b64decode(x5c[0]))
    assert cert == x509.load_pem_x509_certificate(cert_pem)
    # A single changed byte in the statement breaks the signature.
    statement["result"]["extensions"][EXT_VERIFICATION_CODE] = "ZZZZZ-ZZZZZ"
    assert not verify_signed_statement(statement, jws_bytes, public_key)


def test_jws_extension_mode_signs_the_statement_not_the_record_and_reaches_a_real_lrs(
    tmp_path: Path, keys: Keys, sign_one: Callable[..., AttestationRecord]
) -> None:
    record = _record(tmp_path, sign_one)
    public_key = keys.public[next(iter(keys.public))]
    with start_local_lrs(tmp_path / "ralph") as lrs:
        settings = lrs.settings(statement_mode="jws-extension", homepage=HOMEPAGE)
        with Outbox(tmp_path / "outbox.db") as outbox:
            sid = enqueue_attestation(record, outbox, settings, keys.private)
            (pending,) = outbox.next_batch(10)
            assert pending.attachments == ()
            with Sender(outbox, settings) as sender:
                report = sender.flush()
            assert outbox.counts()["pending"] == 0, report
        with LrsClient(settings) as client:
            stored = client.get_statement(sid)
    assert stored is not None and stored["version"] == "1.0.3"
    extensions = stored["result"]["extensions"]
    assert extensions[EXT_VERIFICATION_CODE] == record.verification_code
    token = extensions[V.EXT_JWS]
    assert token != record.jws and jwt.get_unverified_header(token)["kid"] == key_id(public_key)
    # The JWS signs the statement itself: its payload is the stored statement minus the JWS
    # and what the LRS adds -- nothing the LRS does not already see.
    signed = json.loads(verify_jws(token, keys.public))
    assert "full_name" not in signed and "employee_number" not in signed
    assert signed["id"] == record.id and signed["version"] == "1.0.3"
    without = json.loads(json.dumps(stored))
    del without["result"]["extensions"][V.EXT_JWS]
    assert {k: v for k, v in without.items() if k not in ("stored", "authority")} == signed
    assert verify_jws_extension(stored, public_key)
    assert verify_jws_extension_form(stored, public_key)  # the sender's fallback checks it the same way
    forged = json.loads(json.dumps(stored))
    forged["context"]["extensions"][V.EXT_REGISTER_SEQ] += 1
    assert not verify_jws_extension(forged, public_key)
    # The record's place in the register: its position and the digest of its JWS, not record_hash.
    ctx = stored["context"]["extensions"]
    assert ctx[V.EXT_REGISTER_SEQ] == record.seq
    assert ctx[V.EXT_REGISTER_WITNESS] == hashlib.sha256(record.jws.encode()).hexdigest()
    assert record.record_hash not in json.dumps(stored)


def test_both_modes_send_the_same_statement(
    tmp_path: Path, keys: Keys, sign_one: Callable[..., AttestationRecord]
) -> None:
    """jws-extension mode = the sender's fallback form of signed-multipart (same JSON)."""
    record = _record(tmp_path, sign_one)
    with Outbox(tmp_path / "a.db") as multipart, Outbox(tmp_path / "b.db") as extension:
        enqueue_attestation(record, multipart, LrsSettings(homepage=HOMEPAGE), keys.private)
        enqueue_attestation(
            record, extension, LrsSettings(homepage=HOMEPAGE, statement_mode="jws-extension"), keys.private
        )
        (signed,) = multipart.next_batch(1)
        (plain,) = extension.next_batch(1)
    converted = to_jws_extension(signed)
    assert converted is not None and converted.body == plain.body


def test_revocation_becomes_a_voiding_statement(
    tmp_path: Path, keys: Keys, sign_one: Callable[..., AttestationRecord]
) -> None:
    with AttestationStore(tmp_path / "a.db") as store:
        attestation = sign_one(
            store,
            employee_number="8001",
            full_name="Zéphirine Quenneville",
            signature="Zéphirine Quenneville",
        )
        revocation = store.revoke(
            attestation.id, "Zéphirine Quenneville a signé pour une autre", keys.private
        )
    public_key = keys.public[next(iter(keys.public))]
    for mode in ("signed-multipart", "jws-extension"):
        settings = LrsSettings(
            homepage=HOMEPAGE, statement_mode=mode, platform="formation-tic-cissslaurentides"
        )
        with Outbox(tmp_path / f"{mode}.db") as outbox:
            sid = enqueue_revocation(revocation, outbox, settings, keys.private)
            assert enqueue_record(revocation, outbox, settings, keys.private) == sid  # idempotent
            (pending,) = outbox.next_batch(10)
        statement = json.loads(pending.body)
        assert sid == revocation.id == statement["id"]
        assert statement["version"] == "1.0.3"
        assert statement["verb"] == {
            "id": "http://adlnet.gov/expapi/verbs/voided",
            "display": {"fr-CA": "a annulé"},
        }
        assert statement["object"] == {"objectType": "StatementRef", "id": attestation.id}
        # The establishment's installation voids; never the person, never a name.
        assert statement["actor"] == {
            "objectType": "Agent",
            "account": {"name": "formation-tic-cissslaurentides", "homePage": HOMEPAGE},
        }
        context = statement["context"]
        assert "platform" not in context and "registration" not in context  # object is no Activity
        assert context["extensions"][V.EXT_REGISTER_SEQ] == revocation.seq == 2
        assert (
            context["extensions"][V.EXT_REGISTER_WITNESS]
            == hashlib.sha256(revocation.jws.encode()).hexdigest()
        )
        assert "result" not in statement or set(statement["result"]["extensions"]) == {V.EXT_JWS}
        text = json.dumps(statement, ensure_ascii=False)
        assert "Quenneville" not in text and "autre" not in text and "8001" not in text
        BaseXapiStatement.model_validate(statement)
        if mode == "signed-multipart":
            (attachment,) = pending.attachments
            assert verify_signed_statement(statement, attachment.content, public_key)
        else:
            assert pending.attachments == () and verify_jws_extension(statement, public_key)


def test_an_attestation_is_not_enqueued_as_a_revocation_and_back(
    tmp_path: Path, keys: Keys, sign_one: Callable[..., AttestationRecord]
) -> None:
    with AttestationStore(tmp_path / "a.db") as store:
        attestation = sign_one(store, employee_number="8001")
        revocation = store.revoke(attestation.id, "Erreur", keys.private)
    settings = LrsSettings(homepage=HOMEPAGE)
    with Outbox(tmp_path / "o.db") as outbox:
        with pytest.raises(AttestError):
            enqueue_attestation(revocation, outbox, settings, keys.private)
        with pytest.raises(AttestError):
            enqueue_revocation(attestation, outbox, settings, keys.private)
        with pytest.raises(AttestError):
            enqueue_record(
                attestation, outbox, settings.model_copy(update={"statement_mode": "x"}), keys.private
            )
        assert outbox.counts()["pending"] == 0
