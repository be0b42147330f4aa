"""One more attempt after the last failed one: the flow, the ledger, ``attempts grant`` and the register.

No browser: the real progress store, outbox and attestation store in a temporary folder, the
real scenario bank (see :mod:`tests.app.test_flow_unit`), the real CLI through ``CliRunner``
on a data directory, and the real HR register on a small roster.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import localdb
from attest import AttestationStore, fr_ca, load_directive, load_form
from formation_tic import attempt_grants as G
from formation_tic.app.flow import FlowError, QuizRules
from formation_tic.app.progress import ProgressStore
from formation_tic.cli import main
from formation_tic.hr import RegisterFilters, build_register, import_roster
from formation_tic.hr.dashboard.view import render_dashboard_html
from formation_tic.hr.inputs import register_inputs
from formation_tic.hr.report_html import render_report_html
from formation_tic.settings import load_settings
from lrs_export import statements as xapi
from lrs_export import vocabulary as V
from lrs_export.outbox import Outbox
from lrs_export.pulled import module_activity
from tests.app import unit_support
from tests.app.test_flow_unit import World, _answer_all
from tests.hr.hr_support import HOMEPAGE, ROSTER_HEADER, pull_into, started

VERSION = load_directive().version


@pytest.fixture
def site(tmp_path: Path) -> Iterator[World]:
    """One site's real stores (as in :mod:`tests.app.test_flow_unit`), two attempts per person."""
    with (
        ProgressStore(tmp_path / "progress.db") as progress,
        Outbox(tmp_path / "outbox.db") as outbox,
        AttestationStore(tmp_path / "attestations.db") as store,
    ):
        yield World(
            unit_support.bank(),
            load_form(),
            load_directive(),
            unit_support.private_key(),
            progress,
            outbox,
            store,
            QuizRules(1, 0.8, 2),
        )


def _grant(
    path: Path, number: str, *, by: str = "20000001", reason: str = "Revu la matière", **kw: Any
) -> G.Grant:
    """Grant as ``formation-tic attempts grant`` does: another connection to the progress file."""
    conn = localdb.connect(path)
    try:
        return G.record_grant(
            conn,
            employee_number=number,
            directive_version=kw.get("version", VERSION),
            granted_by=by,
            reason=reason,
            max_attempts=kw.get("max_attempts", 2),
        )
    finally:
        conn.close()


def _fail_every_attempt(world: World, number: str) -> None:
    flow = world.flow()
    world.identify(flow, number)
    flow.begin_quiz()
    _answer_all(flow, correct=False)
    while flow.attempts_left > 0:
        flow.retry()
        _answer_all(flow, correct=False)
    assert flow.step == "resultat" and flow.locked_out


# --- the flow ----------------------------------------------------------------------------------


def test_locked_out_then_granted_then_locked_out_again(site: World) -> None:
    world = site
    path = world.progress.path
    _fail_every_attempt(world, "10000011")
    assert world.progress.standing("10000011", VERSION, 2).locked_out
    # Coming back without a grant: the lock-out page again, nothing new.
    page = world.flow(seed=3)
    assert world.identify(page, "10000011") == "resultat" and page.locked_out
    with pytest.raises(FlowError):
        page.retry()

    grant = _grant(path, "10000011")
    assert grant.allowed_after == 3
    # The page still open does not change by itself; coming back offers the new attempt.
    page = world.flow(seed=4)
    before = world.verbs()
    assert world.identify(page, "10000011") == "accueil"
    assert page.granted and not page.resumed and page.attempts_left == 0 and not page.locked_out
    attempts = world.progress.attempts("10000011", VERSION)
    assert [a.state for a in attempts] == ["closed", "closed", "welcome"]
    assert attempts[-1].attempt_no == 3
    assert not set(attempts[-1].scenario_ids) & set(attempts[-2].scenario_ids)  # a fresh draw
    assert world.verbs()[len(before) :] == ["initialized", "experienced"]
    assert page.begin_quiz() == "question"
    _answer_all(page, correct=False)
    # Failed again: locked out again, and only another grant opens a fourth attempt.
    assert page.step == "resultat" and page.attempts_left == 0 and page.locked_out
    with pytest.raises(FlowError):
        page.retry()
    again = world.flow(seed=5)
    assert world.identify(again, "10000011") == "resultat" and not again.granted
    assert _grant(path, "10000011", reason="Deuxième essai accordé").allowed_after == 4
    last = world.flow(seed=6)
    assert world.identify(last, "10000011") == "accueil" and last.granted
    last.begin_quiz()
    _answer_all(last, correct=True)
    assert last.passed and last.to_form() == "formulaire"
    assert len(world.progress.attempts("10000011", VERSION)) == 4


