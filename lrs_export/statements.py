"""Builders of xAPI 1.0.3 statements, made with ``tincan`` objects, returned as plain dicts.

Every builder returns a JSON-ready dict with a client-assigned UUID ``id``, a
timezone-aware UTC ``timestamp``, ``"version": "1.0.3"`` and, as actor, the learner as an
``account`` (ENA homePage + employee number) or, for ``voided``, the establishment's
installation as an ``account``: never a name nor an email (directive 5.7, privacy by design).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Protocol

import tincan
from pydantic import BaseModel, ConfigDict, Field

from lrs_export import vocabulary as V
from scenarios.model import Branching, Scenario, Step

if TYPE_CHECKING:
    from lrs_export.outbox import Outbox

JSONDict = dict[str, Any]


class Attempt(BaseModel):
    """Who is learning, in which attempt (registration), under which directive version."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    employee_number: str = Field(min_length=1, max_length=64)
    homepage: str
    registration: uuid.UUID = Field(default_factory=uuid.uuid4)
    directive_version: str
    platform: str = "formation-tic"
    language: str = V.LANGUAGE


class AnswerEventLike(Protocol):
    """What :func:`answered_from_event` reads from ``scenarios.grading.AnswerEvent``."""

    @property
    def scenario_id(self) -> str: ...
    @property
    def theme(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def response(self) -> tuple[str, ...]: ...
    @property
    def correct(self) -> bool | None: ...
    @property
    def score_raw(self) -> float: ...
    @property
    def score_max(self) -> float: ...
    @property
    def step_id(self) -> str | None: ...
    @property
    def path(self) -> tuple[str, ...]: ...
    @property
    def final(self) -> bool: ...


# --- small pieces --------------------------------------------------------------------------


def _lang(text: str, language: str = V.LANGUAGE) -> tincan.LanguageMap:
    return tincan.LanguageMap({language: text})


def utcnow() -> datetime:
    """Timezone-aware current UTC time (tincan would emit naive datetimes as is)."""
    return datetime.now(UTC)


def _aware(ts: datetime | None) -> datetime:
    if ts is None:
        return utcnow()
    if ts.tzinfo is None:
        raise ValueError("timestamp must be timezone-aware")
    return ts.astimezone(UTC)


def actor(employee_number: str, homepage: str) -> JSONDict:
    """The learner as an ``account`` Agent: ``homePage`` of the ENA, ``name`` = employee number."""
    return _to_dict(_agent(employee_number, homepage))


def _agent(employee_number: str, homepage: str) -> tincan.Agent:
    if not employee_number:
        raise ValueError("employee_number is required")
    return tincan.Agent(account=tincan.AgentAccount(name=employee_number, home_page=homepage))


def verb(key: str) -> tincan.Verb:
    """The tincan Verb for one of :data:`vocabulary.VERBS` keys."""
    iri, display = V.VERBS[key]
    return tincan.Verb(id=iri, display=_lang(display))


def _activity(iri: str, type_: str, name: str | None = None, **definition: Any) -> tincan.Activity:
    return tincan.Activity(
        id=iri,
        definition=tincan.ActivityDefinition(type=type_, name=_lang(name) if name else None, **definition),
    )


def module_activity() -> tincan.Activity:
    """The training module (course)."""
    return _activity(V.MODULE, V.TYPE_COURSE, "Formation TIC : courriel et messagerie instantanée")


def directive_activity(directive_version: str) -> tincan.Activity:
    """One version of the directive DIR 2022 DQEPE 054."""
    return _activity(
        V.directive_iri(directive_version),
        V.TYPE_DIRECTIVE,
        f"Directive DIR 2022 DQEPE 054 (version {directive_version})",
    )


def theme_activity(theme: str) -> tincan.Activity:
    """A theme grouping scenarios."""
    return _activity(V.theme_iri(theme), V.TYPE_THEME, f"Thème {theme}")


def form_activity(form_version: str) -> tincan.Activity:
    """One version of the engagement form."""
    return _activity(
        V.form_iri(form_version), V.TYPE_FORM, f"Formulaire d'engagement (version {form_version})"
    )


def _profile_activity() -> tincan.Activity:
    return tincan.Activity(id=V.PROFILE, definition=tincan.ActivityDefinition(type=V.TYPE_PROFILE))


def _context(
    attempt: Attempt,
    *,
    parent: Sequence[tincan.Activity] = (),
    grouping: Sequence[tincan.Activity] = (),
    extensions: Mapping[str, Any] | None = None,
) -> tincan.Context:
    ext = {V.EXT_DIRECTIVE_VERSION: attempt.directive_version, **(extensions or {})}
    return tincan.Context(
        registration=attempt.registration,
        language=attempt.language,
        platform=attempt.platform,
        context_activities=tincan.ContextActivities(
            parent=tincan.ActivityList(list(parent)) if parent else None,
            grouping=tincan.ActivityList([*grouping, directive_activity(attempt.directive_version)]),
            category=tincan.ActivityList([_profile_activity()]),
        ),
        extensions=tincan.Extensions(ext),
    )


def _score(raw: float, maximum: float) -> tincan.Score:
    scaled = (raw / maximum) if maximum > 0 else 0.0
    return tincan.Score(scaled=round(max(-1.0, min(1.0, scaled)), 4), raw=raw, min=0, max=maximum)


def _to_dict(obj: Any) -> JSONDict:
    result: JSONDict = json.loads(obj.to_json(V.XAPI_VERSION))
    return result


def _statement(
    attempt: Attempt,
    verb_key: str,
    obj: tincan.Activity,
    *,
    result: tincan.Result | None = None,
    context: tincan.Context | None = None,
    timestamp: datetime | None = None,
    statement_id: uuid.UUID | str | None = None,
) -> JSONDict:
    statement = tincan.Statement(
        id=uuid.UUID(str(statement_id)) if statement_id else uuid.uuid4(),
        actor=_agent(attempt.employee_number, attempt.homepage),
        verb=verb(verb_key),
        object=obj,
        result=result,
        context=context or _context(attempt),
        timestamp=_aware(timestamp),
    )
    # ``version`` is kept (tincan writes the one asked for, 1.0.3): an LRS MUST keep the
    # version a statement was accepted with and set 1.0.0 when there is none.
    return _to_dict(statement)


# --- interaction definitions ----------------------------------------------------------------


def interaction_definition(scenario: Scenario) -> JSONDict:
    """The ``cmi.interaction`` activity definition of a scenario (as a dict)."""
    return _to_dict(scenario_activity(scenario).definition)


def scenario_activity(scenario: Scenario) -> tincan.Activity:
    """A scenario as a ``cmi.interaction`` Activity.

    Single/multiple choice: ``interactionType=choice`` with choices and
    ``correctResponsesPattern``. Branching: ``interactionType=other`` (the path is the
    response; each decision is its own interaction, see :func:`step_activity`).
    """
    q = scenario.question
    definition: dict[str, Any] = {
        "type": V.TYPE_INTERACTION,
        "name": _lang(scenario.title),
        "extensions": tincan.Extensions({V.EXT_THEME: str(scenario.theme)}),
    }
    if not isinstance(q, Branching):
        definition.update(
            description=_lang(q.prompt),
            interaction_type="choice",
            choices=tincan.InteractionComponentList(
                [tincan.InteractionComponent(id=c.id, description=_lang(c.text)) for c in q.choices]
            ),
            correct_responses_pattern=["[,]".join(q.correct_ids)],
        )
    else:
        start = q.node(q.start)
        definition.update(
            description=_lang(getattr(start, "prompt", scenario.title)),
            interaction_type="other",
        )
    return tincan.Activity(id=V.scenario_iri(scenario.id), definition=tincan.ActivityDefinition(**definition))


def step_activity(scenario: Scenario, step_id: str) -> tincan.Activity:
    """One decision of a branching scenario, as a ``choice`` interaction (no correct answer)."""
    q = scenario.question
    if not isinstance(q, Branching):
        raise ValueError(f"scenario {scenario.id} is not branching")
    node = q.node(step_id)
    if not isinstance(node, Step):
        raise ValueError(f"unknown step {step_id!r} in scenario {scenario.id}")
    return tincan.Activity(
        id=V.step_iri(scenario.id, step_id),
        definition=tincan.ActivityDefinition(
            type=V.TYPE_INTERACTION,
            name=_lang(f"{scenario.title} — étape {step_id}"),
            description=_lang(node.prompt),
            interaction_type="choice",
            choices=tincan.InteractionComponentList(
                [tincan.InteractionComponent(id=c.id, description=_lang(c.text)) for c in node.choices]
            ),
        ),
    )


# --- statements ----------------------------------------------------------------------------


def initialized(
    attempt: Attempt,
    *,
    timestamp: datetime | None = None,
    statement_id: uuid.UUID | str | None = None,
) -> JSONDict:
    """The learner started an attempt of the module."""
    return _module_statement(attempt, "initialized", timestamp, statement_id)


def experienced(
    attempt: Attempt,
    page_id: str,
    title: str,
    *,
    timestamp: datetime | None = None,
    statement_id: uuid.UUID | str | None = None,
) -> JSONDict:
    """The learner viewed a content page of the module."""
    page = _activity(V.page_iri(page_id), V.TYPE_PAGE, title)
    return _statement(
        attempt,
        "experienced",
        page,
        context=_context(attempt, parent=[module_activity()]),
        timestamp=timestamp,
        statement_id=statement_id,
    )


def answered(
    attempt: Attempt,
    scenario: Scenario,
    response: Sequence[str],
    *,
    success: bool,
    score_raw: float,
    score_max: float,
    path: Sequence[str] = (),
    timestamp: datetime | None = None,
    statement_id: uuid.UUID | str | None = None,
) -> JSONDict:
    """The learner answered a whole scenario (for branching: reached an ending)."""
    extensions = {V.EXT_PATH: list(path)} if path else None
    result = tincan.Result(
        success=success,
        response="[,]".join(response),
        score=_score(score_raw, score_max),
        extensions=tincan.Extensions(extensions) if extensions else None,
    )
    context = _context(attempt, parent=[module_activity()], grouping=[theme_activity(str(scenario.theme))])
    return _statement(
        attempt,
        "answered",
        scenario_activity(scenario),
        result=result,
        context=context,
        timestamp=timestamp,
        statement_id=statement_id,
    )


def answered_step(
    attempt: Attempt,
    scenario: Scenario,
    step_id: str,
    choice_id: str,
    path: Sequence[str],
    *,
    timestamp: datetime | None = None,
    statement_id: uuid.UUID | str | None = None,
) -> JSONDict:
    """One decision of a branching scenario, with the path (node ids) visited so far."""
    result = tincan.Result(response=choice_id, extensions=tincan.Extensions({V.EXT_PATH: list(path)}))
    context = _context(
        attempt,
        parent=[tincan.Activity(id=V.scenario_iri(scenario.id))],
        grouping=[module_activity(), theme_activity(str(scenario.theme))],
    )
    return _statement(
        attempt,
        "answered",
        step_activity(scenario, step_id),
        result=result,
        context=context,
        timestamp=timestamp,
        statement_id=statement_id,
    )


def _module_statement(
    attempt: Attempt,
    verb_key: str,
    timestamp: datetime | None,
    statement_id: uuid.UUID | str | None,
    *,
    result: tincan.Result | None = None,
) -> JSONDict:
    """A statement whose object is the module itself, in the attempt's default context."""
    return _statement(
        attempt, verb_key, module_activity(), result=result, timestamp=timestamp, statement_id=statement_id
    )


def _module_result(
    verb_key: str,
    attempt: Attempt,
    success: bool | None,
    score_raw: float | None,
    score_max: float | None,
    timestamp: datetime | None,
    statement_id: uuid.UUID | str | None,
    completion: bool | None = None,
) -> JSONDict:
    score = _score(score_raw, score_max) if score_raw is not None and score_max else None
    result = tincan.Result(success=success, score=score, completion=completion)
    return _module_statement(attempt, verb_key, timestamp, statement_id, result=result)


def passed(
    attempt: Attempt,
    *,
    score_raw: float,
    score_max: float,
    timestamp: datetime | None = None,
    statement_id: uuid.UUID | str | None = None,
) -> JSONDict:
    """The learner passed the module (score at or above the threshold)."""
    return _module_result("passed", attempt, True, score_raw, score_max, timestamp, statement_id)


def failed(
    attempt: Attempt,
    *,
    score_raw: float,
    score_max: float,
    timestamp: datetime | None = None,
    statement_id: uuid.UUID | str | None = None,
) -> JSONDict:
    """The learner failed the module."""
    return _module_result("failed", attempt, False, score_raw, score_max, timestamp, statement_id)


def completed(
    attempt: Attempt,
    *,
    success: bool | None = None,
    score_raw: float | None = None,
    score_max: float | None = None,
    timestamp: datetime | None = None,
    statement_id: uuid.UUID | str | None = None,
) -> JSONDict:
    """The learner went through every scenario of the module."""
    return _module_result(
        "completed",
        attempt,
        success,
        score_raw,
        score_max,
        timestamp,
        statement_id,
        completion=True,
    )


def terminated(
    attempt: Attempt,
    *,
    timestamp: datetime | None = None,
    statement_id: uuid.UUID | str | None = None,
) -> JSONDict:
    """The learner left the module (end of the attempt)."""
    return _module_statement(attempt, "terminated", timestamp, statement_id)


def accepted(
    form_version: str,
    directive_version: str,
    *,
    attempt: Attempt,
    result_extensions: Mapping[str, Any] | None = None,
    context_extensions: Mapping[str, Any] | None = None,
    timestamp: datetime | None = None,
    statement_id: uuid.UUID | str | None = None,
) -> JSONDict:
    """The learner signed the engagement form (``accept``, object = the form version).

    ``result_extensions`` carries e.g. the verification code (and, in the ``jws-extension``
    form, :data:`vocabulary.EXT_JWS`); ``context_extensions`` the record's place in the
    register (:data:`vocabulary.EXT_REGISTER_SEQ`, :data:`vocabulary.EXT_REGISTER_WITNESS`).
    """
    context = _context(
        attempt.model_copy(update={"directive_version": directive_version}),
        parent=[module_activity()],
        extensions={V.EXT_FORM_VERSION: form_version, **(context_extensions or {})},
    )
    result = (
        tincan.Result(success=True, extensions=tincan.Extensions(dict(result_extensions)))
        if result_extensions
        else tincan.Result(success=True)
    )
    return _statement(
        attempt,
        "accepted",
        form_activity(form_version),
        result=result,
        context=context,
        timestamp=timestamp,
        statement_id=statement_id,
    )


def register_actor(homepage: str, account_name: str) -> JSONDict:
    """The establishment's installation as an ``account`` Agent (actor of ``voided``)."""
    return _to_dict(_agent(account_name, homepage))


def voided(
    voided_statement_id: uuid.UUID | str,
    *,
    homepage: str,
    account_name: str,
    directive_version: str,
    context_extensions: Mapping[str, Any] | None = None,
    timestamp: datetime | None = None,
    statement_id: uuid.UUID | str | None = None,
) -> JSONDict:
    """The establishment voids one of its statements (xAPI 1.0.3, Data 2.3.2).

    Verb ``http://adlnet.gov/expapi/verbs/voided``; object ``{"objectType": "StatementRef",
    "id": voided_statement_id}``; actor: the installation's account on the ENA
    (:func:`register_actor`), not the person the voided statement was about — the person
    did not void anything. No ``registration`` nor ``platform`` (xAPI: ``platform`` only
    when the object is an Activity); the context carries the profile, the directive version
    and ``context_extensions``.
    """
    extensions = {V.EXT_DIRECTIVE_VERSION: directive_version, **(context_extensions or {})}
    statement = tincan.Statement(
        id=uuid.UUID(str(statement_id)) if statement_id else uuid.uuid4(),
        actor=_agent(account_name, homepage),
        verb=verb("voided"),
        object=tincan.StatementRef(id=uuid.UUID(str(voided_statement_id))),
        context=tincan.Context(
            language=V.LANGUAGE,
            context_activities=tincan.ContextActivities(category=tincan.ActivityList([_profile_activity()])),
            extensions=tincan.Extensions(extensions),
        ),
        timestamp=_aware(timestamp),
    )
    return _to_dict(statement)


def attempt_granted(
    learner_number: str,
    granted_by: str,
    *,
    homepage: str,
    directive_version: str,
    grant_id: uuid.UUID | str,
    attempts_allowed: int,
    platform: str = "formation-tic",
    timestamp: datetime | None = None,
    statement_id: uuid.UUID | str | None = None,
) -> JSONDict:
    """A manager or HR granted one more quiz attempt to a locked-out learner.

    The statement is about the learner (xAPI: the actor is whom the statement is about):
    actor = the learner's account, verb ``granted-attempt`` (« s'est vu accorder un essai
    supplémentaire »), object = the module (the activity reopened), and the person who
    granted it in ``context.instructor`` (their employee-number account): an LRS query by
    ``agent`` finds it for the learner, and with ``related_agents`` for the granter too. An
    Agent as object would say it more directly, but LRSs such as Ralph refuse an object
    without an ``id``. Context: the module's directive version, the profile, the grant id
    (:data:`vocabulary.EXT_GRANT_ID`) and the attempts now allowed
    (:data:`vocabulary.EXT_ATTEMPTS_ALLOWED`); no ``registration`` (the attempt has not
    started). The grant's free-text reason is never part of it (it may hold personal or
    health information).
    """
    if attempts_allowed < 1:
        raise ValueError("attempts_allowed must be positive")
    extensions = {
        V.EXT_DIRECTIVE_VERSION: directive_version,
        V.EXT_GRANT_ID: str(uuid.UUID(str(grant_id))),
        V.EXT_ATTEMPTS_ALLOWED: attempts_allowed,
    }
    statement = tincan.Statement(
        id=uuid.UUID(str(statement_id)) if statement_id else uuid.uuid4(),
        actor=_agent(learner_number, homepage),
        verb=verb("granted-attempt"),
        object=module_activity(),
        context=tincan.Context(
            instructor=_agent(granted_by, homepage),
            language=V.LANGUAGE,
            platform=platform,
            context_activities=tincan.ContextActivities(
                grouping=tincan.ActivityList([directive_activity(directive_version)]),
                category=tincan.ActivityList([_profile_activity()]),
            ),
            extensions=tincan.Extensions(extensions),
        ),
        timestamp=_aware(timestamp),
    )
    return _to_dict(statement)


def answered_from_event(
    event: AnswerEventLike,
    scenario: Scenario,
    attempt: Attempt,
    *,
    timestamp: datetime | None = None,
) -> JSONDict:
    """Adapt the quiz runtime's ``AnswerEvent`` to an ``answered`` statement.

    Branching, not final: the decision of ``event.step_id`` (last choice of
    ``event.response``) with ``event.path``. Otherwise: the whole scenario.
    """
    if scenario.id != event.scenario_id:
        raise ValueError("event and scenario do not match")
    if event.kind == "branching" and not event.final:
        if not event.step_id or not event.response:
            raise ValueError("branching step event without step_id/response")
        return answered_step(
            attempt, scenario, event.step_id, event.response[-1], event.path, timestamp=timestamp
        )
    return answered(
        attempt,
        scenario,
        event.response,
        success=bool(event.correct),
        score_raw=event.score_raw,
        score_max=event.score_max,
        path=event.path if event.kind == "branching" else (),
        timestamp=timestamp,
    )


def answer_callback(
    outbox: Outbox,
    attempt: Attempt,
    scenarios: Mapping[str, Scenario] | Callable[[str], Scenario],
) -> Callable[[AnswerEventLike], str]:
    """An ``on_answer(event)`` callback for the quiz runtime: build, then enqueue.

    Returns the statement id. The outbox write is the commit point; nothing here waits
    for the network.
    """

    def lookup(scenario_id: str) -> Scenario:
        if callable(scenarios):
            return scenarios(scenario_id)
        return scenarios[scenario_id]

    def on_answer(event: AnswerEventLike) -> str:
        return outbox.add(answered_from_event(event, lookup(event.scenario_id), attempt))

    return on_answer
