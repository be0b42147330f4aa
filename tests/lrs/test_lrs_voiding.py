"""A revocation voids the attestation's statement: sent through the outbox, reconciled, pulled,
and left out of the aggregates HR reads; the statements carry ``version`` 1.0.3."""

from __future__ import annotations

import json
import random
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner

from attest import (
    AttestationRecord,
    AttestationStore,
    QuizResult,
    load_directive,
    load_form,
    validate_submission,
)
from attest.delivery import enqueue_attestation
from formation_tic.signing_keys import create_signing_keys, signing_key
from lrs_export import statements as S
from lrs_export import vocabulary as V
from lrs_export.client import LrsClient
from lrs_export.local_lrs import LocalLrs
from lrs_export.outbox import Outbox
from lrs_export.pull import pull
from lrs_export.pulled import answer_summary, module_activity, voided_ids
from lrs_export.reconcile import reconcile
from lrs_export.sender import Sender
from lrs_export.settings import LrsSettings

from .conftest import stored_id_counts
from .scenarios_fixtures import SINGLE
from .test_lrs_statements import every_statement


def _sign(store: AttestationStore, key: Any, number: str) -> AttestationRecord:
    form, directive = load_form(), load_directive()
    values = {
        "employee_number": number,
        "full_name": "Marie Tremblay",
        "job_title": "Infirmière",
        "direction": "DSI",
        "establishment": "CISSS des Laurentides",
        "signature": "Marie Tremblay",
        "consent_electronic_signature": True,
        "commitments": {c.id: True for c in form.engagements},
    }
    quiz = QuizResult(registration=uuid.uuid4(), score=0.9)
    return store.sign(validate_submission(form, values), form, directive, quiz, "typed", key)


