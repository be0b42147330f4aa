"""The learner's journey as one ipywidgets application, run in a Voilà kernel.

Identification → welcome → quiz (drawn per theme) → result (retry on failure) → engagement
form → receipt. Every step is written to the progress store (resume after closing the tab)
and its xAPI statement to the outbox; nothing here touches the network: the server flushes
the outbox in the background. All text shown is French; every value is HTML-escaped.
"""

from __future__ import annotations

import base64
import html
import logging
import random
import re
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import ipywidgets as w
from cryptography.hazmat.primitives.asymmetric import rsa

from attest.delivery import enqueue_attestation
from attest.directive import DirectiveInfo
from attest.errors import AttestError, SubmissionError
from attest.form import FIELD_LABELS, FormContent, validate_submission
from attest.receipt import render_receipt
from attest.record import AttestationRecord
from attest.status import attestation_status
from attest.store import AttestationStore, QuizResult
from lrs_export import statements as xapi
from lrs_export.outbox import Outbox
from lrs_export.settings import LrsSettings
from scenarios.grading import AnswerEvent
from scenarios.model import THEME_LABELS, Scenario, Theme
from scenarios.quiz import QuizWidget

from .draw import draw_quiz
from .identity import IdentificationError, Identity, check_typed
from .progress import AttemptProgress, ProgressStore
from .settings import LearnerAppSettings

logger = logging.getLogger(__name__)

THEME_CHAPTERS: dict[Theme, str] = {
    Theme.URGENCE: "chapitres/04-situations-a-eviter.html",
    Theme.MAUVAIS_DESTINATAIRE: "chapitres/09-bon-destinataire.html",
    Theme.BRIS_DE_CONFIDENTIALITE: "chapitres/12-incidents.html",
    Theme.CONSENTEMENT: "chapitres/05-consentement.html",
    Theme.IDENTIFICATION_USAGER: "chapitres/08-identification-usager.html",
    Theme.TENUE_DE_DOSSIER: "chapitres/11-tenue-de-dossier.html",
    Theme.OUTILS_AUTORISES: "chapitres/06-outils-autorises.html",
    Theme.INTERNE_EXTERNE: "chapitres/10-interne-externe.html",
    Theme.TELETRAVAIL: "chapitres/16-teletravail.html",
    Theme.PARTAGE_SYSTEMES: "chapitres/17-partage-systemes.html",
    Theme.RENSEIGNEMENTS_STRATEGIQUES: "chapitres/02-renseignements-confidentiels.html",
    Theme.PROPRIETE_UTILISATION: "chapitres/13-propriete-utilisation.html",
    Theme.ROLES: "chapitres/14-roles-responsabilites.html",
}
"""The book chapter to review for each theme (paths under the book's root)."""

WELCOME_PAGE_ID = "accueil"
STEPS = ("Identification", "Accueil", "Questionnaire", "Résultat", "Engagement", "Accusé de réception")
_TITLE = re.compile(r"<title>(.*?)(?:\s*&#8212;.*)?</title>", re.S)


def book_chapters(html_dir: Path) -> list[tuple[str, str]]:
    """(path under the book, title) of the introduction and every chapter of the built book."""
    pages = [html_dir / "intro.html", *sorted((html_dir / "chapitres").glob("*.html"))]
    found = []
    for page in pages:
        if not page.is_file():
            continue
        with page.open(encoding="utf-8") as fh:
            head = fh.read(4000)
        match = _TITLE.search(head)
        title = html.unescape(match.group(1)).strip() if match else page.stem
        found.append((page.relative_to(html_dir).as_posix(), title))
    return found


@dataclass
class JourneyContext:
    """Everything a journey needs, built once per kernel by the entry point."""

    settings: LearnerAppSettings
    scenarios: dict[str, Scenario]
    form: FormContent
    forms: list[FormContent]
    directive: DirectiveInfo
    progress: ProgressStore
    outbox: Outbox
    store: AttestationStore
    private_key: rsa.RSAPrivateKey
    lrs: LrsSettings
    certificate_pem: bytes | None = None
    chapters: list[tuple[str, str]] = field(default_factory=list)
    book_url: str = "/livre/"
    rng: random.Random = field(default_factory=random.SystemRandom)


def _esc(text: object) -> str:
    return html.escape(str(text))


