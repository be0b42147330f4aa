"""The ipywidgets form validates in the kernel and only hands over valid submissions."""

from __future__ import annotations

from attest_testsupport import valid_values

from attest import DirectiveInfo, FormContent, StoreError, Submission
from attest.widgets import EngagementFormWidget


def _fill(ui: EngagementFormWidget, form: FormContent, **overrides: object) -> None:
    values = valid_values(form, **overrides)
    for name, field in ui.fields.items():
        field.value = values[name]
    ui.signature.value = values["signature"]
    ui.consent.value = values["consent_electronic_signature"]
    for cid, box in ui.commitments.items():
        box.value = values["commitments"][cid]


def test_widget_refuses_then_accepts(form: FormContent, directive: DirectiveInfo) -> None:
    received: list[Submission] = []
    ui = EngagementFormWidget(form, directive, lambda s: received.append(s) or "Merci !")
    assert len(ui.commitments) == len(form.engagements)
    assert ui.fields["establishment"].value == directive.etablissement
    _fill(ui, form, full_name="<b>Jo</b>", signature="x")
    ui.commitments["aucun-nom"].value = False
    ui.button.click()
    assert received == []
    assert "&lt; ou &gt;" in ui.message.value and "<b>Jo" not in ui.message.value
    assert "L&#x27;engagement n° 3 (section 5.7)" in ui.message.value
    _fill(ui, form)
    ui.button.click()
    assert len(received) == 1 and received[0].employee_number == "004512"
    assert "Merci !" in ui.message.value and ui.button.disabled


def test_widget_prefilled_identity_and_store_error(form: FormContent, directive: DirectiveInfo) -> None:
    def refuse(_s: Submission) -> str:
        raise StoreError("Le questionnaire n'a pas été réussi.")

    ui = EngagementFormWidget(form, directive, refuse, employee_number="7001")
    assert ui.fields["employee_number"].disabled
    _fill(ui, form, employee_number="7001")
    assert ui.submit() is None
    assert "questionnaire" in ui.message.value and not ui.button.disabled