def test_two_pages_after_one_grant_open_one_attempt(site: World) -> None:
    """Two tabs of the same person come back after the grant: one new attempt, shown in both."""
    world = site
    _fail_every_attempt(world, "10000015")
    _grant(world.progress.path, "10000015")
    failed = world.progress.latest("10000015", VERSION)
    assert failed is not None and failed.state == "failed"
    first, second = world.flow(seed=7), world.flow(seed=8)
    assert world.identify(first, "10000015") == "accueil" and first.granted
    # The second page read the failed attempt before the first one replaced it: it loses the race.
    second.identity = first.identity
    assert second._start_granted(failed) is False
    assert world.progress.replace_failed(failed, "late-registration", ["x"]) is None
    assert world.identify(world.flow(seed=9), "10000015") == "accueil"
    attempts = world.progress.attempts("10000015", VERSION)
    assert [a.state for a in attempts] == ["closed", "closed", "welcome"]
    assert first.attempt is not None and attempts[-1].registration == first.attempt.registration
    again = world.flow(seed=10)
    world.identify(again, "10000015")
    assert again.granted and again.attempt is not None
    assert again.attempt.registration == first.attempt.registration  # the same granted attempt


def test_a_grant_is_refused_unless_locked_out(site: World) -> None:
    world = site
    path = world.progress.path
    with pytest.raises(G.GrantError, match="aucun essai"):
        _grant(path, "10000012")  # never tried
    flow = world.flow()
    world.identify(flow, "10000012")
    flow.begin_quiz()
    with pytest.raises(G.GrantError, match="pas épuisé ses essais : il lui reste 1 essai"):
        _grant(path, "10000012")  # first attempt under way
    _answer_all(flow, correct=False)
    with pytest.raises(G.GrantError, match="il lui reste 1 essai"):
        _grant(path, "10000012")  # one attempt left
    flow.retry()
    _answer_all(flow, correct=True)
    with pytest.raises(G.GrantError, match="déjà réussi"):
        _grant(path, "10000012")
    _fail_every_attempt(world, "10000013")
    _grant(path, "10000013")
    with pytest.raises(G.GrantError, match="il lui reste 1 essai"):
        _grant(path, "10000013")  # the granted attempt is still waiting: one at a time
    with closing(localdb.connect(path, readonly=True)) as conn:
        assert [g.employee_number for g in G.grants(conn, VERSION)] == ["10000013"]


@pytest.mark.parametrize(
    ("number", "by", "reason", "message"),
    [
        ("12", "20000001", "raison", "Numéro d'employé de la personne invalide"),
        ("10000014", "abc", "raison", "--by doit être votre propre numéro d'employé"),
        ("10000014", "10000014", "raison", "ne peut pas s'accorder un essai à elle-même"),
        ("10000014", "20000001", "   ", "Indiquez la raison"),
        ("10000014", "20000001", "x" * (G.REASON_MAX + 1), "La raison est trop longue"),
    ],
)
def test_bad_requests_are_refused_in_french(number: str, by: str, reason: str, message: str) -> None:
    with pytest.raises(G.GrantError, match=message):
        G.check_request(number, by, reason)


# --- the command -------------------------------------------------------------------------------


def _seed_locked_out(data: Path, number: str, max_attempts: int = 3) -> None:
    """``max_attempts`` failed attempts, as the learner app stores them."""
    with ProgressStore(data / "app" / "progress.db") as progress:
        for n in range(1, max_attempts + 1):
            attempt = progress.create(number, f"00000000-0000-4000-8000-{n:012d}", VERSION, ["s1"], n)
            progress.set_state(attempt.registration, "failed" if n == max_attempts else "closed", score=0.2)


def _run(data: Path, *args: str) -> Any:
    return CliRunner().invoke(main, ["--data-dir", str(data), "attempts", *args], env={})


