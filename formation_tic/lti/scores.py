"""Scores to the ENA's gradebook (LTI Assignment and Grade Services), never in a page's path.

Where scores come from: the learner's journey already writes every step durably to the
xAPI outbox (``failed``, ``passed``, ``accept``). A background thread of the server reads
the outbox in order (:class:`OutboxBridge`) and turns those statements into AGS scores for
the person's launch in force, in the score queue (:class:`.store.LtiStore`), together with
its read position: one score per statement, whatever restarts happen. The journey's code
does not change, a kernel never talks to a platform, and the score says exactly what the
signed record and the LRS say.

Then the same thread posts the pending scores (:class:`ScoreSender`), oldest first, with
PyLTI1p3's AGS service. A platform that is down, slow or answering errors leaves the score
pending (retried next round, later scores of that platform wait behind it, so the order
holds); a score it refuses for good (4xx) is set aside with its answer. A score is resent
with the same timestamp: Moodle answers 409 to a timestamp it already has, which then means
« already recorded ». Access tokens (client credentials with a signed JWT assertion) are
cached until they expire.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import typing as t
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import requests

import localdb
from lrs_export import vocabulary as V

from .store import LtiStore, QueuedScore, ScoreKind, ScoreRequest

if t.TYPE_CHECKING:
    from .settings import PlatformRegistration

logger = logging.getLogger(__name__)

SCORE_VERBS: dict[str, ScoreKind] = {
    V.VERBS["failed"][0]: "failed",
    V.VERBS["passed"][0]: "passed",
    V.VERBS["accepted"][0]: "signed",
}
ACTIVITY_PROGRESS: dict[ScoreKind, str] = {
    "failed": "InProgress",  # the training goes on: another attempt, or a later visit
    "passed": "Submitted",  # the quiz is passed, the engagement is still to sign
    "signed": "Completed",
}


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def comment(kind: ScoreKind, given: float, maximum: float, code: str | None = None) -> str:
    """The French comment the gradebook shows with a score."""
    percent = round(100 * given / maximum) if maximum else 0
    score = f"{_number(given)} sur {_number(maximum)} ({percent} %)"
    if kind == "failed":
        return f"Questionnaire non réussi : {score}."
    if kind == "passed":
        return f"Questionnaire réussi : {score}. Il reste à signer l'engagement."
    return f"Engagement signé (questionnaire : {score}). Code de vérification : {code or '—'}."


def _timestamp(statement: dict[str, t.Any], fallback: str) -> datetime:
    for value in (statement.get("timestamp"), fallback):
        try:
            moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        except ValueError:
            continue
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return datetime.now(UTC)


# --- outbox → score queue ------------------------------------------------------------------------


@dataclass
class OutboxBridge:
    """Reads the xAPI outbox in ``seq`` order and enqueues a score per relevant statement."""

    outbox_path: Path
    store: LtiStore
    batch: int = 200

    def read(self, after: int) -> tuple[list[ScoreRequest], int]:
        """Scores of the statements after ``after``, and the new read position (one snapshot)."""
        if not self.outbox_path.exists():
            return [], after
        conn = localdb.connect(self.outbox_path, readonly=True)
        try:
            conn.execute("BEGIN")
            high = conn.execute("SELECT coalesce(max(seq), 0) FROM statements").fetchone()[0]
            marks = ",".join("?" * len(SCORE_VERBS))
            rows = conn.execute(
                f"SELECT seq, id, body, created_at FROM statements WHERE seq > ? AND seq <= ?"
                f" AND json_extract(body, '$.verb.id') IN ({marks}) ORDER BY seq LIMIT ?",
                (after, high, *SCORE_VERBS, self.batch),
            ).fetchall()
            found = [self.request(conn, sid, json.loads(body), at) for _seq, sid, body, at in rows]
            conn.execute("COMMIT")
        finally:
            conn.close()
        position = rows[-1][0] if len(rows) == self.batch else high
        return [r for r in found if r is not None], int(position)

    @staticmethod
    def _passed_score(conn: t.Any, registration: str) -> tuple[float, float] | None:
        """The score of the passed attempt an engagement was signed for (same registration)."""
        row = conn.execute(
            "SELECT body FROM statements WHERE json_extract(body, '$.verb.id') = ?"
            " AND json_extract(body, '$.context.registration') = ? ORDER BY seq DESC LIMIT 1",
            (V.VERBS["passed"][0], registration),
        ).fetchone()
        if row is None:
            return None
        score = json.loads(row[0]).get("result", {}).get("score", {})
        return float(score.get("raw", 0)), float(score.get("max", 0))

    def request(
        self, conn: t.Any, sid: str, statement: dict[str, t.Any], created_at: str
    ) -> ScoreRequest | None:
        """The score of one statement (None: not a learner's score statement)."""
        kind = SCORE_VERBS.get(statement.get("verb", {}).get("id"))
        number = statement.get("actor", {}).get("account", {}).get("name")
        if kind is None or not isinstance(number, str):
            return None
        result = statement.get("result", {})
        code = None
        if kind == "signed":
            passed = self._passed_score(conn, str(statement.get("context", {}).get("registration")))
            if passed is None:
                return None
            given, maximum = passed
            code = result.get("extensions", {}).get(V.EXT_VERIFICATION_CODE)
        else:
            score = result.get("score", {})
            given, maximum = float(score.get("raw", 0)), float(score.get("max", 0))
        return ScoreRequest(
            source_id=sid,
            kind=kind,
            employee_number=number,
            created_at=created_at,
            timestamp=_timestamp(statement, created_at),
            score_given=given,
            score_maximum=maximum,
            comment=comment(kind, given, maximum, code),
            activity_progress=ACTIVITY_PROGRESS[kind],
        )

    def run_once(self) -> int:
        """Read what is new; enqueue its scores with the read position. Returns scores added."""
        before = self.store.position()
        found, position = self.read(before)
        if not found and position == before:
            return 0
        return self.store.enqueue(found, position)


# --- AGS sender ------------------------------------------------------------------------------------


class TimeoutSession(requests.Session):
    """A requests session whose every request has a timeout (PyLTI1p3 passes none)."""

    def __init__(self, timeout: float) -> None:
        super().__init__()
        self.timeout = timeout
        self.headers["User-Agent"] = "formation-tic-lti"

    def request(self, *args: t.Any, **kwargs: t.Any) -> requests.Response:
        kwargs.setdefault("timeout", self.timeout)
        return super().request(*args, **kwargs)


class Transient(Exception):
    """The platform could not take the score now (down, slow, 5xx): try again later."""


class Refused(Exception):
    """The platform refused the score for good (4xx): set it aside with its answer."""


def _connector_class() -> type:
    from pylti1p3.exception import LtiServiceException
    from pylti1p3.service_connector import ServiceConnector

    class CachingServiceConnector(ServiceConnector):
        """PyLTI1p3's connector, its access tokens cached until they expire (it keeps them forever)."""

        def __init__(self, registration: t.Any, session: requests.Session) -> None:
            super().__init__(registration, session)
            self.tokens: dict[str, tuple[str, float]] = {}
            self.token_requests = 0

        def forget_tokens(self) -> None:
            self.tokens.clear()

        def get_access_token(self, scopes: t.Sequence[str]) -> str:
            key = " ".join(sorted(scopes))
            cached = self.tokens.get(key)
            if cached is not None and cached[1] > time.monotonic():
                return cached[0]
            registration = self._registration
            client_id = registration.get_client_id()
            token_url = registration.get_auth_token_url()
            now = int(time.time())
            claims: dict[str, str | int] = {
                "iss": str(client_id),
                "sub": str(client_id),
                "aud": str(registration.get_auth_audience() or token_url),
                "iat": now - 5,
                "exp": now + 60,
                "jti": "lti-service-token-" + str(uuid.uuid4()),
            }
            kid = registration.get_kid()
            private_key = str(registration.get_tool_private_key())
            assertion = self.encode_jwt(claims, private_key, {"kid": kid} if kid else {})
            self.token_requests += 1
            response = self._requests_session.post(
                str(token_url),
                data={
                    "grant_type": "client_credentials",
                    "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                    "client_assertion": assertion,
                    "scope": " ".join(scopes),
                },
            )
            if not response.ok:
                raise LtiServiceException(response)
            answer = response.json()
            lifetime = float(answer.get("expires_in") or 3600)
            self.tokens[key] = (answer["access_token"], time.monotonic() + max(0.0, lifetime - 30))
            return str(answer["access_token"])

    return CachingServiceConnector


@dataclass
class ScoreSender:
    """Posts pending scores to their platforms (one connector, one token cache per platform)."""

    store: LtiStore
    platforms: Sequence[PlatformRegistration]
    private_pem: str
    public_pem: str
    timeout: float = 10.0
    connectors: dict[tuple[str, str], t.Any] = field(default_factory=dict)

    def _connector(self, issuer: str, client_id: str) -> t.Any:
        key = (issuer, client_id)
        if key not in self.connectors:
            from pylti1p3.registration import Registration

            platform = next((p for p in self.platforms if (p.issuer, p.client_id) == key), None)
            if platform is None:
                raise Refused("plateforme non inscrite (retirée de la configuration ?)")
            registration = (
                Registration()
                .set_issuer(issuer)
                .set_client_id(client_id)
                .set_auth_token_url(platform.token_url)
                .set_auth_login_url(platform.auth_login_url)
                .set_key_set_url(platform.jwks_url)
                .set_tool_private_key(self.private_pem)
                .set_tool_public_key(self.public_pem)
            )
            if platform.auth_audience:
                registration.set_auth_audience(platform.auth_audience)
            self.connectors[key] = _connector_class()(registration, TimeoutSession(self.timeout))
        return self.connectors[key]

    def post(self, score: QueuedScore) -> None:
        """Post one score; raises :class:`Transient` or :class:`Refused`."""
        from pylti1p3.assignments_grades import AssignmentsGradesService
        from pylti1p3.exception import LtiServiceException
        from pylti1p3.grade import Grade

        body = score.body
        grade = (
            Grade()
            .set_score_given(body["scoreGiven"])
            .set_score_maximum(body["scoreMaximum"])
            .set_activity_progress(body["activityProgress"])
            .set_grading_progress(body["gradingProgress"])
            .set_timestamp(body["timestamp"])
            .set_user_id(body["userId"])
            .set_comment(body["comment"])
        )
        connector = self._connector(score.issuer, score.client_id)
        service_data: t.Any = {"scope": list(score.scopes), "lineitem": score.lineitem}
        service = AssignmentsGradesService(connector, service_data)
        for retry in (True, False):
            try:
                service.put_grade(grade)
                return
            except LtiServiceException as exc:
                status = exc.response.status_code
                answer = f"HTTP {status} : {exc.response.text[:300]}"
                if status == 401 and retry:  # token expired or revoked: get a new one, once
                    connector.forget_tokens()
                    continue
                if status in (408, 425, 429) or status >= 500 or status == 401:
                    raise Transient(answer) from None
                if status == 409 and score.attempts > 0:
                    return  # an earlier try reached the platform: the score is already recorded
                raise Refused(answer) from None
            except requests.RequestException as exc:
                raise Transient(f"{type(exc).__name__}") from None

    def run_once(self) -> dict[str, int]:
        """One round: post what is pending, oldest first; a platform that fails waits till next round."""
        report = {"sent": 0, "refused": 0, "failed": 0}
        blocked: set[str] = set()
        for score in self.store.pending():
            if score.issuer in blocked:
                continue
            try:
                self.post(score)
            except Transient as exc:
                self.store.record_failure(score.seq, str(exc))
                blocked.add(score.issuer)
                report["failed"] += 1
                continue
            except Refused as exc:
                self.store.mark_refused(score.seq, str(exc))
                logger.error("note refusée par la plateforme (%s, score %s) : %s", score.kind, score.seq, exc)
                report["refused"] += 1
                continue
            except Exception as exc:  # a bug or a malformed answer: keep the score, say why
                self.store.record_failure(score.seq, f"{type(exc).__name__}: {exc}")
                blocked.add(score.issuer)
                report["failed"] += 1
                logger.exception("envoi de note impossible (score %s)", score.seq)
                continue
            self.store.mark_sent(score.seq)
            report["sent"] += 1
        return report


class ScoreWorker:
    """The server's background thread: outbox → queue, then queue → platforms, every interval."""

    def __init__(
        self,
        store_path: Path,
        outbox_path: Path,
        platforms: Sequence[PlatformRegistration],
        private_pem: str,
        public_pem: str,
        *,
        interval: float = 5.0,
        timeout: float = 10.0,
    ) -> None:
        self.store = LtiStore(store_path)
        self.bridge = OutboxBridge(outbox_path, self.store)
        self.sender = ScoreSender(self.store, platforms, private_pem, public_pem, timeout=timeout)
        self.interval = interval
        self.rounds = 0
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread = threading.Thread(target=self._run, name="formation-tic-lti-scores", daemon=True)

    def start(self) -> ScoreWorker:
        self._thread.start()
        return self

    def wake(self) -> None:
        self._wake.set()

    def stop(self, timeout: float = 15.0) -> None:
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout)
        self.store.close()

    def run_once(self) -> None:
        """One round; errors are logged (no personal data) and never raised."""
        self.rounds += 1
        try:
            added = self.bridge.run_once()
            report = self.sender.run_once()
            if added or any(report.values()):
                logger.info(
                    "notes LTI : %d ajoutées, %d transmises, %d refusées, %d en attente (plateforme"
                    " injoignable)",
                    added,
                    report["sent"],
                    report["refused"],
                    report["failed"],
                )
            if self.rounds % 100 == 1:
                self.store.forget_expired_sessions()
        except Exception:
            logger.exception("tour d'envoi des notes LTI interrompu")

    def _run(self) -> None:
        while True:
            self.run_once()
            if self._stop.is_set():
                return
            self._wake.wait(self.interval)
            self._wake.clear()
