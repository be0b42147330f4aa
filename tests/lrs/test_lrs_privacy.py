"""Nothing personal leaves for the LRS but the employee number, in every signing mode.

Everything a flush puts on the wire is captured (every request body, multipart parts
included) and searched, after decoding every JSON string and every base64/base64url token
(JWS segments) recursively, for the test person's name, typed signature, job title,
direction and email, for digests of them, and for the register's record hash and JWS.
The same is checked in what Ralph 5.1 stores.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
import unicodedata
import uuid
from collections.abc import Iterator
from email import policy
from email.parser import BytesParser
from pathlib import Path
from typing import Any

import httpx
import pytest
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
from attest.delivery import enqueue_attestation, enqueue_revocation
from lrs_export import statements as S
from lrs_export.local_lrs import LocalLrs
from lrs_export.outbox import Outbox
from lrs_export.sender import Sender
from lrs_export.settings import LrsSettings

from .test_lrs_statements import every_statement

NUMBER = "4711042"
HOMEPAGE = "https://ena.cisss-laurentides.example"
PERSON = {
    "full_name": "Zéphirine Quenneville",
    "signature": "ZÉPHIRINE QUENNEVILLE",
    "job_title": "Archiviste Quetzalcoatl",
    "direction": "Direction Zanzibar-Oudjda",
}
EMAIL = "zephirine.quenneville@cisss-laurentides.example"
WORDS = ("zephirine", "quenneville", "quetzalcoatl", "zanzibar", "oudjda")
REASON = "Signée par Zéphirine à la place d'une collègue"


def fold(text: str) -> str:
    """Case, accents and compatibility forms folded: « ZÉPHIRINE » finds « zephirine »."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def digests(value: str) -> set[str]:
    """Hex and base64 forms of common digests of ``value`` (raw, case-folded)."""
    out: set[str] = set()
    for variant in {value, value.casefold(), fold(value), value.upper()}:
        for name in ("sha256", "sha1", "md5", "sha512"):
            raw = hashlib.new(name, variant.encode()).digest()
            out.add(raw.hex())
            out.add(base64.b64encode(raw).decode().rstrip("="))
            out.add(base64.urlsafe_b64encode(raw).decode().rstrip("="))
    return out


_TOKEN = re.compile(rb"[A-Za-z0-9_\-+/]{12,}={0,2}")


def _decoded(token: bytes) -> Iterator[bytes]:
    padded = token.rstrip(b"=") + b"=" * (-len(token.rstrip(b"=")) % 4)
    for decode in (base64.urlsafe_b64decode, base64.b64decode):
        try:
            yield decode(padded)
        except (binascii.Error, ValueError):
            continue


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield k
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)


def reachable(blob: bytes, depth: int = 0) -> Iterator[tuple[str, Any]]:
    """(text, parsed JSON or None) of ``blob`` and of everything decoded from it, recursively."""
    text = blob.decode("utf-8", "replace")
    try:
        value = json.loads(text)
    except ValueError:
        value = None
    yield text, value
    if depth >= 4:
        return
    if value is not None:
        for string in _strings(value):
            if len(string) >= 12:
                yield from reachable(string.encode(), depth + 1)
    for token in _TOKEN.findall(blob):
        for decoded in _decoded(token):
            yield from reachable(decoded, depth + 1)


def wire_parts(content_type: str, body: bytes) -> list[bytes]:
    """The body, and each part of a multipart body."""
    if not content_type.startswith("multipart/"):
        return [body]
    message = BytesParser(policy=policy.HTTP).parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + body
    )
    return [body, *(part.get_payload(decode=True) for part in message.iter_parts())]


def search(blobs: list[bytes], forbidden: dict[str, str]) -> tuple[list[str], list[dict[str, Any]]]:
    """Forbidden values found anywhere, and every JSON object decoded (to see what was read)."""
    found: list[str] = []
    objects: list[dict[str, Any]] = []
    folded = {label: fold(value) for label, value in forbidden.items()}
    for blob in blobs:
        for text, value in reachable(blob):
            haystack = fold(text)
            found += [f"{label} in {text[:80]!r}" for label, needle in folded.items() if needle in haystack]
            if isinstance(value, dict):
                objects.append(value)
            elif isinstance(value, list):  # a batch of statements
                objects += [v for v in value if isinstance(v, dict)]
    return found, objects


def forbidden_values(records: list[AttestationRecord]) -> dict[str, str]:
    values = {**{k: v for k, v in PERSON.items()}, "email": EMAIL, "reason": REASON}
    values.update({f"word {w}": w for w in WORDS})
    for label, value in [*PERSON.items(), ("email", EMAIL)]:
        for n, digest in enumerate(sorted(digests(value))):
            values[f"digest {n} of {label}"] = digest
    for record in records:
        values[f"record_hash n° {record.seq}"] = record.record_hash
        values[f"record JWS payload n° {record.seq}"] = record.jws.split(".")[1][:40]
        values[f"record JWS signature n° {record.seq}"] = record.jws.split(".")[2][:40]
    return values


