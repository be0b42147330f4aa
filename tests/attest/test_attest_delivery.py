"""The attestation's ``accept`` statement through lrs_export's outbox, in both modes."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable
from email import policy
from email.parser import BytesParser
from pathlib import Path

import jwt
from attest_testsupport import Keys
from cryptography import x509

from attest import AttestationRecord, AttestationStore, verify_jws
from attest.delivery import EXT_VERIFICATION_CODE, enqueue_attestation
from lrs_export import vocabulary as V
from lrs_export.client import LrsClient, multipart_body
from lrs_export.local_lrs import start_local_lrs
from lrs_export.outbox import Outbox
from lrs_export.sender import Sender
from lrs_export.settings import LrsSettings
from lrs_export.signature import verify_signed_statement

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


def test_jws_extension_mode_reaches_a_real_lrs_and_verifies(
    tmp_path: Path, keys: Keys, sign_one: Callable[..., AttestationRecord]
) -> None:
    record = _record(tmp_path, sign_one)
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
    assert stored is not None
    extensions = stored["result"]["extensions"]
    assert extensions[EXT_VERIFICATION_CODE] == record.verification_code
    payload = verify_jws(extensions[V.EXT_JWS], keys.public)
    signed = json.loads(payload)
    assert signed["id"] == record.id
    assert hashlib.sha256(payload).hexdigest() == record.record_hash
    assert signed["employee_number"] == "8001"
