"""Multipart detection and the jws-extension fallback, against a fake LRS (httpx.MockTransport)."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from lrs_export import statements as S
from lrs_export import vocabulary as V
from lrs_export.capabilities import (
    endpoint_key,
    refuses_multipart,
    to_jws_extension,
    verify_jws_extension_form,
)
from lrs_export.outbox import Attachment, Outbox, PendingStatement
from lrs_export.sender import Sender
from lrs_export.settings import LrsSettings
from lrs_export.signature import sign_statement

SETTINGS = LrsSettings(
    endpoint="http://lrs.test/xAPI/", username="u", password="pw", batch_size=10, backoff_base=0
)
KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _signed(attempt: S.Attempt) -> tuple[dict, Attachment]:
    statement = S.accepted(
        "2024-01", "2022", attempt=attempt, result_extensions={V.EXT_VERIFICATION_CODE: "K7PQ2-M9XDA"}
    )
    return sign_statement(statement, KEY)


class FakeLrs:
    """Stores JSON statements; refuses multipart like Ralph 5.1 unless ``multipart``."""

    def __init__(self, *, multipart: bool = False, refuse_json: set[str] = frozenset()) -> None:
        self.multipart = multipart
        self.refuse_json = refuse_json
        self.stored: dict[str, dict] = {}
        self.requests: list[httpx.Request] = []

    def multipart_requests(self) -> list[httpx.Request]:
        return [r for r in self.requests if r.headers["Content-Type"].startswith("multipart/")]

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if request.headers["Content-Type"].startswith("multipart/"):
            if not self.multipart:
                return httpx.Response(400, json={"detail": "Invalid JSON body"})
            first = request.content.split(b"\r\n\r\n", 1)[1].split(b"\r\n--", 1)[0]
            statements = json.loads(first)
        else:
            statements = json.loads(request.content)
        if any(s["id"] in self.refuse_json for s in statements):
            return httpx.Response(400, json={"detail": "actor: champ requis"})
        for s in statements:
            self.stored[s["id"]] = s
        return httpx.Response(200, json=[s["id"] for s in statements])


def _sender(outbox: Outbox, fake: FakeLrs) -> Sender:
    http = httpx.Client(base_url=SETTINGS.endpoint, transport=httpx.MockTransport(fake))
    return Sender(outbox, SETTINGS, http=http, sleep=lambda s: None)


def test_multipart_refusal_falls_back_and_is_remembered(tmp_path: Path, attempt: S.Attempt) -> None:
    fake = FakeLrs()
    outbox = Outbox(tmp_path / "o.db")
    signed, jws = _signed(attempt)
    sid = outbox.add(signed, [jws])
    plain = outbox.add(S.terminated(attempt))
    report = _sender(outbox, fake).flush()
    assert (report.sent, report.quarantined, report.fallbacks) == (2, 0, 1)
    # plain JSON, then the multipart refused with 400, then the same statement as JSON
    kinds = [r.headers["Content-Type"].split(";")[0] for r in fake.requests]
    assert kinds == ["application/json", "multipart/mixed", "application/json"]
    stored = fake.stored[sid]
    assert "attachments" not in stored
    assert stored["result"]["extensions"][V.EXT_JWS] == jws.content.decode()
    assert stored["result"]["extensions"][V.EXT_VERIFICATION_CODE] == "K7PQ2-M9XDA"
    assert verify_jws_extension_form(stored, KEY.public_key())
    assert plain in fake.stored and outbox.counts()["sent"] == 2
    # the outbox keeps the signed original: same body, same attachment (idempotent re-add)
    assert outbox.get(sid)["body"] == signed
    assert outbox.add(signed, [jws]) == sid
    learned = outbox.capability(endpoint_key(SETTINGS.endpoint))
    assert learned is not None and learned.multipart is False
    assert "Invalid JSON body" in learned.evidence and learned.learned_at

    # Remembered: a new sender on a reopened outbox sends signed statements as JSON at once.
    outbox.close()
    outbox = Outbox(tmp_path / "o.db")
    for _ in range(3):
        s, j = _signed(attempt)
        outbox.add(s, [j])
    before = len(fake.requests)
    report = _sender(outbox, fake).flush()
    assert (report.sent, report.fallbacks, report.requests) == (3, 3, 1)
    assert len(fake.requests) == before + 1 and len(fake.multipart_requests()) == 1


def test_one_batch_of_signed_statements_tries_multipart_once(tmp_path: Path, attempt: S.Attempt) -> None:
    fake = FakeLrs()
    outbox = Outbox(tmp_path / "o.db")
    for _ in range(4):
        s, j = _signed(attempt)
        outbox.add(s, [j])
    report = _sender(outbox, fake).flush()
    assert (report.sent, report.fallbacks) == (4, 4)
    assert len(fake.multipart_requests()) == 1 and len(fake.stored) == 4


def test_multipart_accepted_is_remembered_and_kept(tmp_path: Path, attempt: S.Attempt) -> None:
    fake = FakeLrs(multipart=True)
    outbox = Outbox(tmp_path / "o.db")
    signed, jws = _signed(attempt)
    sid = outbox.add(signed, [jws])
    report = _sender(outbox, fake).flush()
    assert (report.sent, report.fallbacks) == (1, 0)
    assert fake.stored[sid] == signed  # the signed statement itself, attachment entry included
    learned = outbox.capability(endpoint_key(SETTINGS.endpoint))
    assert learned is not None and learned.multipart is True


def test_a_content_error_on_multipart_is_quarantined_not_a_refusal(
    tmp_path: Path, attempt: S.Attempt
) -> None:
    requests: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        return httpx.Response(400, json={"detail": "signature invalide"})

    outbox = Outbox(tmp_path / "o.db")
    signed, jws = _signed(attempt)
    outbox.add(signed, [jws])
    http = httpx.Client(base_url=SETTINGS.endpoint, transport=httpx.MockTransport(handler))
    report = Sender(outbox, SETTINGS, http=http, sleep=lambda s: None).flush()
    assert report.quarantined == 1 and len(requests) == 1  # no fallback attempt
    assert outbox.capability(endpoint_key(SETTINGS.endpoint)) is None


def test_fallback_refused_too_is_quarantined_and_nothing_learned(tmp_path: Path, attempt: S.Attempt) -> None:
    outbox = Outbox(tmp_path / "o.db")
    signed, jws = _signed(attempt)
    sid = outbox.add(signed, [jws])
    fake = FakeLrs(refuse_json={sid})
    report = _sender(outbox, fake).flush()
    assert (report.sent, report.quarantined, len(fake.requests)) == (0, 1, 2)
    (problem,) = outbox.problems()
    assert "actor: champ requis" in problem["reason"]
    assert outbox.capability(endpoint_key(SETTINGS.endpoint)) is None


def test_statement_with_other_attachments_has_no_fallback(tmp_path: Path, attempt: S.Attempt) -> None:
    fake = FakeLrs()
    outbox = Outbox(tmp_path / "o.db")
    picture = Attachment("https://x.example/capture", "image/png", b"\x89PNG")
    outbox.add(S.terminated(attempt), [picture])
    report = _sender(outbox, fake).flush()
    assert report.quarantined == 1 and len(fake.requests) == 1
    (problem,) = outbox.problems()
    assert "Invalid JSON body" in problem["reason"] and "pas de forme de repli" in problem["reason"]


def test_requeued_quarantined_signed_statement_is_sent_in_the_accepted_form(
    tmp_path: Path, attempt: S.Attempt
) -> None:
    fake = FakeLrs()
    outbox = Outbox(tmp_path / "o.db")
    signed, jws = _signed(attempt)
    sid = outbox.add(signed, [jws])
    outbox.quarantine(sid, "HTTP 400 : Invalid JSON body")  # the old behaviour
    outbox.remember_capability(
        endpoint_key(SETTINGS.endpoint), multipart=False, evidence="HTTP 400 : Invalid JSON body"
    )
    assert outbox.requeue(outbox.ids("quarantined")) == 1
    report = _sender(outbox, fake).flush()
    assert (report.sent, report.fallbacks) == (1, 1) and fake.multipart_requests() == []
    assert V.EXT_JWS in fake.stored[sid]["result"]["extensions"]


def test_conversion_details(attempt: S.Attempt) -> None:
    signed, jws = _signed(attempt)
    pending = PendingStatement(signed["id"], json.dumps(signed), (jws,))
    converted = to_jws_extension(pending)
    assert converted is not None and converted.attachments == () and converted.id == signed["id"]
    body = json.loads(converted.body)
    assert verify_jws_extension_form(body, KEY.public_key())
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    assert not verify_jws_extension_form(body, other.public_key())
    tampered = json.loads(converted.body)
    tampered["result"]["extensions"][V.EXT_VERIFICATION_CODE] = "ZZZZZ-ZZZZZ"
    assert not verify_jws_extension_form(tampered, KEY.public_key())
    # LRS-managed properties do not matter
    assert verify_jws_extension_form({**body, "stored": "2024-01-01T00:00:00Z"}, KEY.public_key())
    # a statement without a result gets one holding only the JWS
    bare, bare_jws = sign_statement(S.terminated(attempt), KEY)
    out = to_jws_extension(PendingStatement(bare["id"], json.dumps(bare), (bare_jws,)))
    assert out is not None
    assert json.loads(out.body)["result"] == {"extensions": {V.EXT_JWS: bare_jws.content.decode()}}
    assert verify_jws_extension_form(json.loads(out.body), KEY.public_key())
    # only a lone signature attachment converts
    picture = Attachment("https://x.example/capture", "image/png", b"\x89PNG")
    assert to_jws_extension(PendingStatement(pending.id, pending.body, (jws, picture))) is None
    assert to_jws_extension(PendingStatement(pending.id, pending.body, (picture,))) is None


@pytest.mark.parametrize(
    ("status", "reason", "expected"),
    [
        (400, "Invalid JSON body", True),
        (415, "", True),
        (400, "Unsupported Content-Type multipart/mixed", True),
        (400, "score hors bornes", False),
        (422, "actor: field required", False),
        (409, "Invalid JSON body", False),
        (500, "Invalid JSON body", False),
    ],
)
def test_refuses_multipart(status: int, reason: str, expected: bool) -> None:
    assert refuses_multipart(status, reason) is expected


def test_endpoint_key_never_holds_credentials() -> None:
    assert endpoint_key("HTTPS://user:pw@LRS.example:8443/xAPI?x=1#f") == "https://lrs.example:8443/xAPI/"
    assert endpoint_key("http://127.0.0.1:8100/xAPI/") == "http://127.0.0.1:8100/xAPI/"