@pytest.fixture(scope="module")
def key(tmp_path_factory: pytest.TempPathFactory) -> tuple[rsa.RSAPrivateKey, bytes]:
    d = tmp_path_factory.mktemp("keys")
    files = init_keys(
        d / "k.pem", d / "c.pem", d / "p.pem", establishment="CISSS des Laurentides", key_size=2048
    )
    return load_private_key(files.private_key), files.certificate.read_bytes()


def attestation_then_revocation(
    path: Path, private_key: rsa.RSAPrivateKey, registration: uuid.UUID
) -> list[AttestationRecord]:
    form, directive = load_form(), load_directive()
    values = {
        "employee_number": NUMBER,
        "establishment": "CISSS des Laurentides",
        "consent_electronic_signature": True,
        "commitments": {c.id: True for c in form.engagements},
        **PERSON,
    }
    with AttestationStore(path) as store:
        first = store.sign(
            validate_submission(form, values),
            form,
            directive,
            QuizResult(registration=registration, score=0.9),
            "typed",
            private_key,
        )
        return [first, store.revoke(first.id, REASON, private_key)]


def journey_and_register(
    outbox: Outbox, settings: LrsSettings, key: tuple[rsa.RSAPrivateKey, bytes], store: Path
) -> list[AttestationRecord]:
    """The person's whole quiz journey, then their attestation and its revocation."""
    attempt = S.Attempt(employee_number=NUMBER, homepage=HOMEPAGE, directive_version="2022")
    for statement in every_statement(attempt):
        outbox.add(statement)
    records = attestation_then_revocation(store, key[0], attempt.registration)
    enqueue_attestation(records[0], outbox, settings, key[0], key[1])
    enqueue_revocation(records[1], outbox, settings, key[0], key[1])
    return records


@pytest.mark.parametrize(
    ("mode", "lrs_reads_multipart"),
    [("signed-multipart", True), ("signed-multipart", False), ("jws-extension", True)],
    ids=["signed-multipart", "signed-multipart-fallback", "jws-extension"],
)
def test_no_personal_field_on_the_wire(
    tmp_path: Path, key: tuple[rsa.RSAPrivateKey, bytes], mode: str, lrs_reads_multipart: bool
) -> None:
    wire: list[tuple[str, bytes]] = []

    def lrs(request: httpx.Request) -> httpx.Response:
        content_type = request.headers["Content-Type"]
        wire.append((content_type, request.content))
        if content_type.startswith("multipart/") and not lrs_reads_multipart:
            return httpx.Response(400, json={"detail": "Invalid JSON body"})
        return httpx.Response(200, json=[])

    settings = LrsSettings(endpoint="http://lrs.test/xAPI/", homepage=HOMEPAGE, statement_mode=mode)
    http = httpx.Client(base_url=settings.endpoint or "", transport=httpx.MockTransport(lrs))
    with Outbox(tmp_path / "o.db") as outbox:
        records = journey_and_register(outbox, settings, key, tmp_path / "a.db")
        enqueued = outbox.counts()["pending"]
        with Sender(outbox, settings, http=http) as sender:
            report = sender.flush()
        assert report.sent == enqueued and report.quarantined == 0, report

    blobs = [part for content_type, body in wire for part in wire_parts(content_type, body)]
    found, objects = search(blobs, forbidden_values(records))
    assert found == []
    # The search did reach every statement and every signature's payload.
    sent_ids = {o["id"] for o in objects if "actor" in o and "verb" in o}
    assert {r.id for r in records} <= sent_ids and len(sent_ids) == enqueued
    signed = [
        o
        for o in objects
        if "actor" in o and "attachments" not in o and o.get("id") in {r.id for r in records}
    ]
    assert {o["verb"]["id"] for o in signed} >= {
        "http://activitystrea.ms/schema/1.0/accept",
        "http://adlnet.gov/expapi/verbs/voided",
    }
    # The actor of every statement is an account: the employee number, or the installation.
    actors = {json.dumps(o["actor"], sort_keys=True) for o in objects if "actor" in o and "verb" in o}
    assert actors == {
        json.dumps({"objectType": "Agent", "account": {"name": n, "homePage": HOMEPAGE}}, sort_keys=True)
        for n in (NUMBER, "formation-tic")
    }


def test_no_personal_field_in_what_ralph_stores(
    ralph: LocalLrs, tmp_path: Path, key: tuple[rsa.RSAPrivateKey, bytes]
) -> None:
    settings = ralph.settings(homepage=HOMEPAGE)  # signed-multipart: Ralph gets the fallback form
    with Outbox(tmp_path / "o.db") as outbox:
        records = journey_and_register(outbox, settings, key, tmp_path / "a.db")
        ids = set(outbox.ids("pending"))
        with Sender(outbox, settings) as sender:
            report = sender.flush()
        assert report.sent == len(ids) and report.fallbacks == 2, report
    lines = [
        line.encode()
        for line in ralph.statements_file.read_text(encoding="utf-8").splitlines()
        if json.loads(line)["id"] in ids
    ]
    assert len(lines) == len(ids)
    found, objects = search(lines, forbidden_values(records))
    assert found == []
    assert sum(1 for o in objects if o.get("id") in {r.id for r in records} and "actor" in o) >= 4
