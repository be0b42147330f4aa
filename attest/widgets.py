"""The engagement form as ipywidgets, for notebooks and Voilà; validated in the kernel.

The one form widget of the project: the learner app (:mod:`formation_tic.app`) shows it too.
Nothing typed here is trusted: on « Signer mon engagement », the values go through
:func:`attest.form.validate_submission`, and only a valid submission reaches ``on_submit``.
The button is a :class:`scenarios.quiz.SubmitButton`: what is validated is what the page
showed when the person pressed it, never an older value still on its way to the kernel.
Each problem is written under its own field, which is marked ``aria-invalid`` and described
by it; one summary above the button is the only announcement (``role="alert"``: « 7 champs à
corriger ») with a link to the first field to correct. The widgets carry classes
(``ftic-field--<name>``, ``ftic-invalid``, ``ftic-describedby--<id>``) that the learner app's
page script turns into those attributes and that link into a focus move; in a notebook
without that script the messages and the summary still show. Every text shown is French and
HTML-escaped. The look comes from the ``ftic-*``
classes of the learner app's style sheet.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from html import escape
from typing import Any

import ipywidgets as w

from scenarios.submit import SubmitButton

from .directive import DirectiveInfo
from .errors import AttestError, SubmissionError
from .form import FIELD_LABELS, FormContent, Submission, validate_submission

TEXT_FIELDS = ("employee_number", "full_name", "job_title", "direction", "establishment")
"""The identity fields, in display order (the signature comes after the commitments)."""

SIGN_LABEL = "Signer mon engagement"

IDENTITY_CONFIRMATION_LABEL = "Je confirme que ce numéro d'employé est le mien."
IDENTITY_NOT_CONFIRMED = "Confirmez que ce numéro d'employé est le vôtre : l'engagement est signé en son nom."

ERROR_AREAS = (
    *TEXT_FIELDS,
    "commitments",
    "identity_confirmation",
    "consent_electronic_signature",
    "signature",
)
"""The fields that can be invalid, in display order (keys as in :func:`validate_submission`)."""

AREA_LABELS = {
    **FIELD_LABELS,
    "commitments": "Mes engagements",
    "identity_confirmation": "Confirmation du numéro d'employé",
    "consent_electronic_signature": "Consentement à la signature électronique",
}
"""How the summary names each field."""


def error_id(name: str) -> str:
    """The id of the message under field ``name`` (what the field's ``aria-describedby`` names)."""
    return f"ftic-error-{name}"


def alert_html(message: str) -> str:
    """One announced error (empty string for no message)."""
    return f'<div class="ftic-error" role="alert">{escape(message)}</div>' if message else ""


def field_error_html(name: str, messages: Sequence[str]) -> str:
    """The messages under one field: shown, not announced (the summary is), with its id."""
    if not messages:
        return ""
    if len(messages) == 1:
        inner = escape(messages[0])
    else:
        inner = "<ul>" + "".join(f"<li>{escape(m)}</li>" for m in messages) + "</ul>"
    return f'<div class="ftic-error" id="{error_id(name)}">{inner}</div>'


def alert_list_html(messages: Sequence[str]) -> str:
    """One announced alert for a field, however many problems it has."""
    if len(messages) == 1:
        return alert_html(messages[0])
    items = "".join(f"<li>{escape(m)}</li>" for m in messages)
    return f'<div class="ftic-error" role="alert"><ul>{items}</ul></div>'


class EngagementFormWidget:
    """Build the form; call ``on_submit(submission)`` with each valid submission.

    ``on_submit`` may return a message (shown as a confirmation) or raise
    :class:`~attest.errors.AttestError` (shown as an error, the button enabled again).
    With ``employee_number`` (identified upstream: typed at the start, SSO header, LMS
    launch), the number field is shown disabled and the number given here is the one
    submitted, whatever the browser sends for that field. With ``confirm_identity`` too,
    the form says which number it signs for (« Vous signez pour le numéro d'employé … »)
    and the person must check « Je confirme que ce numéro d'employé est le mien. »: an
    unchecked box is a problem announced like the others, and nothing is signed.
    """

    def __init__(
        self,
        form: FormContent,
        directive: DirectiveInfo,
        on_submit: Callable[[Submission], str | None],
        *,
        employee_number: str | None = None,
        confirm_identity: bool = False,
    ) -> None:
        if confirm_identity and not employee_number:
            raise ValueError("confirm_identity needs the employee number identified upstream")
        self.form = form
        self.directive = directive
        self.on_submit = on_submit
        self.employee_number = employee_number or None
        style = {"description_width": "14rem"}
        layout = w.Layout(width="100%", max_width="42rem")

        def text(name: str, value: str = "") -> w.Text:
            box = w.Text(value=value, description=FIELD_LABELS[name], style=style, layout=layout)
            box.add_class(f"ftic-field--{name}")
            return box

        prefilled = {"employee_number": employee_number or "", "establishment": directive.etablissement}
        self.fields: dict[str, w.Text] = {name: text(name, prefilled.get(name, "")) for name in TEXT_FIELDS}
        if self.employee_number:
            self.fields["employee_number"].disabled = True
        self.commitments: dict[str, w.Checkbox] = {
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
        self.identity_confirmation: w.Checkbox | None = None
        if confirm_identity:
            self.identity_confirmation = w.Checkbox(
                value=False,
                description=IDENTITY_CONFIRMATION_LABEL,
                indent=False,
                layout=w.Layout(width="100%"),
            )
        """« Je confirme que ce numéro d'employé est le mien. » (with ``confirm_identity`` only)."""
        self.signature = text("signature")
        for box in self.commitments.values():
            box.add_class("ftic-field--commitments")
        self.consent.add_class("ftic-field--consent_electronic_signature")
        if self.identity_confirmation is not None:
            self.identity_confirmation.add_class("ftic-field--identity_confirmation")
        self.errors: dict[str, w.HTML] = {name: w.HTML() for name in ERROR_AREAS}
        """One announced error area under each field (keys as in :func:`validate_submission`)."""
        self.message = w.HTML()
        """Summary of the errors, or the confirmation, just above the button."""
        self.button = SubmitButton(SIGN_LABEL, self._pressed)
        children: list[w.Widget] = [
            w.HTML(
                f'<h1>{escape(form.titre)}</h1><p class="ftic-muted">Version {escape(form.version)}</p>'
                f"<p>{escape(form.declaration_text(directive))}</p>"
                "<p>Tous les champs sont obligatoires.</p>"
            )
        ]
        for name, box in self.fields.items():
            children += [box, self.errors[name]]
        children.append(w.HTML('<h2 id="ftic-engagements">Mes engagements</h2>'))
        children += [*self.commitments.values(), self.errors["commitments"]]
        children.append(w.HTML("<h2>Signature</h2>"))
        if self.identity_confirmation is not None:
            children += [
                w.HTML(
                    '<p class="ftic-signing-for">Vous signez pour le numéro d\'employé '
                    f"<strong>{escape(employee_number or '')}</strong>.</p>"
                ),
                self.identity_confirmation,
                self.errors["identity_confirmation"],
            ]
        children += [self.consent, self.errors["consent_electronic_signature"]]
        children += [self.signature, self.errors["signature"], self.message, self.button]
        self.children: list[w.Widget] = children
        """The form's widgets, in order, to place in a page of one's own."""
        self.widget = w.VBox(children)
        """The whole form in one box (notebooks)."""

    def values(self) -> dict[str, Any]:
        """The raw values as typed, in the shape :func:`validate_submission` reads."""
        data: dict[str, Any] = {k: f.value for k, f in self.fields.items()}
        if self.employee_number:
            data["employee_number"] = self.employee_number
        data["signature"] = self.signature.value
        data["consent_electronic_signature"] = bool(self.consent.value)
        data["commitments"] = {k: bool(cb.value) for k, cb in self.commitments.items()}
        return data

    def _widgets_of(self, name: str, *, all_boxes: bool = False) -> list[w.Widget]:
        """The widgets of field ``name`` to correct (commitments: those unchecked, or all)."""
        if name in self.fields:
            return [self.fields[name]]
        if name == "signature":
            return [self.signature]
        if name == "commitments":
            return [box for box in self.commitments.values() if all_boxes or not box.value]
        if name == "consent_electronic_signature":
            return [self.consent]
        if name == "identity_confirmation" and self.identity_confirmation is not None:
            return [self.identity_confirmation]
        return []

    def _clear_errors(self) -> None:
        for name, area in self.errors.items():
            area.value = ""
            for widget in self._widgets_of(name, all_boxes=True):
                widget.remove_class("ftic-invalid")
                widget.remove_class(f"ftic-describedby--{error_id(name)}")

    def show_errors(self, errors: Mapping[str, Sequence[str]]) -> None:
        """Write each problem under its field (marked invalid); announce one summary.

        The summary counts the fields to correct (« 7 champs à corriger ») and links to the
        first one, in the form's order; problems that belong to no field are listed in it.
        """
        unplaced: list[str] = []
        placed: list[str] = []
        for name, messages in errors.items():
            if name in self.errors and messages:
                self.errors[name].value = field_error_html(name, messages)
                for widget in self._widgets_of(name):
                    widget.add_class("ftic-invalid")
                    widget.add_class(f"ftic-describedby--{error_id(name)}")
                placed.append(name)
            else:
                unplaced += messages
        count = len(placed)
        fields = f" {count} champ{'s' if count > 1 else ''} à corriger." if count else ""
        parts = [f"<p><strong>L'engagement n'est pas encore enregistré :{fields}</strong></p>"]
        if unplaced:
            parts.append("<ul>" + "".join(f"<li>{escape(m)}</li>" for m in unplaced) + "</ul>")
        first = next((name for name in ERROR_AREAS if name in placed), None)
        if first is not None:
            parts.append(
                f'<p><a href="#{error_id(first)}" data-ftic-focus="{first}">Aller au premier champ à '
                f"corriger : {escape(AREA_LABELS[first])}</a></p>"
            )
        self.message.value = f'<div class="ftic-error ftic-error-summary" role="alert">{"".join(parts)}</div>'

    def problems(self) -> dict[str, list[str]]:
        """What the form's own checks refuse (beyond :func:`validate_submission`)."""
        if self.identity_confirmation is not None and not self.identity_confirmation.value:
            return {"identity_confirmation": [IDENTITY_NOT_CONFIRMED]}
        return {}

    def submit(self) -> Submission | None:
        """Validate and hand over; return the submission, or None with errors displayed."""
        self._clear_errors()
        errors = self.problems()
        try:
            submission = validate_submission(self.form, self.values())
        except SubmissionError as exc:
            self.show_errors({**exc.errors, **errors})
            return None
        if errors:
            self.show_errors(errors)
            return None
        self.message.value = ""
        self.button.disabled = True
        try:
            confirmation = self.on_submit(submission)
        except AttestError as exc:
            self.button.disabled = False
            self.message.value = alert_html(str(exc))
            return None
        self.message.value = (
            '<div class="ftic-ok-text" role="status">'
            f"{escape(confirmation or 'Engagement signé et enregistré.')}</div>"
        )
        return submission

    def _pressed(self) -> None:
        if self.button.disabled:  # a click sent before the button was disabled: already handled
            return
        self.submit()
