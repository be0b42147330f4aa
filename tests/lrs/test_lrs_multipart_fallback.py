"""Signed attestations against the real Ralph 5.1 (refuses multipart): detected, sent in the
jws-extension fallback form, remembered; old quarantined ones requeued and delivered.

Every request goes through the fault proxy (no faults) so that its log shows what was sent.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives.asymmetric import rsa

from attest import (
    AttestationRecord,
    AttestationStore,
    QuizResult,
    init_keys,
    load_directive,
    load_form,
    load_private_key,
    validate_submission,
)
from attest.delivery import enqueue_attestation
from lrs_export import statements as S
from lrs_export import vocabulary as V
from lrs_export.capabilities import endpoint_key, verify_jws_extension_form
from lrs_export.client import LrsClient
from lrs_export.local_lrs import LocalLrs
from lrs_export.outbox import Attachment, Outbox
from lrs_export.sender import Sender
from lrs_export.signature import sign_statement

from .conftest import stored_id_counts
from .faultproxy import FaultProxy

NO_FAULTS = {"p_500": 0, "p_503": 0, "p_delay": 0, "p_drop": 0, "p_store_then_reset": 0}
HOMEPAGE = "https://ena.cisss-laurentides.example"


@pytest.fixture
def proxy(ralph: LocalLrs) -> Iterator[FaultProxy]:
    with FaultProxy(f"http://127.0.0.1:{ralph.port}", **NO_FAULTS) as p:
        yield p


@pytest.fixture(scope="module")
def signer(tmp_path_factory: pytest.TempPathFactory) -> tuple[rsa.RSAPrivateKey, bytes, Path]:
    d = tmp_path_factory.mktemp("keys")
    files = init_keys(
        d / "key.pem", d / "cert.pem", d / "key.pub.pem", establishment="CISSS des Laurentides", key_size=2048
    )
    return load_private_key(files.private_key), files.certificate.read_bytes(), d


def _attestation(store: AttestationStore, key: rsa.RSAPrivateKey, number: str) -> AttestationRecord:
    form, directive = load_form(), load_directive()
    values = {
        "employee_number": number,
        "full_name": "Marie-Ève Tremblay",
        "job_title": "Infirmière clinicienne",
        "direction": "Direction des soins infirmiers",
        "establishment": "CISSS des Laurentides",
        "signature": "Marie-Ève Tremblay",
        "consent_electronic_signature": True,
        "commitments": {c.id: True for c in form.engagements},
    }
    quiz = QuizResult(registration=uuid.uuid4(), score=0.9)
    return store.sign(validate_submission(form, values), form, directive, quiz, "typed", key)


def _multipart_posts(proxy: FaultProxy, since: int = 0) -> list[str]:
    return [e.content_type for e in proxy.requests("POST")[since:] if e.content_type.startswith("multipart/")]


def test_signed_multipart_attestation_is_stored_by_ralph_via_the_fallback_and_remembered(
    ralph: LocalLrs,
    proxy: FaultProxy,
    tmp_path: Path,
    attempt: S.Attempt,
    signer: tuple[rsa.RSAPrivateKey, bytes, Path],
) -> None:
    key, cert_pem, _ = signer
    settings = ralph.settings(endpoint=proxy.endpoint, homepage=HOMEPAGE)
    assert settings.statement_mode == "signed-multipart"  # the default mode
    outbox = Outbox(tmp_path / "o.db")
    with AttestationStore(tmp_path / "a.db") as store:
        record = _attestation(store, key, "8001")
        sid = enqueue_attestation(record, outbox, settings, key, cert_pem)
        plain = outbox.add(S.terminated(attempt))
        with Sender(outbox, settings) as sender:
            report = sender.flush()
        assert (report.sent, report.quarantined, report.fallbacks) == (2, 0, 1), report
        posts = proxy.requests("POST")
        assert [(e.content_type.split(";")[0], e.status) for e in posts] == [
            ("application/json", 200),
            ("multipart/mixed", 400),  # detected from Ralph's answer to the real statement
            ("application/json", 200),  # the same statement at once, in the fallback form
        ]
        assert outbox.counts()["sent"] == 2 and outbox.problems() == []
        with LrsClient(settings) as client:
            stored = client.get_statement(sid)
        assert stored is not None and "attachments" not in stored
        extensions = stored["result"]["extensions"]
        assert extensions[V.EXT_VERIFICATION_CODE] == record.verification_code
        assert verify_jws_extension_form(stored, key.public_key())
        assert record.full_name not in str(stored)  # no name: the JWS signs the statement
        learned = outbox.capability(endpoint_key(proxy.endpoint))
        assert learned is not None and not learned.multipart and "Invalid JSON body" in learned.evidence

        # Remembered across processes: a reopened outbox and a new sender never try multipart again.
        outbox.close()
        outbox = Outbox(tmp_path / "o.db")
        later = [
            enqueue_attestation(_attestation(store, key, n), outbox, settings, key) for n in ("8002", "8003")
        ]
        mark = len(proxy.requests("POST"))
        with Sender(outbox, settings) as sender:
            report = sender.flush()
    assert (report.sent, report.fallbacks, report.requests) == (2, 2, 1)
    assert _multipart_posts(proxy, mark) == []
    assert len(_multipart_posts(proxy)) == 1  # only the first flush's detection
    counts = stored_id_counts(ralph)
    assert all(counts[i] == 1 for i in [sid, plain, *later])


def _old_quarantined(outbox: Outbox, attempt: S.Attempt, key: rsa.RSAPrivateKey) -> tuple[str, Attachment]:
    """A signed statement as the old sender left it: quarantined with Ralph's multipart refusal."""
    signed, jws = sign_statement(S.accepted("2024-01", "2022", attempt=attempt), key)
    sid = outbox.add(signed, [jws])
    outbox.quarantine(sid, "HTTP 400 : Invalid JSON body")
    return sid, jws


