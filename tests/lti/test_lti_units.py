"""The LTI pieces alone: settings, claims, cookies, nonces, the score queue and its bridge, the CLI."""

from __future__ import annotations

import json
import stat
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from formation_tic.app.identity import IdentificationError, identify, identity_from_lti
from formation_tic.app.settings import LTI_IDENTITY_ENV, LTI_IDENTITY_HEADER, LearnerAppSettings
from formation_tic.cli import main
from formation_tic.lti.adapter import CookiePolicy, ExpiringStore
from formation_tic.lti.handlers import employee_number
from formation_tic.lti.pages import NO_EMPLOYEE_NUMBER, refusal_for
from formation_tic.lti.scores import OutboxBridge, comment
from formation_tic.lti.settings import LIS_CLAIM, LtiSettings
from formation_tic.lti.store import LtiStore, ScoreRequest
from formation_tic.settings import Settings, SettingsError, load_settings
from formation_tic.voila_server import voila_config
from lrs_export import statements as xapi
from lrs_export import vocabulary as V
from lrs_export.outbox import Outbox

PLATFORM = {
    "name": "ENA",
    "issuer": "https://ena.etablissement.example",
    "client_id": "abc",
    "deployment_ids": ["1"],
    "jwks_url": "https://ena.etablissement.example/mod/lti/certs.php",
    "auth_login_url": "https://ena.etablissement.example/mod/lti/auth.php",
    "token_url": "https://ena.etablissement.example/mod/lti/token.php",
}
SCORE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"


# --- settings ------------------------------------------------------------------------------------


def test_platforms_inline_and_in_a_file_add_up(tmp_path: Path) -> None:
    other = dict(PLATFORM, issuer="https://autre.exemple.qc.ca", client_id="xyz")
    toml = tmp_path / "plateformes.toml"
    toml.write_text(
        "[[platforms]]\n" + "\n".join(f"{k} = {json.dumps(v)}" for k, v in other.items()) + "\n",
        encoding="utf-8",
    )
    settings = LtiSettings(platforms=[PLATFORM], registrations_file=toml)  # type: ignore[list-item]
    assert [p.client_id for p in settings.registrations()] == ["abc", "xyz"]
    as_json = tmp_path / "plateformes.json"
    as_json.write_text(json.dumps({"platforms": [other]}), encoding="utf-8")
    assert LtiSettings(registrations_file=as_json).registrations()[0].issuer == "https://autre.exemple.qc.ca"


def test_bad_registrations_stop_every_command_with_a_french_message(tmp_path: Path) -> None:
    bad = tmp_path / "plateformes.toml"
    bad.write_text('[[platforms]]\nissuer = "ena"\n', encoding="utf-8")
    config = tmp_path / "formation-tic.toml"
    config.write_text(f'[lti]\nregistrations_file = "{bad}"\n', encoding="utf-8")
    with pytest.raises(SettingsError, match="plateforme n° 1"):
        load_settings(config, data_dir=tmp_path / "var")
    config.write_text(f'[lti]\nregistrations_file = "{tmp_path / "absent.toml"}"\n', encoding="utf-8")
    with pytest.raises(SettingsError, match="illisible"):
        load_settings(config, data_dir=tmp_path / "var")
    twice = dict(PLATFORM)
    with pytest.raises(ValueError, match="deux fois"):
        LtiSettings(platforms=[twice, twice])  # type: ignore[list-item]


def test_the_kernels_never_get_the_lti_section(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, lti=LtiSettings(platforms=[PLATFORM]))  # type: ignore[list-item]
    data = json.loads(settings.kernel_json())
    assert "lti" not in data
    assert Settings.model_validate(data).lti.platforms == []


# --- identity ------------------------------------------------------------------------------------


def test_employee_number_from_the_lis_claim_else_the_custom_parameter() -> None:
    settings = LtiSettings()
    custom = "https://purl.imsglobal.org/spec/lti/claim/custom"
    assert employee_number({LIS_CLAIM: {"person_sourcedid": " 004512 "}}, settings) == "004512"
    assert employee_number({custom: {"employee_number": "778899"}}, settings) == "778899"
    assert (
        employee_number(
            {LIS_CLAIM: {"person_sourcedid": "E-12"}, custom: {"employee_number": "5566"}}, settings
        )
        == "5566"
    )
    for claims in (
        {},
        {LIS_CLAIM: {"person_sourcedid": "12"}},
        {custom: {"employee_number": "$Person.sourcedId"}},
        {LIS_CLAIM: {"person_sourcedid": True}},
    ):
        assert employee_number(claims, settings) is None
    other = LtiSettings(employee_number_claim=["https://exemple/claim", "matricule"])
    assert employee_number({"https://exemple/claim": {"matricule": 123456}}, other) == "123456"


