"""Against a real Ralph LRS 5.1 subprocess (fs backend, patched in lrs_export._ralph_launcher)."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives.asymmetric import rsa

from lrs_export import statements as S
from lrs_export import vocabulary as V
from lrs_export.capabilities import verify_jws_extension_form
from lrs_export.client import LrsClient
from lrs_export.errors import CredentialsRejected
from lrs_export.local_lrs import LocalLrs
from lrs_export.outbox import Outbox
from lrs_export.pull import pull, pulled_count
from lrs_export.reconcile import reconcile
from lrs_export.sender import Sender
from lrs_export.signature import sign_statement, verify_signed_statement

from .conftest import stored_id_counts
from .scenarios_fixtures import BRANCHING, MULTIPLE, SINGLE
from .test_lrs_statements import every_statement

LRS_FIELDS = {"stored", "authority"}


def _flush(outbox: Outbox, lrs: LocalLrs, **overrides: object) -> None:
    with Sender(outbox, lrs.settings(**overrides)) as sender:
        sender.flush()


def test_statements_arrive_and_read_back_equal(ralph: LocalLrs, tmp_path: Path, attempt: S.Attempt) -> None:
    outbox = Outbox(tmp_path / "o.db")
    sent = {outbox.add(st): st for st in every_statement(attempt)}
    _flush(outbox, ralph)
    assert outbox.counts()["sent"] == len(sent)
    with LrsClient(ralph.settings()) as client:
        for sid, original in sent.items():
            back = client.get_statement(sid)
            assert back is not None
            assert {k: v for k, v in back.items() if k not in LRS_FIELDS} == original
        # spec-tolerant: unknown id → None; no /about on Ralph 5.1 → None
        assert client.get_statement(str(uuid.uuid4())) is None
        assert client.about() is None


def test_resending_is_harmless_and_verb_filter_works(
    ralph: LocalLrs, tmp_path: Path, attempt: S.Attempt
) -> None:
    outbox = Outbox(tmp_path / "o.db")
    ids = [
        outbox.add(S.answered(attempt, SINGLE, ["appeler"], success=True, score_raw=1, score_max=1))
        for _ in range(3)
    ]
    _flush(outbox, ralph)
    outbox.requeue(ids)  # as if the process died before recording "sent"
    _flush(outbox, ralph)
    assert outbox.counts()["sent"] == 3
    assert all(stored_id_counts(ralph)[i] == 1 for i in ids)
    with LrsClient(ralph.settings()) as client:
        params = {"verb": V.VERBS["answered"][0], "registration": str(attempt.registration)}
        got = [s for page, _ in client.iter_pages(params) for s in page]
        assert sorted(s["id"] for s in got) == sorted(ids)
        params["activity"] = V.scenario_iri(SINGLE.id)
        assert len([s for page, _ in client.iter_pages(params) for s in page]) == 3


def test_pagination_with_more(ralph: LocalLrs, tmp_path: Path, attempt: S.Attempt) -> None:
    outbox = Outbox(tmp_path / "o.db")
    ids = {outbox.add(S.experienced(attempt, f"p{i}", f"Page {i}")) for i in range(230)}
    _flush(outbox, ralph)
    with LrsClient(ralph.settings()) as client:
        pages = list(client.iter_pages({"registration": str(attempt.registration), "limit": 100}))
    assert [len(p) for p, _ in pages] == [100, 100, 30]
    assert pages[0][1] and pages[1][1] and pages[2][1] is None
    assert {s["id"] for p, _ in pages for s in p} == ids


def test_pull_is_incremental_and_resumable(fresh_ralph: LocalLrs, tmp_path: Path, attempt: S.Attempt) -> None:
    outbox, db = Outbox(tmp_path / "o.db"), tmp_path / "rapports.db"
    for i in range(250):
        outbox.add(S.experienced(attempt, f"p{i}", f"Page {i}"))
    _flush(outbox, fresh_ralph)
    settings = fresh_ralph.settings(pull_overlap_seconds=0)
    with LrsClient(settings) as client:
        first = pull(client, db, max_pages=1)  # interrupted after one page
        assert (first.fetched, first.new) == (100, 100)
        resumed = pull(client, db)
        assert resumed.resumed and resumed.new == 150
        assert pulled_count(db) == 250
        for i in range(40):
            outbox.add(S.experienced(attempt, f"q{i}", f"Page {i}"))
        _flush(outbox, fresh_ralph)
        again = pull(client, db)
        assert again.since is not None and again.fetched == 40 and again.new == 40
    assert pulled_count(db) == 290


def test_invalid_statement_quarantined_others_sent(
    ralph: LocalLrs, tmp_path: Path, attempt: S.Attempt
) -> None:
    outbox = Outbox(tmp_path / "o.db")
    good = [
        outbox.add(S.answered(attempt, MULTIPLE, ["a"], success=False, score_raw=0, score_max=2))
        for _ in range(9)
    ]
    bad = S.answered(attempt, MULTIPLE, ["a"], success=False, score_raw=0, score_max=2)
    del bad["actor"]["account"]  # an Agent without identifier: Ralph answers 422
    bad_id = outbox.add(bad)
    good += [outbox.add(S.terminated(attempt)) for _ in range(5)]
    _flush(outbox, ralph, batch_size=100)
    counts = outbox.counts()
    assert (counts["sent"], counts["quarantined"], counts["pending"]) == (14, 1, 0)
    (problem,) = outbox.problems()
    assert problem["id"] == bad_id and problem["reason"][:8] in ("HTTP 400", "HTTP 422")
    assert "actor" in problem["reason"]
    stored = stored_id_counts(ralph)
    assert all(stored[i] == 1 for i in good) and bad_id not in stored


def test_conflict_recorded(ralph: LocalLrs, tmp_path: Path, attempt: S.Attempt) -> None:
    first = Outbox(tmp_path / "a.db")
    st = S.terminated(attempt)
    first.add(st)
    _flush(first, ralph)
    other = Outbox(tmp_path / "b.db")
    other.add({**S.initialized(attempt), "id": st["id"]})
    _flush(other, ralph)
    assert other.counts()["conflict"] == 1
    assert "409" in other.problems()[0]["reason"]


def test_wrong_credentials_stop(ralph: LocalLrs, tmp_path: Path, attempt: S.Attempt) -> None:
    outbox = Outbox(tmp_path / "o.db")
    outbox.add(S.initialized(attempt))
    with pytest.raises(CredentialsRejected), Sender(outbox, ralph.settings(password="mauvais")) as sender:
        sender.flush()
    assert outbox.counts()["pending"] == 1


def test_signed_statement_multipart_reaches_ralph_in_the_fallback_form(
    ralph: LocalLrs, tmp_path: Path, attempt: S.Attempt
) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    signed, jws = sign_statement(S.accepted("2024-01", "2022", attempt=attempt), key)
    assert verify_signed_statement(signed, jws.content, key.public_key())
    tampered = {**signed, "verb": {"id": V.VERBS["failed"][0]}}
    assert not verify_signed_statement(tampered, jws.content, key.public_key())
    outbox = Outbox(tmp_path / "o.db")
    sid = outbox.add(signed, [jws])
    plain = outbox.add(S.terminated(attempt))
    with Sender(outbox, ralph.settings()) as sender:
        report = sender.flush()
    # Ralph 5.1 does not accept multipart (400 "Invalid JSON body"): tried once, then the
    # same statement in the jws-extension fallback form (see lrs_export.capabilities).
    assert (report.sent, report.quarantined, report.fallbacks, report.requests) == (2, 0, 1, 3)
    assert outbox.problems() == []
    assert stored_id_counts(ralph)[plain] == 1 and stored_id_counts(ralph)[sid] == 1
    with LrsClient(ralph.settings()) as client:
        stored = client.get_statement(sid)
    assert stored is not None and stored["result"]["extensions"][V.EXT_JWS] == jws.content.decode()
    assert verify_jws_extension_form(stored, key.public_key())


def test_jws_extension_mode_is_accepted(ralph: LocalLrs, tmp_path: Path, attempt: S.Attempt) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    base = S.accepted("2024-01", "2022", attempt=attempt)
    _, jws = sign_statement(base, key)
    st = S.accepted(
        "2024-01",
        "2022",
        attempt=attempt,
        statement_id=base["id"],
        timestamp=S.utcnow(),
        result_extensions={V.EXT_JWS: jws.content.decode()},
    )
    outbox = Outbox(tmp_path / "o.db")
    outbox.add(st)
    _flush(outbox, ralph)
    assert outbox.counts()["sent"] == 1


def test_cli_status_flush_reconcile_pull(
    ralph: LocalLrs, tmp_path: Path, attempt: S.Attempt, monkeypatch: pytest.MonkeyPatch
) -> None:
    from formation_tic.cli import main

    db = tmp_path / "var" / "outbox.db"
    outbox = Outbox(db)
    for _ in range(12):
        outbox.add(
            S.answered(
                attempt,
                BRANCHING,
                ["prudent", "verifier"],
                success=True,
                score_raw=1,
                score_max=1,
                path=["debut", "suite", "reussite"],
            )
        )
    runner = CliRunner()
    monkeypatch.delenv("FORMATION_TIC_LRS_ENDPOINT", raising=False)
    result = runner.invoke(main, ["--data-dir", str(db.parent), "lrs", "flush"])
    assert result.exit_code == 0 and "Aucun LRS configuré : 12" in result.output
    monkeypatch.setenv("FORMATION_TIC_LRS_ENDPOINT", ralph.endpoint)
    monkeypatch.setenv("FORMATION_TIC_LRS_USERNAME", ralph.username)
    monkeypatch.setenv("FORMATION_TIC_LRS_PASSWORD", ralph.password)
    monkeypatch.setenv("FORMATION_TIC_LRS_BATCH_SIZE", "5")
    result = runner.invoke(main, ["--data-dir", str(db.parent), "lrs", "status"])
    assert "En attente      : 12" in result.output
    result = runner.invoke(main, ["--data-dir", str(db.parent), "lrs", "flush"])
    assert result.exit_code == 0, result.output
    assert "Envoyés : 12" in result.output
    result = runner.invoke(main, ["--data-dir", str(db.parent), "lrs", "reconcile"])
    assert result.exit_code == 0 and "absents du LRS : 0" in result.output
    ghost = str(uuid.uuid4())  # marked sent but never reached the LRS
    outbox.add({**S.initialized(attempt), "id": ghost})
    outbox.mark_sent([ghost])
    result = runner.invoke(main, ["--data-dir", str(db.parent), "lrs", "reconcile", "--requeue"])
    assert ghost in result.output and "Remis en attente : 1" in result.output
    assert outbox.counts()["pending"] == 1
    result = runner.invoke(
        main, ["--data-dir", str(db.parent), "lrs", "pull", "--registration", str(attempt.registration)]
    )
    assert result.exit_code == 0 and "Importés : 12" in result.output, result.output
    for output in (result.output, json.dumps(ralph.settings().safe_dump())):
        assert ralph.password not in output
    monkeypatch.setenv("FORMATION_TIC_LRS_PASSWORD", "faux")
    result = runner.invoke(main, ["--data-dir", str(db.parent), "lrs", "flush"])
    assert result.exit_code == 1 and "identifiants" in result.output
    assert "faux" not in result.output


def test_local_lrs_restarts_on_same_port_and_data(
    fresh_ralph: LocalLrs, tmp_path: Path, attempt: S.Attempt
) -> None:
    outbox = Outbox(tmp_path / "o.db")
    sid = outbox.add(S.initialized(attempt))
    _flush(outbox, fresh_ralph)
    port = fresh_ralph.port
    fresh_ralph.stop()
    with pytest.raises(httpx.TransportError):
        httpx.get(fresh_ralph.endpoint + "statements", timeout=1)
    fresh_ralph.start()
    assert fresh_ralph.port == port
    with LrsClient(fresh_ralph.settings()) as client:
        assert client.get_statement(sid) is not None
    assert reconcile(outbox, LrsClient(fresh_ralph.settings())).missing == []
