"""The learner's journey as one ipywidgets application, run in a Voilà kernel.

Identification → welcome → quiz (drawn per theme) → result (retry on failure) → engagement
form → receipt. :class:`Journey` only wires the pieces together:

* :mod:`.flow`: where the learner stands (plain state machine, progress store);
* :mod:`.delivery`: each step's xAPI statement to the outbox (the server flushes it; nothing
  here touches the network);
* :mod:`.views`, :mod:`.receipt_view` and :class:`attest.widgets.EngagementFormWidget`:
  the pages, in French, every value HTML-escaped.

Every button that hands over what the person entered (number, answers, form, code) is a
:class:`scenarios.quiz.SubmitButton`: it reads the values shown when it was pressed. In
``typed`` identification, nothing proves who types a number: every page says the identity
is self-declared, the form asks the person to confirm the number it signs for, and a number
already signed shows only that it signed (day, version), its receipt only with its code.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable

import localdb
from attest.errors import AttestError
from attest.form import Submission
from attest.identity import IdentificationMethod
from attest.record import AttestationRecord
from attest.status import attestation_status
from attest.store import QuizResult
from attest.widgets import EngagementFormWidget
from scenarios.grading import AnswerEvent

from .book import THEME_CHAPTERS, book_chapters
from .context import JourneyContext
from .delivery import OutboxDelivery
from .flow import FlowError, LearnerFlow, QuizRules
from .identity import IdentificationError, Identity, check_typed
from .progress import AttemptProgress
from .receipt_view import WRONG_CODE, LockedReceiptView, receipt_page
from .shell import STEPS, Page, Shell
from .views import IdentificationView, QuestionView, error_page, result_page, welcome_page

__all__ = ["STEPS", "THEME_CHAPTERS", "Journey", "JourneyContext", "book_chapters"]

logger = logging.getLogger(__name__)

RESUME_FORM_NOTE = "Bon retour! Votre questionnaire est réussi : il reste à signer l'engagement."


class Journey:
    """The application: one instance per page (per kernel)."""

    def __init__(
        self, ctx: JourneyContext, identity: Identity | None = None, error: str | None = None
    ) -> None:
        self.ctx = ctx
        self.shell = Shell(self_declared=ctx.settings.identification == "typed")
        self.widget = self.shell.widget
        self.on_page: Callable[[str], None] | None = None
        """Test and benchmark hook: called with the name of each page shown."""
        delivery = OutboxDelivery(
            ctx.outbox, ctx.lrs, ctx.directive.version, ctx.private_key, ctx.certificate_pem
        )
        self.flow = LearnerFlow(
            scenarios=ctx.scenarios,
            directive_version=ctx.directive.version,
            rules=QuizRules.from_settings(ctx.settings),
            progress=ctx.progress,
            reporter=delivery,
            signer=self._sign_record,
            rng=ctx.rng,
        )
        self.identification: IdentificationView | None = None
        self.question: QuestionView | None = None
        self.form: EngagementFormWidget | None = None
        self.locked: LockedReceiptView | None = None
        if error is not None:
            self._show(error_page(error))
        elif identity is None:
            self.identification = IdentificationView(ctx.directive.numero, self._typed_submit)
            self._show(self.identification.page)
        else:
            self.identified(identity)

    @property
    def identity(self) -> Identity | None:
        """The person identified (None before)."""
        return self.flow.identity

    @property
    def attempt(self) -> AttemptProgress | None:
        """The current attempt of the quiz."""
        return self.flow.attempt

    # --- wiring ------------------------------------------------------------------------------

    def _show(self, page: Page) -> None:
        self.shell.show(page)
        if self.on_page is not None:
            self.on_page(page.name)

    def _act(self, transition: Callable[[], object]) -> Callable[[], None]:
        """A button action: run the transition, then show where the flow now stands.

        A transition refused by the flow (a second click already handled, a stale page)
        changes nothing and is ignored.
        """

        def run() -> None:
            try:
                transition()
            except FlowError as exc:
                logger.debug("action ignored: %s", exc)
                return
            self.render()

        return run

    def render(self) -> None:
        """Show the page of the flow's current step."""
        flow, ctx = self.flow, self.ctx
        step = flow.step
        if step == "accueil":
            assert flow.attempt is not None
            self._show(
                welcome_page(
                    ctx,
                    flow.attempt,
                    self._act(flow.begin_quiz),
                    standing=flow.standing,
                    resuming=flow.resumed,
                    renew_reasons=flow.renew_reasons,
                    granted=flow.granted,
                    draw=flow.draw,
                    answered=flow.position,
                    replaced=flow.replaced,
                    retired=flow.retired,
                )
            )
        elif step == "question":
            self.question = QuestionView(flow.scenario, flow.position + 1, flow.total, self._answered)
            self._show(self.question.page)
        elif step == "resultat":
            passed = flow.passed
            left = 0 if passed else flow.attempts_left
            self._show(
                result_page(
                    ctx,
                    flow.grade,
                    passed,
                    left,
                    self._act(flow.to_form),
                    self._act(flow.retry),
                    retired=flow.retired,
                )
            )
        elif step == "formulaire":
            assert flow.identity is not None
            self.form = EngagementFormWidget(
                ctx.form,
                ctx.directive,
                self._submit,
                employee_number=flow.identity.employee_number,
                confirm_identity=True,
            )
            note = RESUME_FORM_NOTE if flow.resumed else ""
            self._show(Page(4, "formulaire", self.form.children, note=note))
        elif step == "accuse":
            assert flow.record is not None
            if flow.receipt_locked:
                self.locked = LockedReceiptView(flow.record, self._code_submit)
                self._show(self.locked.page)
            else:
                self._show(receipt_page(flow.record, ctx.form, ctx.directive, already=flow.already_signed))

    # --- 1. identification ---------------------------------------------------------------------

    def _typed_submit(self, value: str) -> None:
        try:
            identity = check_typed(value)
        except IdentificationError as exc:
            if self.identification is not None:
                self.identification.show_error(str(exc))
            return
        try:
            self.identified(identity)
        except FlowError as exc:  # « Continuer » pressed twice: already identified
            logger.debug("identification ignored: %s", exc)

    def identified(self, identity: Identity) -> None:
        """Route an identified person: receipt, resume, or a new attempt."""
        status = attestation_status(
            self.ctx.store, identity.employee_number, self.ctx.directive, self.ctx.forms
        )
        self.flow.identify(identity, status)
        self.render()

    def _code_submit(self, code: str) -> None:
        """The verification code typed to see the receipt of a number already signed."""
        try:
            shown = self.flow.unlock_receipt(code)
        except FlowError as exc:  # already shown (a second press)
            logger.debug("code ignored: %s", exc)
            return
        if shown:
            self.render()
        elif self.locked is not None:
            self.locked.show_error(WRONG_CODE)

    # --- 3. quiz -------------------------------------------------------------------------------

    def _answered(self, event: AnswerEvent) -> None:
        try:
            final = self.flow.answer(event)
        except FlowError as exc:
            logger.debug("answer ignored: %s", exc)
            return
        if final and self.question is not None:
            self.question.show_next(self.flow.is_last, self._act(self.flow.advance))

    # --- 5. engagement form --------------------------------------------------------------------

    def _sign_record(
        self, submission: Submission, quiz: QuizResult, method: IdentificationMethod
    ) -> AttestationRecord:
        ctx = self.ctx
        try:
            return ctx.store.sign(submission, ctx.form, ctx.directive, quiz, method, ctx.private_key)
        except localdb.LocalDbError as exc:  # disk full, unreadable register: details in the log only
            reference = secrets.token_hex(4).upper()
            logger.error("signature impossible à enregistrer (référence %s) : %s", reference, exc)
            raise AttestError(
                "Votre engagement n'a pas pu être enregistré à cause d'un problème technique ; rien n'a "
                f"été perdu. Réessayez dans quelques minutes (référence {reference})."
            ) from exc

    def _submit(self, submission: Submission) -> str | None:
        """A valid submission from the form: sign it, then show the receipt."""
        try:
            self.flow.sign(submission)
        except FlowError as exc:
            raise AttestError(str(exc)) from exc
        self.render()
        return None