def test_the_kernel_takes_the_lti_identity_from_the_server_header_only() -> None:
    app = LearnerAppSettings(identification="lti")
    identity = identify(app, {LTI_IDENTITY_ENV: "004512", "QUERY_STRING": "employee_number=999999"})
    assert identity is not None and identity.employee_number == "004512" and identity.method == "lti"
    with pytest.raises(IdentificationError, match="ENA"):
        identity_from_lti({"HTTP_X_FORWARDED_USER": "004512", "QUERY_STRING": "num=004512"})
    config = voila_config(app)
    assert config.VoilaConfiguration.http_header_envs == [LTI_IDENTITY_HEADER]
    sso = voila_config(LearnerAppSettings(identification="sso-header"))
    assert LTI_IDENTITY_HEADER not in sso.VoilaConfiguration.http_header_envs


# --- cookies and nonces ----------------------------------------------------------------------------


def test_cookies_are_third_party_ready_over_https_and_on_localhost_only() -> None:
    https = CookiePolicy.for_url("https://formation.etablissement.example/").header("s", "v", 60)
    assert https == "s=v; Path=/; HttpOnly; Max-Age=60; Secure; SameSite=None; Partitioned"
    assert CookiePolicy.for_url("http://localhost:8000/").cross_site
    plain = CookiePolicy.for_url("http://127.0.0.1:8000/").header("s", "v")
    assert plain == "s=v; Path=/; HttpOnly; SameSite=Lax"


def test_a_nonce_is_good_once_and_not_after_it_expires() -> None:
    store = ExpiringStore(max_items=3)
    store.set("a", True, ttl=60)
    assert store.pop("a") is True and store.pop("a") is None
    store.set("b", True, ttl=0.01)
    time.sleep(0.05)
    assert store.pop("b") is None
    for key in "cdef":
        store.set(key, True, ttl=60)
    assert len(store) == 3 and store.get("c") is None  # the oldest goes first


def test_refusals_are_french_and_say_what_the_administrator_must_configure() -> None:
    page = NO_EMPLOYEE_NUMBER.render("AB12CD34")
    assert "employee_number=$Person.sourcedId" in page and "Numéro d&#x27;identification" in page
    assert 'lang="fr"' in page and "<script" not in page
    assert refusal_for(Exception("Invalid Nonce"))[1] == "nonce"
    assert refusal_for(Exception("Can't decode id_token: ExpiredSignatureError"))[1] == "expired"
    assert refusal_for(Exception("Unable to find deployment"))[1] == "registration"
    assert refusal_for(Exception("State not found"))[1] == "state"
    assert refusal_for(Exception("anything else"))[1] == "other"


# --- the score queue -------------------------------------------------------------------------------


def _launch(store: LtiStore, number: str = "004512", lineitem: str | None = "https://ena/ags/1/li/7") -> str:
    return store.record_launch(
        issuer="https://ena",
        client_id="abc",
        deployment_id="1",
        user_id="moodle-42",
        employee_number=number,
        lineitem=lineitem,
        scopes=[SCORE],
        resource_link_id="rl",
        context_id="c",
    ).id


def _request(source: str, at: datetime, kind: str = "failed", number: str = "004512") -> ScoreRequest:
    return ScoreRequest(
        source_id=source,
        kind=kind,  # type: ignore[arg-type]
        employee_number=number,
        created_at=at.isoformat(timespec="microseconds"),
        timestamp=at,
        score_given=6,
        score_maximum=13,
        comment="c",
        activity_progress="InProgress",
    )


def test_sessions_open_and_expire(tmp_path: Path) -> None:
    with LtiStore(tmp_path / "lti.db") as store:
        launch = store.launch(_launch(store))
        assert launch is not None
        token = store.open_session(launch, hours=1)
        info = store.session(token)
        assert info is not None and info.employee_number == "004512"
        assert store.session("autre") is None and store.session(None) is None
        expired = store.open_session(launch, hours=-1)
        assert store.session(expired) is None
        assert store.forget_expired_sessions() == 1
        assert token not in (tmp_path / "lti.db").read_bytes().decode(errors="replace")