def _grants_on_disk(data: Path) -> list[G.Grant]:
    with closing(localdb.connect(data / "app" / "progress.db", readonly=True)) as conn:
        return G.grants(conn)


def _outbox(data: Path) -> list[dict[str, Any]]:
    path = data / "outbox.db"
    if not path.exists():
        return []
    with Outbox(path) as outbox:
        return [outbox.get(sid)["body"] for sid in outbox.ids("pending")]  # type: ignore[index]


def test_grant_command_records_and_queues_a_statement_without_the_reason(tmp_path: Path) -> None:
    data = tmp_path / "var"
    _seed_locked_out(data, "004512")
    reason = "Congé de maladie pendant la formation (information de santé)"
    listed = _run(data, "list")
    assert listed.exit_code == 0 and "Essais épuisés : 1\n- 004512 : 3 essais sur 3" in listed.output
    result = _run(data, "grant", "004512", "--reason", reason, "--by", "000123")
    assert result.exit_code == 0, result.output
    assert "Essai supplémentaire accordé à 004512 par 000123" in result.output
    assert "4 essais permis en tout" in result.output
    [grant] = _grants_on_disk(data)
    assert (grant.employee_number, grant.granted_by, grant.reason, grant.directive_version) == (
        "004512",
        "000123",
        reason,
        VERSION,
    )
    assert grant.granted_at.tzinfo is not None
    assert abs(grant.granted_at - dt.datetime.now(dt.UTC)) < dt.timedelta(minutes=1)
    [statement] = _outbox(data)
    assert statement["id"] == grant.statement_id
    assert statement["verb"]["id"] == V.VERBS["granted-attempt"][0]
    assert statement["actor"]["account"]["name"] == "004512"  # whom it is about
    assert statement["object"]["id"] == V.MODULE
    assert statement["context"]["instructor"]["account"]["name"] == "000123"
    extensions = statement["context"]["extensions"]
    assert extensions[V.EXT_GRANT_ID] == grant.grant_id
    assert extensions[V.EXT_ATTEMPTS_ALLOWED] == 4
    assert extensions[V.EXT_DIRECTIVE_VERSION] == VERSION
    assert "registration" not in statement["context"]
    text = json.dumps(statement, ensure_ascii=False)
    assert "maladie" not in text and "santé" not in text  # the reason stays local
    listed = _run(data, "list")
    assert "Essais épuisés : 0" in listed.output
    when = fr_ca.datetime_long(grant.granted_at)
    assert f"- 004512, accordé par 000123 le {when} : « {reason} »" in listed.output
    # Granting once more before the person used it: refused, nothing written.
    again = _run(data, "grant", "004512", "--reason", "encore", "--by", "000123")
    assert again.exit_code == 1 and "il lui reste 1 essai" in again.output
    assert len(_grants_on_disk(data)) == 1 and len(_outbox(data)) == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["grant", "45", "--reason", "r", "--by", "000123"], "Numéro d'employé de la personne invalide"),
        (["grant", "004512", "--reason", "  ", "--by", "000123"], "Indiquez la raison"),
        (["grant", "004512", "--reason", "r" * 501, "--by", "000123"], "La raison est trop longue"),
        (["grant", "004512", "--reason", "r", "--by", "chef"], "--by doit être votre propre numéro"),
        (["grant", "004512", "--reason", "r", "--by", "004512"], "à elle-même"),
        (["grant", "009999", "--reason", "r", "--by", "000123"], "n'a encore fait aucun essai"),
        (["grant", "004512", "--by", "000123"], "Missing option '--reason'"),
        (["grant", "004512", "--reason", "r"], "Missing option '--by'"),
    ],
)
def test_grant_command_refusals_write_nothing(tmp_path: Path, args: list[str], message: str) -> None:
    data = tmp_path / "var"
    _seed_locked_out(data, "004512")
    result = _run(data, *args)
    assert result.exit_code != 0 and message in result.output, result.output
    assert _grants_on_disk(data) == [] and _outbox(data) == []


def test_grant_command_without_any_attempt_creates_nothing(tmp_path: Path) -> None:
    data = tmp_path / "var"
    result = _run(data, "grant", "004512", "--reason", "r", "--by", "000123")
    assert result.exit_code == 1 and "Erreur : Aucun essai du questionnaire" in result.output
    assert not data.exists() or not any(data.rglob("*.db"))


