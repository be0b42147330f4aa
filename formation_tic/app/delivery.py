"""The journey's xAPI statements, enqueued to the outbox (the server flushes it to the LRS).

Nothing here touches the network. A failing outbox is logged and never stops the learner.
"""

from __future__ import annotations

import logging
import uuid
from typing import TYPE_CHECKING, Any

from attest.record import AttestationRecord
from lrs_export.outbox import Outbox
from lrs_export.settings import LrsSettings
from scenarios.grading import AnswerEvent, AttemptGrade
from scenarios.model import Scenario

from .context import real_key
from .progress import AttemptProgress

if TYPE_CHECKING:
    from types import ModuleType

    from cryptography.hazmat.primitives.asymmetric import rsa

    from lrs_export import statements as xapi_types

logger = logging.getLogger(__name__)


def _xapi() -> ModuleType:
    """The statement builders (tincan), imported with the first statement: a page that only
    asks for an employee number never loads them."""
    from lrs_export import statements

    return statements


WELCOME_PAGE_ID = "accueil"
WELCOME_PAGE_TITLE = "Accueil de la formation"


class OutboxDelivery:
    """Builds each statement of an attempt and adds it to the outbox, in the order called."""

    def __init__(
        self,
        outbox: Outbox,
        lrs: LrsSettings,
        directive_version: str,
        private_key: rsa.RSAPrivateKey,
        certificate_pem: bytes | None = None,
    ) -> None:
        self.outbox = outbox
        self.lrs = lrs
        self.directive_version = directive_version
        self.private_key = private_key
        self.certificate_pem = certificate_pem

    def _emit(self, statement: dict[str, Any]) -> None:
        try:
            self.outbox.add(statement)
        except Exception:
            logger.exception("outbox write failed (statement %s)", statement.get("id"))

    def _attempt(self, attempt: AttemptProgress) -> xapi_types.Attempt:
        return _xapi().Attempt(
            employee_number=attempt.employee_number,
            homepage=self.lrs.homepage,
            registration=uuid.UUID(attempt.registration),
            directive_version=self.directive_version,
            platform=self.lrs.platform,
        )

    def initialized(self, attempt: AttemptProgress) -> None:
        """A new attempt started (``initialized``)."""
        self._emit(_xapi().initialized(self._attempt(attempt)))

    def welcomed(self, attempt: AttemptProgress) -> None:
        """The welcome page was shown (``experienced``)."""
        self._emit(_xapi().experienced(self._attempt(attempt), WELCOME_PAGE_ID, WELCOME_PAGE_TITLE))

    def answered(self, attempt: AttemptProgress, event: AnswerEvent, scenario: Scenario) -> None:
        """One answer (a whole question, or one decision of a branching scenario)."""
        self._emit(_xapi().answered_from_event(event, scenario, self._attempt(attempt)))

    def graded(self, attempt: AttemptProgress, grade: AttemptGrade) -> None:
        """The quiz is over: ``completed`` then ``passed`` or ``failed``."""
        statement = self._attempt(attempt)
        self._emit(
            _xapi().completed(statement, success=grade.passed, score_raw=grade.right, score_max=grade.total)
        )
        builder = _xapi().passed if grade.passed else _xapi().failed
        self._emit(builder(statement, score_raw=grade.right, score_max=grade.total))

    def terminated(self, attempt: AttemptProgress) -> None:
        """The attempt is closed (retry) or finished (signed): ``terminated``."""
        self._emit(_xapi().terminated(self._attempt(attempt)))

    def accepted(self, record: AttestationRecord) -> None:
        """The signed engagement (``accept``, with its JWS): see :mod:`attest.delivery`.

        The statement's signing code (and ``cryptography``) is imported here, once a learner signs.
        """
        try:
            from attest.delivery import enqueue_attestation

            key = real_key(self.private_key)  # the JWS library checks the key's type
            enqueue_attestation(record, self.outbox, self.lrs, key, self.certificate_pem)
        except Exception:
            logger.exception("could not enqueue the accept statement of attestation %s", record.id)
