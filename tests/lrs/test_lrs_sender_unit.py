"""Sender logic against a fake LRS (httpx.MockTransport): per-status handling."""

from __future__ import annotations

import email.utils
import json
import logging
import random
from pathlib import Path

import httpx
import pytest

from lrs_export.client import LrsClient
from lrs_export.errors import CredentialsRejected, LrsUnavailable
from lrs_export.outbox import Attachment, Outbox
from lrs_export.sender import Sender, parse_retry_after
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


# --- Retry-After (fake clock and sleep) ---------------------------------------------------

NOW = 1_800_000_000.0  # the fake clock's POSIX time


class Throttling:
    """Answers the scripted (status, Retry-After) pairs, then stores."""

    def __init__(self, answers: list[tuple[int, str | None]]) -> None:
        self.answers = list(answers)
        self.requests = 0
        self.stored: list[str] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests += 1
        if self.answers:
            status, retry_after = self.answers.pop(0)
            return httpx.Response(status, headers={"Retry-After": retry_after} if retry_after else {})
        ids = [s["id"] for s in json.loads(request.content)]
        self.stored += ids
        return httpx.Response(200, json=ids)


def _throttled(
    tmp_path: Path, answers: list[tuple[int, str | None]], **overrides: object
) -> tuple[list[float], Throttling, Outbox, Sender]:
    waits: list[float] = []
    fake = Throttling(answers)
    outbox = Outbox(tmp_path / "o.db")
    for i in range(3):
        outbox.add(_statement(i))
    settings = SETTINGS.model_copy(
        update={"backoff_base": 0.0, "backoff_max": 60.0, "max_retries": 10, **overrides}
    )
    http = httpx.Client(base_url=SETTINGS.endpoint, transport=httpx.MockTransport(fake))
    sender = Sender(outbox, settings, http=http, sleep=waits.append, rng=random.Random(1), clock=lambda: NOW)
    return waits, fake, outbox, sender


def test_retry_after_seconds_is_honoured_on_429_and_503(tmp_path: Path) -> None:
    waits, fake, outbox, sender = _throttled(tmp_path, [(429, "7"), (503, "2")])
    report = sender.flush()
    assert waits == [7.0, 2.0]  # the backoff alone would wait 0 (backoff_base=0)
    assert report.sent == 3 and report.retries == 2 and outbox.counts()["pending"] == 0
    assert len(fake.stored) == 3 and fake.requests == 3


def test_retry_after_http_date_is_honoured(tmp_path: Path) -> None:
    later = email.utils.formatdate(NOW + 30, usegmt=True)
    past = email.utils.formatdate(NOW - 3600, usegmt=True)
    waits, _fake, _outbox, sender = _throttled(tmp_path, [(503, later), (429, past)])
    assert sender.flush().sent == 3
    assert waits == [30.0, 0.0]


def test_retry_after_is_bounded_by_backoff_max(tmp_path: Path) -> None:
    far = email.utils.formatdate(NOW + 86_400, usegmt=True)
    waits, _fake, _outbox, sender = _throttled(
        tmp_path, [(429, "3600"), (503, far), (429, "9" * 40)], backoff_max=5.0
    )
    assert sender.flush().sent == 3
    assert waits == [5.0, 5.0, 5.0]


def test_retry_after_absent_invalid_or_on_other_statuses_uses_the_backoff(tmp_path: Path) -> None:
    waits, _fake, _outbox, sender = _throttled(
        tmp_path,
        [(503, None), (429, "bientot"), (500, "30"), (429, "-5")],
        backoff_base=1.0,
        backoff_max=4.0,
    )
    assert sender.flush().retries == 4
    expected = random.Random(1)
    assert waits == [expected.uniform(0, min(4.0, 1.0 * 2 ** (n - 1))) for n in range(1, 5)]
    assert all(w < 4.0 for w in waits)


def test_parse_retry_after() -> None:
    assert parse_retry_after("120", NOW) == 120.0
    assert parse_retry_after(" 0 ", NOW) == 0.0
    assert parse_retry_after(email.utils.formatdate(NOW + 90, usegmt=True), NOW) == 90.0
    assert parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", NOW) == 0.0
    for bad in (None, "", "1.5", "-1", "demain", "٣"):
        assert parse_retry_after(bad, NOW) is None


# --- X-Experience-API-Version on every request ----------------------------------------------


def test_version_header_is_on_every_request_even_with_a_bare_client(tmp_path: Path) -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.method == "POST":
            return httpx.Response(200, json=[])
        return httpx.Response(200, json={"statements": [], "more": ""})

    outbox = Outbox(tmp_path / "o.db")
    outbox.add(_statement(1))
    att = Attachment("http://adlnet.gov/expapi/attachments/signature", "application/octet-stream", b"a.b.c")
    outbox.add(_statement(2), [att])

    def bare() -> httpx.Client:  # no default headers: the header must come from the request
        return httpx.Client(base_url=SETTINGS.endpoint, transport=httpx.MockTransport(handler))

    Sender(outbox, SETTINGS, http=bare()).flush()
    with LrsClient(SETTINGS, http=bare()) as client:
        client.get_statement("1b1f2c3e-0000-4000-8000-000000000000")
        list(client.iter_pages({"limit": 1}))
    assert [r.method for r in seen] == ["POST", "POST", "GET", "GET"]
    assert all(r.headers.get("X-Experience-API-Version") == "1.0.3" for r in seen)