def test_revoke_sends_a_voiding_statement_reconciled_pulled_and_not_counted(
    ralph: LocalLrs, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from formation_tic.cli import main
    from formation_tic.settings import load_settings

    data = tmp_path / "var"
    number = str(random.randrange(10**8, 10**9))  # this test's person only
    homepage = f"https://ena-{uuid.uuid4().hex[:8]}.example"
    for name, value in {
        "ENDPOINT": ralph.endpoint,
        "USERNAME": ralph.username,
        "PASSWORD": ralph.password,
        "HOMEPAGE": homepage,
    }.items():
        monkeypatch.setenv(f"FORMATION_TIC_LRS_{name}", value)
    monkeypatch.setenv("FORMATION_TIC_ATTEST_KEY_SIZE", "2048")
    settings = load_settings(data_dir=data)
    create_signing_keys(settings)
    key = signing_key(settings)
    with AttestationStore(settings.paths.attestations) as store:
        attestation = _sign(store, key, number)
    with Outbox(settings.paths.outbox) as outbox:
        enqueue_attestation(attestation, outbox, settings.lrs, key)

    runner = CliRunner()

    def run(*args: str) -> str:
        result = runner.invoke(main, ["--data-dir", str(data), *args])
        assert result.exit_code == 0, (result.output, result.exception)
        return result.output

    assert "Envoyés : 1 " in run("lrs", "flush")
    assert "Importés" in run("lrs", "pull")
    before = {a.actor: a for a in module_activity(settings.paths.statements)}
    assert number in before  # the accept counts as activity on the training

    out = run("attest", "revoke", attestation.id, "--reason", "Signée par erreur")
    assert "Révocation enregistrée : n° 2" in out and "voided" in out
    with Outbox(settings.paths.outbox) as outbox:
        (pending,) = outbox.next_batch(10)
    with AttestationStore(settings.paths.attestations, create=False) as store:
        revocation = list(store.records())[-1]
    assert pending.id == revocation.id and revocation.revokes == attestation.id
    assert "Envoyés : 1 " in run("lrs", "flush")

    # The LRS holds the voiding statement (Ralph 5.1 implements no voiding: it keeps
    # returning the voided accept too).
    with LrsClient(settings.effective_lrs().settings) as client:
        voiding = client.get_statement(revocation.id)
        voided = client.get_statement(attestation.id)
    assert voiding is not None and voided is not None
    assert voiding["verb"]["id"] == "http://adlnet.gov/expapi/verbs/voided"
    assert voiding["object"] == {"objectType": "StatementRef", "id": attestation.id}
    assert voiding["context"]["extensions"][V.EXT_REGISTER_SEQ] == 2
    assert voiding["version"] == "1.0.3"
    assert stored_id_counts(ralph)[revocation.id] == 1

    out = run("lrs", "reconcile")
    assert "Vérifiés : 2 ; absents du LRS : 0." in out

    out = run("lrs", "pull")
    assert attestation.id in voided_ids(settings.paths.statements)  # the voiding statement is stored
    after = {a.actor: a for a in module_activity(settings.paths.statements)}
    assert number not in after  # the voided accept no longer counts
    assert "formation-tic" not in after  # nor does the installation that voided it


# --- an LRS that implements voiding (xAPI 1.0.3), for reconcile ----------------------------------


class SpecLrs:
    """In memory: hides voided statements from ``statementId``, returns them by ``voidedStatementId``."""

    def __init__(self, statements: list[dict[str, Any]]) -> None:
        self.by_id = {s["id"]: s for s in statements}
        self.voided = {s["object"]["id"] for s in statements if s["verb"]["id"] == V.VERBS["voided"][0]}

    def __call__(self, request: httpx.Request) -> httpx.Response:
        params = request.url.params
        if "statementId" in params:
            sid = params["statementId"]
            if sid in self.by_id and sid not in self.voided:
                return httpx.Response(200, json=self.by_id[sid])
            return httpx.Response(404)
        if "voidedStatementId" in params:
            sid = params["voidedStatementId"]
            if sid in self.voided and sid in self.by_id:
                return httpx.Response(200, json=self.by_id[sid])
            return httpx.Response(404)
        return httpx.Response(
            200, json={"statements": [s for s in self.by_id.values() if s["id"] not in self.voided]}
        )


def test_reconcile_finds_a_voided_statement_an_xapi_lrs_hides(tmp_path: Path, attempt: S.Attempt) -> None:
    accept = S.accepted("2024-01", "2022", attempt=attempt)
    voiding = S.voided(
        accept["id"], homepage=attempt.homepage, account_name="formation-tic", directive_version="2022"
    )
    other = S.terminated(attempt)
    lost = S.initialized(attempt)
    lrs = SpecLrs([accept, voiding, other])
    settings = LrsSettings(endpoint="http://lrs.test/xAPI/")
    outbox = Outbox(tmp_path / "o.db")
    ids = [outbox.add(s) for s in (accept, voiding, other, lost)]
    outbox.mark_sent(ids)
    client = LrsClient(
        settings, http=httpx.Client(base_url="http://lrs.test/xAPI/", transport=httpx.MockTransport(lrs))
    )
    report = reconcile(outbox, client)
    assert report.checked == 4
    assert report.missing == [lost["id"]]  # the voided accept is not missing
    assert report.voided == [accept["id"]]


# --- what the pull stores, what the aggregates count ------------------------------------------


class PagedClient:
    """Feeds :func:`lrs_export.pull.pull` from memory (one page)."""

    settings = type("S", (), {"pull_overlap_seconds": 300.0})()

    def __init__(self, statements: list[dict[str, Any]]) -> None:
        self.statements = statements

    def iter_pages(self, params: Any = None, *, more: str | None = None) -> Any:
        yield self.statements, None


def test_aggregates_ignore_statements_voided_later(tmp_path: Path) -> None:
    """An xAPI LRS returns the accept before it is voided, then only the voiding statement."""
    a = S.Attempt(employee_number="7001", homepage="https://ena.example", directive_version="2022")
    b = S.Attempt(employee_number="7002", homepage="https://ena.example", directive_version="2022")
    accept = S.accepted("2024-01", "2022", attempt=a)
    answer = S.answered(a, SINGLE, ["appeler"], success=True, score_raw=1, score_max=1)
    kept = S.answered(b, SINGLE, ["ecrire"], success=False, score_raw=0, score_max=1)
    db = tmp_path / "pulled.db"
    pull(PagedClient([accept, answer, kept]), db)  # type: ignore[arg-type]
    assert {r.actor for r in module_activity(db)} == {"7001", "7002"}
    assert sum(g.answers for g in answer_summary(db).groups) == 2

    voidings = [
        S.voided(s["id"], homepage=a.homepage, account_name="formation-tic", directive_version="2022")
        for s in (accept, answer)
    ]
    pull(PagedClient(voidings), db, since=S.utcnow())  # type: ignore[arg-type]
    assert voided_ids(db) == sorted([accept["id"], answer["id"]])
    assert {r.actor for r in module_activity(db)} == {"7002"}
    summary = answer_summary(db)
    assert [(g.response, g.answers) for g in summary.groups] == [("ecrire", 1)]
    assert [(x.activity, x.people) for x in summary.activities] == [(V.scenario_iri(SINGLE.id), 1)]


def test_the_voiding_index_is_used(tmp_path: Path) -> None:
    import sqlite3

    from lrs_export.pull import TABLE
    from lrs_export.pulled import NOT_VOIDED

    db = tmp_path / "pulled.db"
    pull(
        PagedClient(
            [
                S.terminated(
                    S.Attempt(employee_number="7001", homepage="https://e.example", directive_version="1")
                )
            ]
        ),
        db,
    )  # type: ignore[arg-type]
    conn = sqlite3.connect(db)
    plan = " ".join(
        str(r) for r in conn.execute(f"EXPLAIN QUERY PLAN SELECT count(*) FROM {TABLE} WHERE {NOT_VOIDED}")
    )
    conn.close()
    assert f"{TABLE}_voiding" in plan


# --- version ----------------------------------------------------------------------------------


def test_statements_carry_version_1_0_3_and_ralph_keeps_it(
    ralph: LocalLrs, tmp_path: Path, attempt: S.Attempt
) -> None:
    built = [
        *every_statement(attempt),
        S.voided(
            str(uuid.uuid4()),
            homepage=attempt.homepage,
            account_name="formation-tic",
            directive_version="2022",
        ),
    ]
    assert {s["version"] for s in built} == {"1.0.3"}
    outbox = Outbox(tmp_path / "o.db")
    ids = [outbox.add(s) for s in built]
    with Sender(outbox, ralph.settings()) as sender:
        assert sender.flush().sent == len(ids)
    stored = [json.loads(line) for line in ralph.statements_file.read_text(encoding="utf-8").splitlines()]
    versions = {s["id"]: s.get("version") for s in stored if s["id"] in set(ids)}
    assert versions == dict.fromkeys(ids, "1.0.3")
    with LrsClient(ralph.settings()) as client:
        back = client.get_statement(ids[0])
    assert back is not None and back["version"] == "1.0.3"
