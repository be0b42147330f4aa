"""The pages of the journey before the form: identification, welcome, question, result.

Views only build widgets from what they are given and call back on a button; the state
lives in :class:`formation_tic.app.flow.LearnerFlow`. Every value shown is HTML-escaped.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import ipywidgets as w

from formation_tic.attempt_grants import Standing
from scenarios.grading import AnswerEvent, AttemptGrade
from scenarios.model import THEME_LABELS, Scenario
from scenarios.quiz import QuizWidget
from scenarios.submit import SubmitButton

from .book import THEME_CHAPTERS, book_link
from .context import JourneyContext
from .markup import alert, button, esc, pct
from .progress import AttemptProgress
from .shell import Page


def error_page(message: str) -> Page:
    """The person cannot be identified: the reason, nothing else."""
    return Page(0, "erreur", [w.HTML(f"<h1>Accès impossible</h1>{alert(message)}")])


class IdentificationView:
    """The employee number typed by the person (``typed`` identification).

    « Continuer », or Enter in the field, hands over the number shown in the field when it
    was pressed (:class:`~scenarios.quiz.SubmitButton`), never a part of it still on its way.
    """

    def __init__(self, directive_number: str, on_submit: Callable[[str], None]) -> None:
        intro = w.HTML(
            "<h1>Bienvenue!</h1>"
            "<p>Cette formation vous prépare à utiliser le courriel et la messagerie instantanée "
            "de façon sécuritaire lorsque vous échangez des renseignements confidentiels, comme "
            f"le demande la directive {esc(directive_number)}.</p>"
            "<p>Pour commencer, inscrivez votre numéro d'employé. Il sert à conserver votre "
            "progression et à produire votre attestation.</p>"
        )
        self.number = w.Text(
            description="Numéro d'employé",
            placeholder="par exemple 004512",
            style={"description_width": "initial"},
            layout=w.Layout(width="100%", max_width="24rem"),
        )
        self.error = w.HTML()
        self.go = SubmitButton("Continuer", lambda: on_submit(self.number.value))
        self.go.submit_on_enter(self.number)
        self.page = Page(0, "identification", [intro, self.number, self.error, self.go])

    def show_error(self, message: str) -> None:
        """Announce why the number typed is refused, next to the field."""
        self.error.value = alert(message)


def _plural(n: int, one: str, many: str) -> str:
    return one if n == 1 else many


def _attempts_line(attempt: AttemptProgress, standing: Standing) -> str:
    """What happens after this attempt if it fails, as the person stands (grants included)."""
    left = standing.left
    others = f"il vous reste {left} essai{_plural(left, '', 's')} après celui-ci"
    if attempt.attempt_no > standing.max_attempts:
        planned = _plural(
            standing.max_attempts, "de l'essai prévu", f"des {standing.max_attempts} essais prévus"
        )
        granted = f"Cet essai vous a été accordé en plus {planned}"
        if left > 0:
            return f"{granted} ; s'il n'est pas réussi, {others}."
        return (
            f"{granted} : s'il n'est pas réussi, communiquez de nouveau avec votre gestionnaire ou "
            "avec les ressources humaines."
        )
    if left > 0:
        return f"Si vous n'y arrivez pas, vous pouvez recommencer avec de nouvelles questions : {others}."
    return (
        "C'est votre dernier essai : s'il n'est pas réussi, votre gestionnaire ou les ressources "
        "humaines pourront vous en accorder un autre."
    )


def _bank_changed(replaced: int, retired: int, total: int) -> str:
    """Scenarios of a quiz under way removed from the bank since it was drawn (see flow.stand_ins)."""
    said = []
    if replaced:
        said.append(
            "Une mise en situation de votre questionnaire a été retirée par l'équipe de formation "
            "avant que vous y répondiez : une autre la remplace."
            if replaced == 1
            else f"{replaced} mises en situation de votre questionnaire ont été retirées par l'équipe "
            "de formation avant que vous y répondiez : d'autres les remplacent."
        )
    if retired:
        said.append(
            "Une mise en situation à laquelle vous avez déjà répondu a été retirée depuis : votre "
            "réponse est conservée et compte dans votre note."
            if retired == 1
            else f"{retired} mises en situation auxquelles vous avez déjà répondu ont été retirées "
            "depuis : vos réponses sont conservées et comptent dans votre note."
        )
    said.append(f"Votre questionnaire compte toujours {total} mises en situation.")
    return f'<p class="ftic-bank-changed">{" ".join(said)}</p>'


def welcome_page(
    ctx: JourneyContext,
    attempt: AttemptProgress,
    on_start: Callable[[], None],
    *,
    standing: Standing,
    resuming: bool = False,
    renew_reasons: Sequence[str] = (),
    granted: bool = False,
    draw: Sequence[str] | None = None,
    answered: int | None = None,
    replaced: int = 0,
    retired: int = 0,
) -> Page:
    """What the training holds; « Commencer » (or « Reprendre ») the quiz.

    ``standing``: the person's attempts (grants included), for what follows a failure.
    ``draw`` and ``answered``: the attempt's questions and how many are answered, as the flow
    sees them (stand-ins for scenarios gone from the bank); ``replaced`` and ``retired``: how
    many of its scenarios are gone from the bank, unanswered or answered (said on resuming).
    """
    questions = list(attempt.scenario_ids if draw is None else draw)
    done = attempt.position if answered is None else answered
    total = len(questions)
    themes = len({ctx.scenarios[s].theme for s in questions if s in ctx.scenarios})
    parts = [
        "<h1>Ce qui vous attend</h1>",
        f'<p class="ftic-who">Numéro d\'employé : <strong>{esc(attempt.employee_number)}</strong></p>',
    ]
    if renew_reasons:
        reasons = "".join(f"<li>{esc(r)}</li>" for r in renew_reasons)
        parts.append(f"<p><strong>Votre engagement est à renouveler :</strong></p><ul>{reasons}</ul>")
    if granted:
        fresh = (
            ""
            if resuming
            else " Vous pouvez reprendre le questionnaire, avec de nouvelles mises en situation."
        )
        parts.append(
            f'<p class="ftic-granted"><strong>Un essai supplémentaire vous a été accordé.</strong>{fresh}</p>'
        )
    if resuming:
        parts.append(
            f'<p class="ftic-resume"><strong>Bon retour!</strong> Vous reprenez le questionnaire '
            f"à la question {done + 1} sur {total}.</p>"
        )
        if replaced or retired:
            parts.append(_bank_changed(replaced, retired, total))
    parts.append(
        "<ol>"
        f"<li>Un questionnaire de {total} mises en situation, sur {themes} thèmes de la directive. "
        "Après chaque réponse, vous voyez pourquoi, avec les sections de la directive à l'appui.</li>"
        f"<li>Votre résultat : il faut au moins {pct(ctx.settings.pass_mark)} pour réussir. "
        f"{_attempts_line(attempt, standing)}</li>"
        "<li>Une fois le questionnaire réussi, vous signez le formulaire d'engagement et recevez "
        "un accusé de réception avec un code de vérification.</li>"
        "</ol><p>Comptez environ 20 minutes. Vous pouvez fermer la page et revenir plus tard : "
        "vous reprendrez où vous étiez.</p>"
    )
    if ctx.chapters:
        links = "".join(f"<li>{book_link(ctx.book_url, p, t)}</li>" for p, t in ctx.chapters)
        parts.append(
            '<nav aria-label="Chapitres du livre"><h2>Pour lire la directive expliquée</h2>'
            f'<ul class="ftic-chapters">{links}</ul></nav>'
        )
    label = "Reprendre le questionnaire" if resuming else "Commencer le questionnaire"
    return Page(1, "accueil", [w.HTML("".join(parts)), button(label, on_start)])


class QuestionView:
    """One scenario of the quiz (graded in the kernel), then a button to go on.

    The feedback on each answer (or decision) takes the keyboard focus (``focus_feedback``
    of :class:`~scenarios.quiz.QuizWidget`): the button pressed is gone or disabled then, and
    Tab goes on from the feedback to « Question suivante » or to the next decision.
    """

    def __init__(
        self, scenario: Scenario, number: int, total: int, on_answer: Callable[[AnswerEvent], None]
    ) -> None:
        progress = w.HTML(
            f'<p class="ftic-progress"><span class="ftic-sr">Question </span>'
            f'<span class="ftic-count">{number} / {total}</span></p>'
            f'<progress max="{total}" value="{number - 1}" '
            f'aria-label="Progression : question {number} sur {total}"></progress>'
        )
        self.next_area = w.VBox()
        self.quiz = QuizWidget(scenario, on_answer=on_answer, heading_level=1, focus_feedback=True)
        self.page = Page(
            2, "question", [progress, self.quiz, self.next_area], note=f"Question {number} sur {total}"
        )

    def show_next(self, last: bool, action: Callable[[], None]) -> None:
        """Once the scenario is finished: « Question suivante » or « Voir mon résultat »."""
        label = "Voir mon résultat" if last else "Question suivante"
        self.next_area.children = [button(label, action)]


def result_page(
    ctx: JourneyContext,
    grade: AttemptGrade,
    passed: bool,
    attempts_left: int,
    on_form: Callable[[], None],
    on_retry: Callable[[], None],
    *,
    retired: int = 0,
) -> Page:
    """The score, each theme's result, chapters to review; then the form or a retry.

    ``retired``: answers counted in the score whose scenario is gone from the bank since
    (they have no theme left to show in the table; see :func:`formation_tic.app.flow.stand_ins`).
    """
    rows = []
    review = []
    for result in grade.themes:
        label = THEME_LABELS[result.theme]
        ok = result.mastered
        verdict = "Maîtrisé" if ok else "À revoir"
        rows.append(
            f'<tr><th scope="row">{esc(label)}</th><td>{result.right} sur {result.total}</td>'
            f'<td class="{"ftic-ok-text" if ok else "ftic-ko-text"}">{verdict}</td></tr>'
        )
        if not ok and result.theme in THEME_CHAPTERS:
            review.append(f"<li>{book_link(ctx.book_url, THEME_CHAPTERS[result.theme], label)}</li>")
    verdict = (
        '<p class="ftic-verdict ftic-ok-text"><strong>Bravo, vous avez réussi!</strong></p>'
        if passed
        else '<p class="ftic-verdict ftic-ko-text"><strong>Pas tout à fait : le seuil de réussite '
        "n'est pas atteint cette fois-ci.</strong></p>"
    )
    parts = [
        "<h1>Votre résultat</h1>",
        f'<p class="ftic-score">Votre note : <strong>{pct(grade.score)}</strong> '
        f"({grade.right} bonnes réponses sur {grade.total}). Seuil de réussite : "
        f"{pct(ctx.settings.pass_mark)}.</p>",
        verdict,
        '<table class="ftic-themes"><caption>Résultat par thème</caption>'
        '<thead><tr><th scope="col">Thème</th><th scope="col">Bonnes réponses</th>'
        '<th scope="col">Bilan</th></tr></thead><tbody>' + "".join(rows) + "</tbody></table>",
    ]
    if retired:
        parts.append(
            '<p class="ftic-retired">'
            + (
                "Votre note compte aussi une réponse à une mise en situation retirée depuis par "
                "l'équipe de formation : elle n'apparaît pas dans le tableau par thème."
                if retired == 1
                else f"Votre note compte aussi {retired} réponses à des mises en situation retirées "
                "depuis par l'équipe de formation : elles n'apparaissent pas dans le tableau par thème."
            )
            + "</p>"
        )
    if review:
        parts.append(
            "<h2>À revoir</h2><p>Ces chapitres du livre expliquent les thèmes à revoir :</p>"
            f"<ul>{''.join(review)}</ul>"
        )
    children: list[w.Widget] = [w.HTML("".join(parts))]
    if passed:
        children.append(button("Passer à l'engagement", on_form))
    elif attempts_left > 0:
        children.append(
            w.HTML(
                f"<p>Il vous reste {attempts_left} essai{'s' if attempts_left > 1 else ''}. Le prochain "
                "questionnaire comporte de nouvelles mises en situation.</p>"
            )
        )
        children.append(button("Recommencer avec de nouvelles questions", on_retry))
    else:
        children.append(
            w.HTML(
                '<div class="ftic-locked"><h2>Et maintenant?</h2>'
                "<p>Vous avez utilisé tous vos essais. Vous ne pouvez pas recommencer par "
                "vous-même pour le moment.</p>"
                "<ol><li>Communiquez avec votre gestionnaire ou avec les ressources humaines. "
                "Ensemble, vous pourrez revoir la matière.</li>"
                "<li>Votre gestionnaire ou les ressources humaines peuvent ensuite vous accorder "
                "un essai supplémentaire.</li>"
                "<li>Revenez ensuite à la formation (rouvrez ou rechargez cette page) : le nouvel "
                "essai vous sera proposé, avec de nouvelles questions.</li></ol></div>"
            )
        )
    note = "Questionnaire réussi." if passed else "Questionnaire non réussi."
    return Page(3, "resultat", children, note=f"{note} Votre note : {pct(grade.score)}.")
