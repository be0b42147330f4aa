"""The learner's way through the app, as a plain state machine (no widgets).

Steps: identification → accueil → question (× N) → resultat → formulaire → accuse, with
« resultat → question » for a retry after a failure. The flow owns the current attempt and
its answers, stores every transition in the progress store (resume after closing the tab)
and reports it to a :class:`Reporter` (xAPI statements to the outbox). The views only read
it and call its transitions; a transition not allowed from the current step (a second click
on a button already handled, a stale page) raises :class:`FlowError` and changes nothing.

Every attempt (one xAPI registration) that ends gets its ``terminated``: a failed attempt
when it is graded (it can never go on: a retry is a new registration), a passed one when
its engagement is signed.

Attempts allowed: ``max_attempts`` plus one per grant (``formation-tic attempts grant``), as
:class:`formation_tic.attempt_grants.Standing` counts them (the HR register uses the same).
A locked-out person who comes back after a grant is taken to the welcome page of a new
attempt (``granted``), the failed one closed.

A trainer may remove or rename a scenario while an attempt that drew it is stored (the
learner closed the tab, or comes back to a result): see :func:`stand_ins` for how such an
attempt goes on and is graded (never a traceback, never a free pass).
"""

from __future__ import annotations

import hmac
import random
import uuid
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

from attest.errors import AlreadySigned
from attest.form import Submission
from attest.identity import IdentificationMethod
from attest.record import AttestationRecord
from attest.status import EmployeeStatus
from attest.store import QuizResult, normalize_code
from formation_tic.attempt_grants import Standing
from scenarios.grading import AnswerEvent, AttemptGrade, grade_attempt
from scenarios.model import Scenario, Theme
from scenarios.shuffle import shuffled

from .draw import draw_quiz
from .identity import Identity
from .lazy_bank import bank_entries
from .progress import AttemptProgress, ProgressStore
from .settings import LearnerAppSettings

Step = Literal["identification", "accueil", "question", "resultat", "formulaire", "accuse"]

Signer = Callable[[Submission, QuizResult, IdentificationMethod], AttestationRecord]
"""Signs and stores an engagement; raises :class:`attest.errors.AttestError` (French)."""

NOT_PASSED = "Le questionnaire doit être réussi avant de signer."


class FlowError(Exception):
    """A transition not allowed from the current step; the message is French."""


def stand_ins(attempt: AttemptProgress, themes: Mapping[str, Theme], per_theme: int) -> dict[str, str]:
    """For each scenario of ``attempt``'s draw gone from the bank (``themes``: the bank's
    scenarios and their themes) and not answered: its stand-in.

    What a learner expects when a trainer removed or renamed a scenario of their stored draw:

    * the quiz goes on, same length: each question gone and not answered yet is replaced by
      another scenario of the bank, outside the draw, of a theme the draw is now short of
      when there is one (a renamed scenario: its own theme, unless answered scenarios of
      other themes are gone too, their themes being unknown then);
    * nothing is lost: an answer already given stays, and counts, even if its scenario is
      gone since (it was graded when given, reported to the LRS, and a finished attempt's
      stored score stays the one shown);
    * no free pass: the grade is always out of the whole draw (:attr:`LearnerFlow.grade`).
      Grading on the scenarios left only would let someone pass with fewer right answers
      than the pass mark asks of a full draw. If the bank has no scenario left to stand in
      (smaller than one draw), the question counts as not answered.

    The stand-ins are not stored: they are found again the same way on every visit (the same
    shuffle, seeded by the registration), and an answer to a stand-in is stored under its
    own id. Answers outside the stored draw can only be answers to stand-ins (the flow
    takes an answer for the scenario shown only), so they are taken first, in the order
    given: a learner who comes back finds the stand-ins already answered in their place.
    """
    answers = attempt.answers
    missing = [sid for sid in attempt.scenario_ids if sid not in themes and sid not in answers]
    if not missing:
        return {}
    drawn = set(attempt.scenario_ids)
    earlier = [sid for sid in answers if sid not in drawn]
    pool = sorted(sid for sid in themes if sid not in drawn)
    random.Random(attempt.registration).shuffle(pool)  # before taking the earlier ones out: stable
    pool = [sid for sid in pool if sid not in earlier]
    per = Counter(themes[sid] for sid in attempt.scenario_ids if sid in themes)
    found: dict[str, str] = {}
    for sid in missing:
        if earlier:
            pick = earlier.pop(0)
        elif pool:
            pick = next((c for c in pool if per[themes[c]] < per_theme), pool[0])
            pool.remove(pick)
        else:
            break
        found[sid] = pick
        if pick in themes:
            per[themes[pick]] += 1
    return found


