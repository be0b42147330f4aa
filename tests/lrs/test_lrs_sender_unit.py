"""Sender logic against a fake LRS (httpx.MockTransport): per-status handling."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import httpx
import pytest

from lrs_export.errors import CredentialsRejected, LrsUnavailable
from lrs_export.outbox import Attachment, Outbox
from lrs_export.sender import Sender
from lrs_export.settings import LrsSettings

from .test_lrs_outbox import _statement

SETTINGS = LrsSettings(
    endpoint="http://lrs.test/xAPI/",
    username="u",
    password="s3cr3t-pw",
    batch_size=8,
    max_retries=3,
    backoff_base=0.001,
)


class FakeLrs:
    def __init__(
        self,
        bad: set[int] = frozenset(),
        conflict: set[int] = frozenset(),
        failures: list[int] | None = None,
        status: int | None = None,
    ) -> None:
        self.bad, self.conflict = bad, conflict
        self.failures = list(failures or [])
        self.status = status
        self.stored: dict[str, dict] = {}
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.status:
            return httpx.Response(self.status)
        if self.failures:
            code = self.failures.pop(0)
            if code == 0:
                raise httpx.ConnectError("reset")
            return httpx.Response(code)
        body = json.loads(request.content)
        marks = {int(s["object"]["id"].rsplit("/", 1)[1]) for s in body}
        if marks & self.bad:
            return httpx.Response(400, json={"detail": "score hors bornes"})
        if marks & self.conflict:
            return httpx.Response(409, json={"detail": "conflit"})
        for s in body:
            self.stored[s["id"]] = s
        return httpx.Response(200, json=[s["id"] for s in body])


def _sender(tmp_path: Path, fake: FakeLrs, n: int = 20) -> tuple[Outbox, Sender]:
    outbox = Outbox(tmp_path / "o.db")
    for i in range(n):
        outbox.add(_statement(i))
    http = httpx.Client(
        base_url=SETTINGS.endpoint,
        transport=httpx.MockTransport(fake),
        headers={"X-Experience-API-Version": "1.0.3"},
    )
    return outbox, Sender(outbox, SETTINGS, http=http, sleep=lambda s: None)


def test_bad_statement_is_isolated_and_quarantined(tmp_path: Path) -> None:
    fake = FakeLrs(bad={5}, conflict={13})
    outbox, sender = _sender(tmp_path, fake)
    report = sender.flush()
    assert (report.sent, report.quarantined, report.conflicts) == (18, 1, 1)
    counts = outbox.counts()
    assert (counts["sent"], counts["quarantined"], counts["conflict"]) == (18, 1, 1)
    (q,) = [p for p in outbox.problems() if p["status"] == "quarantined"]
    assert "score hors bornes" in q["reason"] and "400" in q["reason"]
    assert len(fake.stored) == 18
    # Quarantined statements are never retried blindly.
    n = len(fake.requests)
    assert sender.flush().sent == 0 and len(fake.requests) == n


def test_transient_failures_are_retried(tmp_path: Path) -> None:
    fake = FakeLrs(failures=[500, 503, 0, 429])
    outbox, sender = _sender(tmp_path, fake)
    sender.settings = SETTINGS.model_copy(update={"max_retries": 10})
    report = sender.flush()
    assert report.sent == 20 and report.retries == 4
    assert outbox.counts()["pending"] == 0


def test_gives_up_after_max_retries_keeping_pending(tmp_path: Path) -> None:
    fake = FakeLrs(status=503)
    outbox, sender = _sender(tmp_path, fake)
    with pytest.raises(LrsUnavailable):
        sender.flush()
    assert outbox.counts()["pending"] == 20
    assert len(fake.requests) == SETTINGS.max_retries + 1


def test_credentials_rejected_stops_and_never_logs_password(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    fake = FakeLrs(status=401)
    outbox, sender = _sender(tmp_path, fake)
    with pytest.raises(CredentialsRejected) as info:
        sender.flush()
    assert "s3cr3t-pw" not in str(info.value) and "s3cr3t-pw" not in caplog.text
    assert "s3cr3t-pw" not in repr(SETTINGS) and "s3cr3t-pw" not in str(SETTINGS.safe_dump())
    assert len(fake.requests) == 1 and outbox.counts()["pending"] == 20


def test_headers_and_multipart(tmp_path: Path) -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(204)

    outbox = Outbox(tmp_path / "o.db")
    att = Attachment(
        "http://adlnet.gov/expapi/attachments/signature", "application/octet-stream", b"\x00jws\xff"
    )
    outbox.add(_statement(1))
    sid = outbox.add(_statement(2), [att])
    http = httpx.Client(
        base_url=SETTINGS.endpoint,
        transport=httpx.MockTransport(handler),
        headers={"X-Experience-API-Version": "1.0.3"},
    )
    Sender(outbox, SETTINGS, http=http).flush()
    plain, multi = seen
    assert plain.headers["X-Experience-API-Version"] == "1.0.3"
    assert plain.headers["Content-Type"] == "application/json"
    assert multi.headers["Content-Type"].startswith("multipart/mixed; boundary=")
    body = multi.content
    assert b"Content-Type: application/json\r\n\r\n[" in body
    assert f"X-Experience-API-Hash: {att.sha2}".encode() in body
    assert b"Content-Transfer-Encoding: binary\r\n" in body and b"\x00jws\xff" in body
    assert sid.encode() in body