def _alert(message: str) -> str:
    return f'<div class="ftic-error" role="alert">{_esc(message)}</div>' if message else ""


def _alert_list(messages: Sequence[str]) -> str:
    """One alert for a field, however many problems it has."""
    if len(messages) == 1:
        return _alert(messages[0])
    items = "".join(f"<li>{_esc(m)}</li>" for m in messages)
    return f'<div class="ftic-error" role="alert"><ul>{items}</ul></div>'


def _pct(value: float) -> str:
    return f"{round(value * 100)} %"


class Journey:
    """The application: one instance per page (per kernel)."""

    def __init__(
        self, ctx: JourneyContext, identity: Identity | None = None, error: str | None = None
    ) -> None:
        self.ctx = ctx
        self.identity = identity
        self.attempt: AttemptProgress | None = None
        self.header = w.HTML()
        self.announce = w.HTML(layout=w.Layout(margin="0"))
        self.main = w.VBox()
        self.main.add_class("ftic-main")
        self.widget = w.VBox([self.header, self.announce, self.main])
        self.widget.add_class("ftic-app")
        self.quiz: QuizWidget | None = None
        self.on_page: Callable[[str], None] | None = None
        """Test and benchmark hook: called with the name of each page shown."""
        if error is not None:
            self._page(0, [w.HTML(_alert(error))], "erreur")
        elif identity is None:
            self.show_identify()
        else:
            self.identified(identity)

    # --- plumbing ---------------------------------------------------------------------------

    def _page(self, step: int, children: Sequence[w.Widget], name: str, note: str = "") -> None:
        self.header.value = (
            '<header class="ftic-header"><p class="ftic-brand">Formation : courriel et messagerie '
            "instantanée sécuritaires</p>"
            f'<p class="ftic-steps">Étape {step + 1} sur {len(STEPS)} : <strong>{_esc(STEPS[step])}'
            "</strong></p></header>"
        )
        self.announce.value = (
            f'<div class="ftic-announce" role="status" aria-live="polite">{_esc(note)}</div>' if note else ""
        )
        self.main.children = list(children)
        if self.on_page is not None:
            self.on_page(name)

    def _emit(self, statement: dict[str, Any]) -> None:
        """Enqueue one statement; a failing outbox is logged and never stops the learner."""
        try:
            self.ctx.outbox.add(statement)
        except Exception:
            logger.exception("outbox write failed (statement %s)", statement.get("id"))

    def _xapi_attempt(self) -> xapi.Attempt:
        assert self.identity is not None and self.attempt is not None
        return xapi.Attempt(
            employee_number=self.identity.employee_number,
            homepage=self.ctx.lrs.homepage,
            registration=uuid.UUID(self.attempt.registration),
            directive_version=self.ctx.directive.version,
            platform=self.ctx.lrs.platform,
        )

    def _button(self, label: str, action: Callable[[], None], primary: bool = True) -> w.Button:
        button = w.Button(description=label, tooltip=label, button_style="primary" if primary else "")
        button.layout.width = "auto"
        button.on_click(lambda _b: action())
        return button

    def _book_link(self, path: str, title: str) -> str:
        href = _esc(self.ctx.book_url + path)
        return (
            f'<a href="{href}" target="_blank" rel="noopener">{_esc(title)}'
            '<span class="ftic-sr"> (nouvel onglet)</span></a>'
        )

    # --- 1. identification ------------------------------------------------------------------

    def show_identify(self, error: str = "") -> None:
        intro = w.HTML(
            "<h1>Bienvenue!</h1>"
            "<p>Cette formation vous prépare à utiliser le courriel et la messagerie instantanée "
            "de façon sécuritaire lorsque vous échangez des renseignements confidentiels, comme "
            f"le demande la directive {_esc(self.ctx.directive.numero)}.</p>"
            "<p>Pour commencer, inscrivez votre numéro d'employé. Il sert à conserver votre "
            "progression et à produire votre attestation.</p>"
        )
        self.number = w.Text(
            description="Numéro d'employé",
            placeholder="par exemple 004512",
            style={"description_width": "initial"},
            layout=w.Layout(width="24rem"),
        )
        self.number_error = w.HTML(_alert(error))
        go = self._button("Continuer", self._typed_submit)
        self._page(0, [intro, self.number, self.number_error, go], "identification")

    def _typed_submit(self) -> None:
        try:
            identity = check_typed(self.number.value)
        except IdentificationError as exc:
            self.number_error.value = _alert(str(exc))
            return
        self.identified(identity)

    def identified(self, identity: Identity) -> None:
        """Route an identified person: receipt, resume, or a new attempt."""
        self.identity = identity
        status = attestation_status(
            self.ctx.store, identity.employee_number, self.ctx.directive, self.ctx.forms
        )
        if status.state == "a-jour" and status.record is not None:
            self.show_receipt(status.record, already=True)
            return
        latest = self.ctx.progress.latest(identity.employee_number, self.ctx.directive.version)
        if latest is not None and latest.state in ("welcome", "quiz", "passed", "failed"):
            self.attempt = latest
            if latest.state == "welcome":
                self.show_welcome()
            elif latest.state == "quiz":
                self.show_welcome(resuming=True)
            elif latest.state == "passed":
                self.show_form(
                    note="Bon retour! Votre questionnaire est réussi : il reste à signer l'engagement."
                )
            else:
                self.show_result()
            return
        renew = status.state == "a-renouveler"
        self.start_attempt(avoid=())
        self.show_welcome(renew_reasons=status.reasons if renew else None)

    # --- 2. welcome ---------------------------------------------------------------------------

    def start_attempt(self, avoid: Sequence[str]) -> None:
        """A new attempt: fresh draw, new registration, ``initialized`` statement."""
        assert self.identity is not None
        number = self.identity.employee_number
        previous = self.ctx.progress.attempts(number, self.ctx.directive.version)
        drawn = draw_quiz(
            list(self.ctx.scenarios.values()), self.ctx.settings.per_theme, self.ctx.rng, avoid=avoid
        )
        self.attempt = self.ctx.progress.create(
            number,
            str(uuid.uuid4()),
            self.ctx.directive.version,
            [s.id for s in drawn],
            attempt_no=len(previous) + 1,
        )
        self._emit(xapi.initialized(self._xapi_attempt()))

    def show_welcome(self, resuming: bool = False, renew_reasons: Sequence[str] | None = None) -> None:
        assert self.attempt is not None
        total = len(self.attempt.scenario_ids)
        themes = len({self.ctx.scenarios[s].theme for s in self.attempt.scenario_ids})
        parts = ["<h1>Ce qui vous attend</h1>"]
        if renew_reasons:
            reasons = "".join(f"<li>{_esc(r)}</li>" for r in renew_reasons)
            parts.append(f"<p><strong>Votre engagement est à renouveler :</strong></p><ul>{reasons}</ul>")
        if resuming:
            parts.append(
                f'<p class="ftic-resume"><strong>Bon retour!</strong> Vous reprenez le questionnaire '
                f"à la question {self.attempt.position + 1} sur {total}.</p>"
            )
        parts.append(
            "<ol>"
            f"<li>Un questionnaire de {total} mises en situation, sur {themes} thèmes de la directive. "
            "Après chaque réponse, vous voyez pourquoi, avec les sections de la directive à l'appui.</li>"
            f"<li>Votre résultat : il faut au moins {_pct(self.ctx.settings.pass_mark)} pour réussir. "
            f"Vous pouvez recommencer avec de nouvelles questions (jusqu'à "
            f"{self.ctx.settings.max_attempts} essais).</li>"
            "<li>Une fois le questionnaire réussi, vous signez le formulaire d'engagement et recevez "
            "un accusé de réception avec un code de vérification.</li>"
            "</ol><p>Comptez environ 20 minutes. Vous pouvez fermer la page et revenir plus tard : "
            "vous reprendrez où vous étiez.</p>"
        )
        if self.ctx.chapters:
            links = "".join(f"<li>{self._book_link(p, t)}</li>" for p, t in self.ctx.chapters)
            parts.append(
                '<nav aria-label="Chapitres du livre"><h2>Pour lire la directive expliquée</h2>'
                f'<ul class="ftic-chapters">{links}</ul></nav>'
            )
        label = "Reprendre le questionnaire" if resuming else "Commencer le questionnaire"
        self._page(1, [w.HTML("".join(parts)), self._button(label, self.begin_quiz)], "accueil")
        if not resuming and self.attempt.state == "welcome" and self.attempt.position == 0:
            self._emit(xapi.experienced(self._xapi_attempt(), WELCOME_PAGE_ID, "Accueil de la formation"))

    # --- 3. quiz -----------------------------------------------------------------------------

    def begin_quiz(self) -> None:
        assert self.attempt is not None
        if self.attempt.state == "welcome":
            self.ctx.progress.set_state(self.attempt.registration, "quiz")
            self.attempt.state = "quiz"
        self.show_question()

    def show_question(self) -> None:
        assert self.attempt is not None
        sid = self.attempt.next_scenario_id
        if sid is None:
            self.finish_quiz()
            return
        scenario = self.ctx.scenarios[sid]
        total = len(self.attempt.scenario_ids)
        n = self.attempt.position + 1
        progress = w.HTML(
            f'<p class="ftic-progress"><span class="ftic-sr">Question </span>'
            f'<span class="ftic-count">{n} / {total}</span></p>'
            f'<progress max="{total}" value="{n - 1}" aria-label="Progression : question {n} sur {total}">'
            "</progress>"
        )
        self.next_area = w.VBox()
        self.quiz = QuizWidget(scenario, on_answer=self._answered)
        self._page(2, [progress, self.quiz, self.next_area], "question", note=f"Question {n} sur {total}")

    def _answered(self, event: AnswerEvent) -> None:
        assert self.attempt is not None
        scenario = self.ctx.scenarios[event.scenario_id]
        self._emit(xapi.answered_from_event(event, scenario, self._xapi_attempt()))
        if not event.final:
            return
        self.attempt = self.ctx.progress.record_answer(
            self.attempt.registration, event.scenario_id, event.correct
        )
        last = self.attempt.next_scenario_id is None
        label = "Voir mon résultat" if last else "Question suivante"
        self.next_area.children = [self._button(label, self.show_question)]

    def finish_quiz(self) -> None:
        """Grade the attempt, send completed + passed/failed, show the result."""
        assert self.attempt is not None
        answers = self.attempt.answers
        total = len(self.attempt.scenario_ids)
        right = sum(1 for sid in self.attempt.scenario_ids if answers.get(sid))
        score = right / total if total else 0.0
        success = score >= self.ctx.settings.pass_mark - 1e-9
        attempt = self._xapi_attempt()
        self._emit(xapi.completed(attempt, success=success, score_raw=right, score_max=total))
        builder = xapi.passed if success else xapi.failed
        self._emit(builder(attempt, score_raw=right, score_max=total))
        self.ctx.progress.set_state(self.attempt.registration, "passed" if success else "failed", score=score)
        self.attempt.state = "passed" if success else "failed"
        self.attempt.score = score
        self.show_result()

    # --- 4. result ---------------------------------------------------------------------------

    def show_result(self) -> None:
        assert self.attempt is not None and self.identity is not None
        ids = self.attempt.scenario_ids
        answers = self.attempt.answers
        right = sum(1 for sid in ids if answers.get(sid))
        score = right / len(ids) if ids else 0.0
        success = self.attempt.state == "passed"
        per_theme: dict[Theme, list[bool]] = {}
        for sid in ids:
            per_theme.setdefault(self.ctx.scenarios[sid].theme, []).append(bool(answers.get(sid)))
        rows = []
        review = []
        for theme, grades in per_theme.items():
            ok = all(grades)
            label = THEME_LABELS[theme]
            verdict = "Maîtrisé" if ok else "À revoir"
            rows.append(
                f'<tr><th scope="row">{_esc(label)}</th><td>{sum(grades)} sur {len(grades)}</td>'
                f'<td class="{"ftic-ok-text" if ok else "ftic-ko-text"}">{verdict}</td></tr>'
            )
            if not ok and theme in THEME_CHAPTERS:
                review.append(f"<li>{self._book_link(THEME_CHAPTERS[theme], label)}</li>")
        verdict = (
            '<p class="ftic-verdict ftic-ok-text"><strong>Bravo, vous avez réussi!</strong></p>'
            if success
            else '<p class="ftic-verdict ftic-ko-text"><strong>Pas tout à fait : le seuil de réussite '
            "n'est pas atteint cette fois-ci.</strong></p>"
        )
        parts = [
            "<h1>Votre résultat</h1>",
            f'<p class="ftic-score">Votre note : <strong>{_pct(score)}</strong> '
            f"({right} bonnes réponses sur {len(ids)}). Seuil de réussite : "
            f"{_pct(self.ctx.settings.pass_mark)}.</p>",
            verdict,
            '<table class="ftic-themes"><caption>Résultat par thème</caption>'
            '<thead><tr><th scope="col">Thème</th><th scope="col">Bonnes réponses</th>'
            '<th scope="col">Bilan</th></tr></thead><tbody>' + "".join(rows) + "</tbody></table>",
        ]
        if review:
            parts.append(
                "<h2>À revoir</h2><p>Ces chapitres du livre expliquent les thèmes à revoir :</p>"
                f"<ul>{''.join(review)}</ul>"
            )
        children: list[w.Widget] = [w.HTML("".join(parts))]
        if success:
            children.append(self._button("Passer à l'engagement", self.show_form))
        else:
            used = len(self.ctx.progress.attempts(self.identity.employee_number, self.ctx.directive.version))
            left = self.ctx.settings.max_attempts - used
            if left > 0:
                children.append(
                    w.HTML(
                        f"<p>Il vous reste {left} essai{'s' if left > 1 else ''}. Le prochain "
                        "questionnaire comporte de nouvelles mises en situation.</p>"
                    )
                )
                children.append(self._button("Recommencer avec de nouvelles questions", self.retry))
            else:
                children.append(
                    w.HTML(
                        "<p>Vous avez utilisé tous vos essais. Communiquez avec votre gestionnaire : "
                        "il vous aidera à revoir la matière avant un nouvel essai.</p>"
                    )
                )
        note = "Questionnaire réussi." if success else "Questionnaire non réussi."
        self._page(3, children, "resultat", note=f"{note} Votre note : {_pct(score)}.")

    def retry(self) -> None:
        """Close the failed attempt (``terminated``) and start a fresh draw."""
        assert self.attempt is not None
        self._emit(xapi.terminated(self._xapi_attempt()))
        self.ctx.progress.set_state(self.attempt.registration, "closed")
        previous = list(self.attempt.scenario_ids)
        self.start_attempt(avoid=previous)
        self.begin_quiz()

    # --- 5. engagement form ------------------------------------------------------------------

    def show_form(self, note: str = "") -> None:
        assert self.identity is not None
        form, directive = self.ctx.form, self.ctx.directive
        style = {"description_width": "14rem"}
        layout = w.Layout(width="100%", max_width="42rem")

        def text(name: str, value: str = "") -> w.Text:
            return w.Text(value=value, description=FIELD_LABELS[name], style=style, layout=layout)

        self.fields: dict[str, w.Text] = {
            "employee_number": text("employee_number", self.identity.employee_number),
            "full_name": text("full_name"),
            "job_title": text("job_title"),
            "direction": text("direction"),
            "establishment": text("establishment", directive.etablissement),
        }
        self.fields["employee_number"].disabled = True
        self.errors: dict[str, w.HTML] = {
            name: w.HTML()
            for name in [*self.fields, "commitments", "consent_electronic_signature", "signature"]
        }
        self.commitments = {
            c.id: w.Checkbox(
                value=False,
                description=f"{n}. {c.texte} ({c.sections_label})",
                indent=False,
                layout=w.Layout(width="100%"),
            )
            for n, c in enumerate(form.engagements, start=1)
        }
        self.consent = w.Checkbox(
            value=False, description=form.consentement_signature, indent=False, layout=w.Layout(width="100%")
        )
        self.signature = text("signature")
        self.form_summary = w.HTML()
        children: list[w.Widget] = [
            w.HTML(
                f'<h1>{_esc(form.titre)}</h1><p class="ftic-muted">Version {_esc(form.version)}</p>'
                f"<p>{_esc(form.declaration_text(directive))}</p>"
                "<p>Tous les champs sont obligatoires.</p>"
            )
        ]
        for name, box in self.fields.items():
            children += [box, self.errors[name]]
        children.append(w.HTML('<h2 id="ftic-engagements">Mes engagements</h2>'))
        children += [*self.commitments.values(), self.errors["commitments"]]
        children += [w.HTML("<h2>Signature</h2>"), self.consent, self.errors["consent_electronic_signature"]]
        children += [self.signature, self.errors["signature"], self.form_summary]
        self.sign_button = self._button("Signer mon engagement", self.sign)
        children.append(self.sign_button)
        self._page(4, children, "formulaire", note=note)

    def form_values(self) -> dict[str, Any]:
        """The raw values typed, in the shape ``validate_submission`` reads."""
        data: dict[str, Any] = {k: f.value for k, f in self.fields.items()}
        data["employee_number"] = self.identity.employee_number if self.identity else ""
        data["signature"] = self.signature.value
        data["consent_electronic_signature"] = bool(self.consent.value)
        data["commitments"] = {k: bool(c.value) for k, c in self.commitments.items()}
        return data

    def sign(self) -> None:
        """Validate in the kernel, sign, enqueue ``accept`` and ``terminated``, show the receipt."""
        assert self.attempt is not None and self.identity is not None
        for box in self.errors.values():
            box.value = ""
        try:
            submission = validate_submission(self.ctx.form, self.form_values())
        except SubmissionError as exc:
            count = 0
            for name, messages in exc.errors.items():
                target = self.errors.get(name)
                count += len(messages)
                if target is not None:
                    target.value = _alert_list(messages)
            self.form_summary.value = _alert(
                f"L'engagement n'est pas encore enregistré : {count} point{'s' if count > 1 else ''} "
                "à corriger (voir les messages sous les champs)."
            )
            return
        if self.attempt.state != "passed" or self.attempt.score is None:
            self.form_summary.value = _alert("Le questionnaire doit être réussi avant de signer.")
            return
        self.sign_button.disabled = True
        try:
            record = self.ctx.store.sign(
                submission,
                self.ctx.form,
                self.ctx.directive,
                QuizResult(registration=uuid.UUID(self.attempt.registration), score=self.attempt.score),
                self.identity.method,
                self.ctx.private_key,
            )
        except AttestError as exc:
            self.sign_button.disabled = False
            self.form_summary.value = _alert(str(exc))
            return
        try:
            enqueue_attestation(
                record, self.ctx.outbox, self.ctx.lrs, self.ctx.private_key, self.ctx.certificate_pem
            )
        except Exception:
            logger.exception("could not enqueue the accept statement of attestation %s", record.id)
        self.ctx.progress.set_state(self.attempt.registration, "signed", attestation_id=record.id)
        self._emit(xapi.terminated(self._xapi_attempt()))
        self.attempt.state = "signed"
        self.show_receipt(record)

    # --- 6. receipt --------------------------------------------------------------------------

    def show_receipt(self, record: AttestationRecord, already: bool = False) -> None:
        page = render_receipt(record, self.ctx.form, self.ctx.directive)
        body = page.split("<body>", 1)[-1].rsplit("</body>", 1)[0]
        body = body.replace("<h1>", "<h2>").replace("</h1>", "</h2>")
        data = base64.b64encode(page.encode("utf-8")).decode("ascii")
        code = _esc(record.verification_code)
        if already:
            intro = (
                "<h1>Votre engagement est déjà signé</h1>"
                f"<p>Vous avez déjà signé l'engagement pour la version {_esc(record.directive_version)} "
                "de la directive : vous n'avez rien d'autre à faire. Voici votre accusé de réception.</p>"
            )
            note = "Votre engagement est déjà signé."
        else:
            intro = (
                "<h1>Merci! Votre engagement est signé.</h1>"
                "<p>Conservez votre accusé de réception. Le code de vérification permet à votre "
                "gestionnaire ou aux ressources humaines de confirmer votre engagement.</p>"
            )
            note = f"Engagement signé. Code de vérification : {record.verification_code}."
        download = (
            f'<p><a class="ftic-download" href="data:text/html;charset=utf-8;base64,{data}" '
            f'download="accuse-engagement-{code}.html">Télécharger l\'accusé de réception</a></p>'
        )
        receipt = w.HTML(
            f'{intro}<p class="ftic-code-line">Code de vérification : <strong class="ftic-code" '
            f'data-code="{code}">{code}</strong></p>{download}'
            f'<section class="ftic-receipt" aria-label="Accusé de réception">{body}</section>'
        )
        self._page(5, [receipt], "accuse", note=note)