def test_cli_requeue_rebuilds_old_quarantined_statements_for_ralph(
    ralph: LocalLrs,
    proxy: FaultProxy,
    tmp_path: Path,
    attempt: S.Attempt,
    signer: tuple[rsa.RSAPrivateKey, bytes, Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from formation_tic.cli import main

    key = signer[0]
    data = tmp_path / "var"
    outbox = Outbox(data / "outbox.db")
    first, jws = _old_quarantined(outbox, attempt, key)
    monkeypatch.setenv("FORMATION_TIC_LRS_ENDPOINT", proxy.endpoint)
    monkeypatch.setenv("FORMATION_TIC_LRS_USERNAME", ralph.username)
    monkeypatch.setenv("FORMATION_TIC_LRS_PASSWORD", ralph.password)
    runner = CliRunner()

    def run(*args: str) -> str:
        result = runner.invoke(main, ["--data-dir", str(data), "lrs", *args])
        assert result.exit_code == 0, result.output
        return result.output

    out = run("status")
    assert "Capacité du LRS : pas encore connue" in out
    assert "Énoncés signés en quarantaine : 1" in out
    out = run("requeue", "--quarantined")
    assert "Remis en attente : 1." in out and "le prochain envoi vérifiera" in out
    out = run("flush")
    assert "Envoyés : 1 ; en quarantaine : 0" in out
    assert outbox.get(first)["status"] == "sent"
    assert "multipart refusé : forme de repli jws-extension" in run("status")
    with LrsClient(ralph.settings()) as client:
        stored = client.get_statement(first)
    assert stored is not None and stored["result"]["extensions"][V.EXT_JWS] == jws.content.decode()
    assert verify_jws_extension_form(stored, key.public_key())

    # Another old one, requeued by id once the refusal is known: rebuilt, no multipart at all.
    second, _ = _old_quarantined(outbox, attempt, key)
    mark = len(proxy.requests("POST"))
    out = run("requeue", second)
    assert "Remis en attente : 1." in out and "forme de repli jws-extension (ce LRS refuse" in out
    assert "Envoyés : 1 ; en quarantaine : 0" in run("flush")
    assert _multipart_posts(proxy, mark) == []
    assert "Énoncés signés en quarantaine" not in run("status")
    counts = stored_id_counts(ralph)
    assert counts[first] == 1 and counts[second] == 1
