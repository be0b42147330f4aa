"""Statement builders: xAPI 1.0.3 shape, privacy, vocabulary, Ralph's model validation."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pytest
from ralph.models.xapi.base.statements import BaseXapiStatement

from lrs_export import statements as S
from lrs_export import vocabulary as V
from lrs_export.outbox import Outbox

from .scenarios_fixtures import ALL, BRANCHING, MULTIPLE, SINGLE

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class FakeAnswerEvent:
    """Same fields as scenarios.grading.AnswerEvent (the quiz runtime's event)."""

    scenario_id: str
    theme: str
    kind: str
    response: tuple[str, ...]
    correct: bool | None
    score_raw: float
    score_max: float
    step_id: str | None
    path: tuple[str, ...]
    final: bool


def every_statement(attempt: S.Attempt) -> list[dict]:
    return [
        S.initialized(attempt),
        S.experienced(attempt, "introduction", "Introduction"),
        S.answered(attempt, SINGLE, ["appeler"], success=True, score_raw=1, score_max=1),
        S.answered(attempt, MULTIPLE, ["a"], success=False, score_raw=0, score_max=1),
        S.answered_step(attempt, BRANCHING, "debut", "prudent", ["debut"]),
        S.answered(
            attempt,
            BRANCHING,
            ["prudent", "verifier"],
            success=True,
            score_raw=1,
            score_max=1,
            path=["debut", "suite", "reussite"],
        ),
        S.passed(attempt, score_raw=8, score_max=10),
        S.failed(attempt, score_raw=3, score_max=10),
        S.completed(attempt, success=True, score_raw=8, score_max=10),
        S.terminated(attempt),
        S.accepted("2024-01", "2022", attempt=attempt),
        S.accepted("2024-01", "2022", attempt=attempt, result_extensions={V.EXT_JWS: "a.b.c"}),
    ]


def test_every_statement_validates_against_ralph_base_model(attempt: S.Attempt) -> None:
    for statement in every_statement(attempt):
        BaseXapiStatement.model_validate(statement)


def test_common_shape_privacy_and_time(attempt: S.Attempt) -> None:
    for st in every_statement(attempt):
        uuid.UUID(st["id"])
        assert st["actor"] == {
            "objectType": "Agent",
            "account": {"name": "4711042", "homePage": "https://ena.santeqc.example"},
        }
        assert st["version"] == "1.0.3"  # kept: an LRS stores 1.0.0 for a statement without one
        text = json.dumps(st)
        assert "mbox" not in text and '"name": "4711042"' in text
        assert datetime.fromisoformat(st["timestamp"]).utcoffset().total_seconds() == 0
        ctx = st["context"]
        assert ctx["registration"] == str(attempt.registration)
        assert ctx["language"] == "fr-CA" and ctx["platform"] == "formation-tic"
        assert {"id": V.PROFILE}.items() <= ctx["contextActivities"]["category"][0].items()
        assert st["verb"]["id"] in {iri for iri, _ in V.VERBS.values()}


def test_naive_timestamp_refused(attempt: S.Attempt) -> None:
    with pytest.raises(ValueError):
        S.initialized(attempt, timestamp=datetime(2024, 1, 1))


def test_choice_interactions(attempt: S.Attempt) -> None:
    single = S.interaction_definition(SINGLE)
    assert single["type"] == V.TYPE_INTERACTION
    assert single["interactionType"] == "choice"
    assert single["correctResponsesPattern"] == ["appeler"]
    assert [c["id"] for c in single["choices"]] == ["appeler", "ecrire"]
    multiple = S.interaction_definition(MULTIPLE)
    assert multiple["correctResponsesPattern"] == ["a[,]c"]
    st = S.answered(attempt, MULTIPLE, ["a", "c"], success=True, score_raw=2, score_max=2)
    assert st["object"]["id"] == V.scenario_iri("test-multiple")
    assert st["result"] == {
        "success": True,
        "response": "a[,]c",
        "score": {"scaled": 1.0, "raw": 2.0, "min": 0.0, "max": 2.0},
    }
    grouping = {a["id"] for a in st["context"]["contextActivities"]["grouping"]}
    assert V.theme_iri("consentement") in grouping and V.directive_iri("2022") in grouping
    assert st["context"]["contextActivities"]["parent"][0]["id"] == V.MODULE


def test_branching_decision_is_its_own_statement_with_path(attempt: S.Attempt) -> None:
    st = S.answered_step(attempt, BRANCHING, "suite", "verifier", ["debut", "suite"])
    assert st["object"]["id"] == V.step_iri("test-embranchement", "suite")
    assert st["object"]["definition"]["interactionType"] == "choice"
    assert st["result"]["response"] == "verifier"
    assert st["result"]["extensions"][V.EXT_PATH] == ["debut", "suite"]
    parent = st["context"]["contextActivities"]["parent"][0]["id"]
    assert parent == V.scenario_iri("test-embranchement")


def test_accept_has_form_version_as_object(attempt: S.Attempt) -> None:
    st = S.accepted("2024-01", "2022", attempt=attempt)
    assert st["verb"]["id"] == "http://activitystrea.ms/schema/1.0/accept"
    assert st["object"]["id"] == V.form_iri("2024-01")
    assert st["context"]["extensions"][V.EXT_FORM_VERSION] == "2024-01"
    assert st["context"]["extensions"][V.EXT_DIRECTIVE_VERSION] == "2022"


def test_voiding_statement(attempt: S.Attempt) -> None:
    target = S.accepted("2024-01", "2022", attempt=attempt)
    st = S.voided(
        target["id"],
        homepage=attempt.homepage,
        account_name="formation-tic",
        directive_version="2022",
        context_extensions={V.EXT_REGISTER_SEQ: 2},
    )
    BaseXapiStatement.model_validate(st)
    uuid.UUID(st["id"])
    assert st["version"] == "1.0.3"
    assert st["verb"]["id"] == "http://adlnet.gov/expapi/verbs/voided" == V.VERBS["voided"][0]
    assert st["object"] == {"objectType": "StatementRef", "id": target["id"]}
    assert st["actor"] == {
        "objectType": "Agent",
        "account": {"name": "formation-tic", "homePage": "https://ena.santeqc.example"},
    }
    # xAPI: platform (and revision) only when the object is an Activity.
    assert "platform" not in st["context"] and "registration" not in st["context"]
    assert st["context"]["language"] == "fr-CA"
    assert st["context"]["contextActivities"]["category"][0]["id"] == V.PROFILE
    assert st["context"]["extensions"] == {V.EXT_DIRECTIVE_VERSION: "2022", V.EXT_REGISTER_SEQ: 2}
    assert datetime.fromisoformat(st["timestamp"]).utcoffset().total_seconds() == 0


def test_answer_callback_builds_and_enqueues(tmp_path: Path, attempt: S.Attempt) -> None:
    outbox = Outbox(tmp_path / "outbox.db")
    on_answer = S.answer_callback(outbox, attempt, ALL)
    events = [
        FakeAnswerEvent("test-simple", "urgence", "single", ("ecrire",), False, 0, 1, None, (), True),
        FakeAnswerEvent(
            "test-embranchement",
            "teletravail",
            "branching",
            ("prudent",),
            None,
            0,
            1,
            "debut",
            ("debut",),
            False,
        ),
        FakeAnswerEvent(
            "test-embranchement",
            "teletravail",
            "branching",
            ("prudent", "verifier"),
            True,
            1,
            1,
            "suite",
            ("debut", "suite", "reussite"),
            True,
        ),
    ]
    ids = [on_answer(e) for e in events]
    bodies = [outbox.get(i)["body"] for i in ids]
    assert bodies[0]["result"]["success"] is False and bodies[0]["result"]["response"] == "ecrire"
    assert bodies[1]["object"]["id"] == V.step_iri("test-embranchement", "debut")
    assert bodies[2]["object"]["id"] == V.scenario_iri("test-embranchement")
    assert bodies[2]["result"]["response"] == "prudent[,]verifier"
    assert bodies[2]["result"]["extensions"][V.EXT_PATH] == ["debut", "suite", "reussite"]
    for body in bodies:
        BaseXapiStatement.model_validate(body)
    assert outbox.counts()["pending"] == 3


def test_profile_json_matches_vocabulary() -> None:
    profile = json.loads((ROOT / "book/reference/xapi-profil.json").read_text(encoding="utf-8"))
    assert profile["id"] == V.PROFILE
    assert {v["id"] for v in profile["verbs"]} == {iri for iri, _ in V.VERBS.values()}
    assert {e["id"] for e in profile["extensions"]} == set(V.EXTENSIONS.values())
    assert {t["id"] for t in profile["activityTypes"]} >= {V.TYPE_DIRECTIVE, V.TYPE_FORM}
    page = (ROOT / "book/reference/xapi-profil.md").read_text(encoding="utf-8")
    for iri, _ in V.VERBS.values():
        assert iri in page