def test_a_statement_gives_one_score_to_the_launch_in_force(tmp_path: Path) -> None:
    with LtiStore(tmp_path / "lti.db") as store:
        before = datetime.now(UTC) - timedelta(minutes=1)
        assert store.enqueue([_request("s0", before)], position=1) == 0  # no launch yet: no score
        _launch(store)
        now = datetime.now(UTC)
        first = [_request("s1", now), _request("s2", now, "passed")]
        assert store.enqueue(first, position=3) == 2
        assert store.enqueue(first, position=3) == 0  # the same statements again: nothing more
        assert store.position() == 3
        bodies = [s["body"] for s in store.scores()]
        stamps = [datetime.fromisoformat(b["timestamp"]) for b in bodies]
        assert stamps[1] - stamps[0] >= timedelta(seconds=1)  # Moodle compares seconds
        assert {b["userId"] for b in bodies} == {"moodle-42"}
        _launch(store, "778899", lineitem=None)  # a launch without the grade service
        assert store.enqueue([_request("s3", datetime.now(UTC), number="778899")], position=4) == 0


def test_the_bridge_reads_the_outbox_once_in_order(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "outbox.db")
    attempt = xapi.Attempt(employee_number="004512", homepage="https://ena", directive_version="2022")
    with LtiStore(tmp_path / "lti.db") as store:
        _launch(store)
        outbox.add(xapi.initialized(attempt))
        outbox.add(xapi.failed(attempt, score_raw=6, score_max=13))
        second = attempt.model_copy(update={"registration": uuid.uuid4()})
        outbox.add(xapi.passed(second, score_raw=12, score_max=13))
        accept = xapi.accepted(
            "f1", "2022", attempt=second, result_extensions={V.EXT_VERIFICATION_CODE: "ABCD-2345"}
        )
        outbox.add(accept)
        bridge = OutboxBridge(tmp_path / "outbox.db", store, batch=2)
        while bridge.run_once():
            pass
        bridge.run_once()
        scores = store.scores()
        assert [s["kind"] for s in scores] == ["failed", "passed", "signed"]
        assert [s["body"]["scoreGiven"] for s in scores] == [6, 12, 12]
        assert [s["body"]["activityProgress"] for s in scores] == ["InProgress", "Submitted", "Completed"]
        assert {s["body"]["gradingProgress"] for s in scores} == {"FullyGraded"}
        assert scores[2]["body"]["comment"].endswith("Code de vérification : ABCD-2345.")
        assert store.position() == 4
    outbox.close()


def test_comments_are_french() -> None:
    assert comment("failed", 6, 13) == "Questionnaire non réussi : 6 sur 13 (46 %)."
    assert "Il reste à signer" in comment("passed", 12, 13)
    assert "Code de vérification : K7" in comment("signed", 13, 13, "K7")


# --- command line ----------------------------------------------------------------------------------


def test_lti_keys_init_and_config(tmp_path: Path) -> None:
    config = tmp_path / "formation-tic.toml"
    lines = ["[lti]", 'tool_url = "https://formation.etablissement.example"', "[[lti.platforms]]"]
    lines += [f"{k} = {json.dumps(v)}" for k, v in PLATFORM.items()]
    config.write_text("\n".join(lines) + "\n", encoding="utf-8")
    args = ["--config", str(config), "--data-dir", str(tmp_path / "var")]
    runner = CliRunner()
    result = runner.invoke(main, [*args, "lti", "keys", "init"])
    assert result.exit_code == 0, result.output
    key = tmp_path / "var" / "keys" / "lti-tool-key.pem"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    again = runner.invoke(main, [*args, "lti", "keys", "init"])
    assert again.exit_code == 1 and "existe déjà" in again.output
    shown = runner.invoke(main, [*args, "lti", "config"])
    assert shown.exit_code == 0, shown.output
    for expected in (
        "https://formation.etablissement.example/lti/launch",
        "https://formation.etablissement.example/lti/login",
        "https://formation.etablissement.example/lti/jwks",
        "employee_number=$Person.sourcedId",
        "Partager le nom du participant avec l'outil    Jamais",
        "Partager l'adresse de courriel du participant  Jamais",
        "ENA : client abc, déploiement 1",
    ):
        assert expected in shown.output
    assert "Attention : adresse en http" not in shown.output
    scores = runner.invoke(main, [*args, "lti", "scores"])
    assert scores.exit_code == 0 and "Aucune note" in scores.output
