"""The engagement form as ipywidgets, for notebooks and Voilà; validated in the kernel.

Nothing typed here is trusted: on « Signer », the values go through
:func:`attest.form.validate_submission`, and only a valid submission reaches ``on_submit``.
Errors are shown in French, HTML-escaped.
"""

from __future__ import annotations

from collections.abc import Callable
from html import escape
from typing import Any

import ipywidgets as w

from .directive import DirectiveInfo
from .errors import AttestError, SubmissionError
from .form import FIELD_LABELS, FormContent, Submission, validate_submission


class EngagementFormWidget:
    """Build the form; call ``on_submit(submission)`` with each valid submission.

    ``on_submit`` may return a message (shown as a confirmation) or raise
    :class:`~attest.errors.AttestError` (shown as an error).
    """

    def __init__(
        self,
        form: FormContent,
        directive: DirectiveInfo,
        on_submit: Callable[[Submission], str | None],
        *,
        employee_number: str | None = None,
    ) -> None:
        self.form = form
        self.directive = directive
        self.on_submit = on_submit
        style = {"description_width": "12rem"}
        layout = w.Layout(width="36rem")

        def text(field: str, value: str = "") -> w.Text:
            return w.Text(value=value, description=FIELD_LABELS[field], style=style, layout=layout)

        self.fields: dict[str, w.Text] = {
            "employee_number": text("employee_number", employee_number or ""),
            "full_name": text("full_name"),
            "job_title": text("job_title"),
            "direction": text("direction"),
            "establishment": text("establishment", directive.etablissement),
        }
        if employee_number:  # identified upstream (SSO header, LMS launch): not editable
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
            value=False,
            description=form.consentement_signature,
            indent=False,
            layout=w.Layout(width="100%"),
        )
        self.signature = text("signature")
        self.button = w.Button(description="Signer", button_style="primary", icon="pen")
        self.message = w.HTML()
        self.button.on_click(self._clicked)
        self.widget = w.VBox(
            [
                w.HTML(f"<h3>{escape(form.titre)} (version {escape(form.version)})</h3>"),
                w.HTML(f"<p>{escape(form.declaration_text(directive))}</p>"),
                *self.fields.values(),
                w.HTML("<strong>Mes engagements</strong>"),
                *self.commitments.values(),
                self.consent,
                self.signature,
                self.button,
                self.message,
            ]
        )

    def values(self) -> dict[str, Any]:
        """The raw values as typed, in the shape :func:`validate_submission` reads."""
        data: dict[str, Any] = {k: f.value for k, f in self.fields.items()}
        data["signature"] = self.signature.value
        data["consent_electronic_signature"] = bool(self.consent.value)
        data["commitments"] = {k: bool(cb.value) for k, cb in self.commitments.items()}
        return data

    def submit(self) -> Submission | None:
        """Validate and hand over; return the submission, or None with errors displayed."""
        try:
            submission = validate_submission(self.form, self.values())
        except SubmissionError as exc:
            items = "".join(f"<li>{escape(m)}</li>" for msgs in exc.errors.values() for m in msgs)
            self.message.value = (
                f'<div role="alert" style="color:#a00"><p>Engagement non enregistré :</p>'
                f"<ul>{items}</ul></div>"
            )
            return None
        try:
            confirmation = self.on_submit(submission)
        except AttestError as exc:
            self.message.value = f'<div role="alert" style="color:#a00">{escape(str(exc))}</div>'
            return None
        self.button.disabled = True
        self.message.value = (
            f'<div role="status" style="color:#060">'
            f"{escape(confirmation or 'Engagement signé et enregistré.')}</div>"
        )
        return submission

    def _clicked(self, _button: w.Button) -> None:
        self.submit()