# --- the HR register ---------------------------------------------------------------------------


def test_register_flags_locked_out_people_and_lists_grants(tmp_path: Path) -> None:
    data = tmp_path / "var"
    data.mkdir()
    roster = tmp_path / "personnel.csv"
    hired = (dt.date.today() - dt.timedelta(days=5)).isoformat()
    roster.write_text(
        ROSTER_HEADER
        + "\n"
        + "".join(
            f"{n};Tremblay;Marie;Infirmière;DSI;Urgence;{boss};{hired};actif\n"
            for n, boss in (("004512", "000123"), ("004513", "000123"), ("000123", ""))
        ),
        encoding="utf-8",
    )
    settings = load_settings(None, data_dir=data)
    imported = import_roster(settings.paths.roster, roster)
    assert not imported.rejected, imported.rejected
    _seed_locked_out(data, "004512")
    with ProgressStore(settings.paths.progress) as progress:  # one failure, attempts left
        attempt = progress.create("004513", "00000000-0000-4000-9000-000000000001", VERSION, ["s1"], 1)
        progress.set_state(attempt.registration, "failed", score=0.1)

    def register() -> Any:
        inputs = register_inputs(settings)
        return build_register(inputs.sources, inputs.rules, RegisterFilters(), inputs.keys)

    before = register()
    rows = {r.employee_number: r for r in before.rows}
    assert rows["004512"].locked_out and not rows["004513"].locked_out and not rows["000123"].locked_out
    assert before.grants == []
    for html in (render_report_html(before), render_dashboard_html(before)):
        assert "Essais épuisés : 1\u00a0personne ne peut plus recommencer" in html
        assert "Aucun essai supplémentaire accordé." in html
    report = render_report_html(before)
    row_html = report.split("<th scope='row'>004512</th>")[1].split("</tr>")[0]
    assert "— essais épuisés" in row_html and "Essais épuisés : tous les essais permis" in row_html
    assert report.count("— essais épuisés") == 1  # 004513 failed once, attempts left: not flagged
    result = _run(data, "grant", "004512", "--reason", "Accompagnement fait", "--by", "000123")
    assert result.exit_code == 0, result.output
    after = register()
    assert not any(r.locked_out for r in after.rows)
    [grant] = after.grants
    assert (grant.employee_number, grant.granted_by, grant.reason) == (
        "004512",
        "000123",
        "Accompagnement fait",
    )
    # Filters apply to the grants listed too.
    inputs = register_inputs(settings)
    other = build_register(inputs.sources, inputs.rules, RegisterFilters(service="Autre"), inputs.keys)
    assert other.grants == []


def test_register_and_app_share_one_rule(tmp_path: Path) -> None:
    """The register reads the app's file with the app's rule: same answer, person by person."""
    path = tmp_path / "progress.db"
    with ProgressStore(path) as progress:
        for number, states in {
            "1001": ["closed", "closed", "failed"],
            "1002": ["closed", "failed"],
            "1003": ["closed", "closed", "passed"],
            "1004": ["closed", "closed", "quiz"],
        }.items():
            for n, state in enumerate(states, 1):
                attempt = progress.create(number, f"{number}-{n}", VERSION, ["s1"], n)
                progress.set_state(attempt.registration, state)  # type: ignore[arg-type]
        app_view = {n: progress.standing(n, VERSION, 3).locked_out for n in ("1001", "1002", "1003", "1004")}
    with closing(sqlite3.connect(path)) as conn:
        hr_view = {s.employee_number: s.locked_out for s in G.standings(conn, VERSION, 3)}
    assert app_view == hr_view == {"1001": True, "1002": False, "1003": False, "1004": False}


def test_a_grant_pulled_from_the_lrs_is_not_the_learners_training_activity(tmp_path: Path) -> None:
    grant = xapi.attempt_granted(
        "004512",
        "000123",
        homepage=HOMEPAGE,
        directive_version=VERSION,
        grant_id=uuid.uuid4(),
        attempts_allowed=4,
    )
    db = tmp_path / "lrs-statements.db"
    pull_into(db, [*started("004513"), grant])
    assert [a.actor for a in module_activity(db)] == ["004513"]