@dataclass(frozen=True)
class QuizRules:
    """The quiz's rules: draw size, pass mark, number of attempts."""

    per_theme: int
    pass_mark: float
    max_attempts: int

    @classmethod
    def from_settings(cls, settings: LearnerAppSettings) -> QuizRules:
        """The rules configured for the app."""
        return cls(settings.per_theme, settings.pass_mark, settings.max_attempts)


class Reporter(Protocol):
    """Where the flow reports each event (see :class:`formation_tic.app.delivery.OutboxDelivery`)."""

    def initialized(self, attempt: AttemptProgress) -> None:
        """A new attempt was drawn."""

    def welcomed(self, attempt: AttemptProgress) -> None:
        """The welcome page of a new attempt was reached."""

    def answered(self, attempt: AttemptProgress, event: AnswerEvent, scenario: Scenario) -> None:
        """One answer (a question, or one decision of a branching scenario)."""

    def graded(self, attempt: AttemptProgress, grade: AttemptGrade) -> None:
        """Every question answered: the attempt's grade."""

    def terminated(self, attempt: AttemptProgress) -> None:
        """The attempt ends (graded failed, or signed): once per attempt."""

    def accepted(self, record: AttestationRecord) -> None:
        """The engagement was signed."""


class LearnerFlow:
    """One learner's journey in one page (one kernel)."""

    def __init__(
        self,
        *,
        scenarios: Mapping[str, Scenario],
        directive_version: str,
        rules: QuizRules,
        progress: ProgressStore,
        reporter: Reporter,
        signer: Signer,
        rng: random.Random,
    ) -> None:
        self.scenarios = scenarios
        self.entries = bank_entries(scenarios)
        """What a draw needs of each scenario (a lazy bank's scenarios are read when drawn)."""
        self.themes = {e.id: e.theme for e in self.entries}
        self.directive_version = directive_version
        self.rules = rules
        self.progress = progress
        self.reporter = reporter
        self.signer = signer
        self.rng = rng
        self.step: Step = "identification"
        self.identity: Identity | None = None
        self.attempt: AttemptProgress | None = None
        self.resumed = False
        """The step was reached by coming back (welcome of a quiz under way, form to sign)."""
        self.renew_reasons: tuple[str, ...] = ()
        """Why a new engagement is needed (shown on the welcome page of a renewal)."""
        self.record: AttestationRecord | None = None
        """The attestation shown on the receipt step."""
        self.already_signed = False
        """The receipt step shows an engagement signed on an earlier visit."""
        self.receipt_locked = False
        """The receipt of an earlier visit, for a number typed by whoever is at the screen
        (``typed`` identification): shown only to someone who gives its verification code."""
        self.shown: str | None = None
        """The scenario shown on the question step."""
        self.granted = False
        """The current attempt was granted after a lock-out (opened now or resumed)."""

    # --- reading ---------------------------------------------------------------------------

    def _current(self) -> AttemptProgress:
        if self.attempt is None:
            raise FlowError("Aucun questionnaire en cours.")
        return self.attempt

    @property
    def scenario(self) -> Scenario:
        """The scenario to show on the question step."""
        if self.step != "question" or self.shown is None:
            raise FlowError("Aucune question en cours.")
        return self._as_shown(self.shown)

    def _as_shown(self, scenario_id: str) -> Scenario:
        """The scenario with its options in this attempt's order (same order on resume)."""
        return shuffled(self.scenarios[scenario_id], self._current().registration)

    @property
    def draw(self) -> list[str]:
        """The current attempt's questions: as drawn, each one gone from the bank since and
        not answered replaced by its stand-in (:func:`stand_ins`)."""
        attempt = self._current()
        found = stand_ins(attempt, self.themes, self.rules.per_theme)
        return [found.get(sid, sid) for sid in attempt.scenario_ids]

    @property
    def replaced(self) -> int:
        """Questions of the draw gone from the bank before being answered (stand-ins given)."""
        attempt = self._current()
        return sum(
            1 for sid in attempt.scenario_ids if sid not in self.scenarios and sid not in attempt.answers
        )

    @property
    def retired(self) -> int:
        """Questions answered whose scenario is gone from the bank since (their answer counts)."""
        attempt = self._current()
        return sum(1 for sid in self.draw if sid not in self.scenarios and sid in attempt.answers)

    def _next_id(self) -> str | None:
        """The first question of the draw still to answer (one with no stand-in is skipped)."""
        answers = self._current().answers
        return next((s for s in self.draw if s not in answers and s in self.scenarios), None)

    @property
    def position(self) -> int:
        """Number of scenarios answered in the current attempt."""
        answers = self._current().answers
        return sum(1 for sid in self.draw if sid in answers)

    @property
    def total(self) -> int:
        """Number of scenarios drawn for the current attempt."""
        return len(self._current().scenario_ids)

    @property
    def is_last(self) -> bool:
        """No scenario of the current attempt is left to answer."""
        return self._next_id() is None

    @property
    def grade(self) -> AttemptGrade:
        """The current attempt graded from its stored answers, out of the whole draw.

        A scenario gone from the bank since it was drawn never raises (see :func:`stand_ins`):
        the score is the right answers of :attr:`draw` (answers to scenarios gone since
        included) out of the number drawn, so nobody passes with fewer right answers than
        the pass mark asks of a full draw; a question with no stand-in counts as not
        answered. The table by theme lists the scenarios still in the bank (a scenario gone
        has no theme left to show: :attr:`retired` counts them).
        """
        attempt = self._current()
        ids = self.draw
        known = [sid for sid in ids if sid in self.scenarios]
        themes = {sid: self.themes[sid] for sid in known}
        by_theme = grade_attempt(known, attempt.answers, themes, self.rules.pass_mark)
        right = sum(1 for sid in ids if attempt.answers.get(sid))
        return AttemptGrade(
            right=right, total=len(ids), pass_mark=self.rules.pass_mark, themes=by_theme.themes
        )

    @property
    def passed(self) -> bool:
        """The current attempt was graded a pass (its stored state decides, as recorded)."""
        return self._current().state == "passed"

    @property
    def standing(self) -> Standing:
        """Attempts used and granted for the current directive version; locked out or not."""
        identity = self._identity()
        return self.progress.standing(
            identity.employee_number, self.directive_version, self.rules.max_attempts
        )

    @property
    def attempts_used(self) -> int:
        """Attempts started by this person for the current directive version."""
        return self.standing.used

    @property
    def attempts_left(self) -> int:
        """Attempts still allowed, grants included (0 or less: none)."""
        return self.standing.left

    @property
    def locked_out(self) -> bool:
        """The latest attempt failed and none is left: only a grant opens another."""
        return self.standing.locked_out

    def _identity(self) -> Identity:
        if self.identity is None:
            raise FlowError("Personne n'est identifié.")
        return self.identity

    def _require(self, *steps: Step) -> None:
        if self.step not in steps:
            raise FlowError(f"Action impossible à l'étape « {self.step} ».")

    # --- transitions -----------------------------------------------------------------------

    def identify(self, identity: Identity, status: EmployeeStatus) -> Step:
        """Route an identified person: receipt (up to date), resume, or a new attempt."""
        self._require("identification")
        self.identity = identity
        if status.state == "a-jour" and status.record is not None:
            self._receipt(status.record, already=True)
            return self.step
        latest = self.progress.latest(identity.employee_number, self.directive_version)
        if latest is not None and latest.state in ("welcome", "quiz", "passed", "failed"):
            self.attempt = latest
            if latest.state in ("welcome", "quiz"):  # an attempt to take, granted or not
                self.granted = latest.attempt_no > self.rules.max_attempts
            if latest.state == "welcome":
                self._welcome()
            elif latest.state == "quiz":
                self._welcome(resumed=True)
            elif latest.state == "passed":
                self.step, self.resumed = "formulaire", True
            elif self.standing.grant_waiting:
                if not self._start_granted(latest):  # another page opened it first: go there
                    return self.identify(identity, status)
            else:
                self.step = "resultat"
            return self.step
        self._start_attempt(avoid=())
        if status.state == "a-renouveler":
            self.renew_reasons = tuple(status.reasons)
        self._welcome()
        return self.step

    def begin_quiz(self) -> Step:
        """From the welcome page: the first (or next unanswered) question."""
        self._require("accueil")
        self._enter_quiz()
        return self.step

    def answer(self, event: AnswerEvent) -> bool:
        """Report an answer to the shown scenario; store its grade once final. True if final."""
        self._require("question")
        if event.scenario_id != self.shown:
            raise FlowError("Cette question n'est plus affichée.")
        attempt = self._current()
        self.reporter.answered(attempt, event, self._as_shown(event.scenario_id))
        if not event.final:
            return False
        self.attempt = self.progress.record_answer(attempt.registration, event.scenario_id, event.correct)
        return True

    def advance(self) -> Step:
        """After a final answer: the next question, or the result once every one is answered."""
        self._require("question")
        if self.shown not in self._current().answers:
            raise FlowError("La question affichée n'est pas encore répondue.")
        self._next()
        return self.step

    def retry(self) -> Step:
        """After a failure, if attempts are left: close it, draw anew, start.

        The failed attempt was ``terminated`` when graded: nothing more is reported for it.
        """
        self._require("resultat")
        attempt = self._current()
        if attempt.state != "failed" or self.attempts_left <= 0:
            raise FlowError("Aucun nouvel essai n'est possible.")
        self.progress.set_state(attempt.registration, "closed")
        self._start_attempt(avoid=list(attempt.scenario_ids))
        self._enter_quiz()
        return self.step

    def to_form(self) -> Step:
        """After a pass: the engagement form."""
        self._require("resultat")
        if not self.passed:
            raise FlowError(NOT_PASSED)
        self.step, self.resumed = "formulaire", False
        return self.step

    def sign(self, submission: Submission) -> AttestationRecord:
        """Sign a valid submission; enqueue ``accept`` and ``terminated``; go to the receipt.

        Raises :class:`FlowError` unless the attempt passed, and lets the signer's
        :class:`~attest.errors.AttestError` through (nothing changed then).
        """
        attempt = self.attempt
        if self.step != "formulaire" or attempt is None or attempt.state != "passed" or attempt.score is None:
            raise FlowError(NOT_PASSED)
        identity = self._identity()
        quiz = QuizResult(registration=uuid.UUID(attempt.registration), score=attempt.score)
        try:
            record = self.signer(submission, quiz, identity.method)
        except AlreadySigned as exc:
            # Another tab signed this passed quiz first: the store kept that one attestation;
            # this page shows it, and its statements were already reported by that tab.
            existing: AttestationRecord = exc.record  # type: ignore[assignment]
            self._signed(attempt, existing, already=True)
            return existing
        self.reporter.accepted(record)
        self.reporter.terminated(attempt)  # reported before stored: never lost
        self._signed(attempt, record, already=False)
        return record

    def _signed(self, attempt: AttemptProgress, record: AttestationRecord, *, already: bool) -> None:
        self.progress.set_state(attempt.registration, "signed", attestation_id=record.id)
        attempt.state = "signed"
        attempt.attestation_id = record.id
        self._receipt(record, already=already)

    def unlock_receipt(self, code: str) -> bool:
        """Show the locked receipt if ``code`` is its verification code; False otherwise."""
        self._require("accuse")
        if not self.receipt_locked or self.record is None:
            raise FlowError("Aucun accusé de réception à déverrouiller.")
        given = normalize_code(code).encode("utf-8")
        if not hmac.compare_digest(given, self.record.verification_code.encode("utf-8")):
            return False
        self.receipt_locked = False
        return True

    # --- internals -------------------------------------------------------------------------

    def _start_attempt(self, avoid: Sequence[str]) -> None:
        """A new attempt: fresh draw, new registration, ``initialized``."""
        number = self._identity().employee_number
        previous = self.progress.attempts(number, self.directive_version)
        drawn = draw_quiz(self.entries, self.rules.per_theme, self.rng, avoid=avoid)
        self.attempt = self.progress.create(
            number,
            str(uuid.uuid4()),
            self.directive_version,
            [s.id for s in drawn],
            attempt_no=len(previous) + 1,
        )
        self.reporter.initialized(self.attempt)

    def _start_granted(self, failed: AttemptProgress) -> bool:
        """The attempt granted after a lock-out: close the failed one, draw anew, ``initialized``.

        One transaction: two pages of the same person never open two attempts for one grant.
        False (nothing done) when another page opened it first.
        """
        drawn = draw_quiz(self.entries, self.rules.per_theme, self.rng, avoid=list(failed.scenario_ids))
        attempt = self.progress.replace_failed(failed, str(uuid.uuid4()), [s.id for s in drawn])
        if attempt is None:
            return False
        self.attempt, self.granted = attempt, True
        self.reporter.initialized(attempt)
        self._welcome()
        return True

    def _welcome(self, resumed: bool = False) -> None:
        attempt = self._current()
        self.step, self.resumed = "accueil", resumed
        if not resumed and attempt.state == "welcome" and attempt.position == 0:
            self.reporter.welcomed(attempt)

    def _enter_quiz(self) -> None:
        attempt = self._current()
        if attempt.state == "welcome":
            self.progress.set_state(attempt.registration, "quiz")
            attempt.state = "quiz"
        self.resumed = False
        self._next()

    def _next(self) -> None:
        sid = self._next_id()
        if sid is None:
            self._finish()
        else:
            self.step, self.shown = "question", sid

    def _finish(self) -> None:
        """Grade the attempt, report it (``completed`` + ``passed``/``failed``), store it.

        A failed attempt is over (a retry is another registration, and the last allowed
        attempt has none): it is ``terminated`` right away.
        """
        attempt = self._current()
        grade = self.grade
        self.reporter.graded(attempt, grade)
        state: Literal["passed", "failed"] = "passed" if grade.passed else "failed"
        if state == "failed":
            self.reporter.terminated(attempt)  # reported before stored: never lost, like the grade
        self.progress.set_state(attempt.registration, state, score=grade.score)
        attempt.state = state
        attempt.score = grade.score
        self.step, self.shown = "resultat", None

    def _receipt(self, record: AttestationRecord, *, already: bool) -> None:
        self.record, self.already_signed = record, already
        self.receipt_locked = already and self._identity().method == "typed"
        self.step, self.resumed = "accuse", False
