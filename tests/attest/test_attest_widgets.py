"""The ipywidgets form validates in the kernel and only hands over valid submissions."""

from __future__ import annotations

from attest_testsupport import valid_values

from attest import DirectiveInfo, FormContent, StoreError, Submission
from attest.form import FIELD_LABELS
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

    def keep(submission: Submission) -> str:
        received.append(submission)
        return "Merci !"

    ui = EngagementFormWidget(form, directive, keep)
    assert len(ui.commitments) == len(form.engagements)
    assert ui.fields["establishment"].value == directive.etablissement
    assert [f.description for f in ui.fields.values()] == [
        FIELD_LABELS[n] for n in ("employee_number", "full_name", "job_title", "direction", "establishment")
    ]
    _fill(ui, form, full_name="<b>Jo</b>", signature="x")
    ui.commitments["aucun-nom"].value = False
    ui.button.click()
    assert received == []
    # Each problem is written under its own field, escaped; only the summary, counting the
    # fields, is announced.
    name_error = ui.errors["full_name"].value
    assert 'role="alert"' not in name_error and "&lt; ou &gt;" in name_error and "<b>Jo" not in name_error
    assert "L&#x27;engagement n° 3 (section 5.7)" in ui.errors["commitments"].value
    assert 'role="alert"' in ui.message.value and "2 champs à corriger" in ui.message.value
    assert ui.errors["signature"].value == "" and ui.errors["job_title"].value == ""
    _fill(ui, form)
    ui.button.click()
    assert len(received) == 1 and received[0].employee_number == "004512"
    assert all(box.value == "" for box in ui.errors.values())  # previous errors cleared
    assert "Merci !" in ui.message.value and ui.button.disabled
    ui.button.click()  # a click sent before the button was disabled is not a second signature
    assert len(received) == 1


def test_widget_prefilled_identity_and_store_error(form: FormContent, directive: DirectiveInfo) -> None:
    def refuse(_s: Submission) -> str:
        raise StoreError("Le questionnaire n'a pas été réussi.")

    ui = EngagementFormWidget(form, directive, refuse, employee_number="7001")
    assert ui.fields["employee_number"].disabled
    _fill(ui, form, employee_number="7001")
    assert ui.submit() is None
    assert "questionnaire" in ui.message.value and 'role="alert"' in ui.message.value
    assert not ui.button.disabled


def test_identity_given_upstream_wins_over_what_the_browser_sends(
    form: FormContent, directive: DirectiveInfo
) -> None:
    received: list[Submission] = []
    ui = EngagementFormWidget(form, directive, lambda s: received.append(s), employee_number="7001")
    _fill(ui, form, employee_number="7001")
    ui.fields["employee_number"].value = "9999"  # a disabled field is still writable over the comm
    assert ui.values()["employee_number"] == "7001"
    assert ui.submit() is not None
    assert received[0].employee_number == "7001"
    assert "Engagement signé et enregistré." in ui.message.value


def test_problems_without_a_field_go_to_the_summary(form: FormContent, directive: DirectiveInfo) -> None:
    ui = EngagementFormWidget(form, directive, lambda s: None)
    ui.show_errors({"formulaire": ["Champ inattendu : « x »."], "full_name": ["a", "b"]})
    assert "1 champ à corriger" in ui.message.value and "Champ inattendu" in ui.message.value
    assert ui.errors["full_name"].value.count("<li>") == 2


def test_blank_form_marks_each_field_and_announces_one_summary_linking_to_the_first(
    form: FormContent, directive: DirectiveInfo
) -> None:
    ui = EngagementFormWidget(form, directive, lambda s: None, employee_number="7001", confirm_identity=True)
    ui.commitments[form.engagements[0].id].value = True
    assert ui.submit() is None
    invalid = [
        "full_name",
        "job_title",
        "direction",
        "commitments",
        "identity_confirmation",
        "consent_electronic_signature",
        "signature",
    ]
    assert [name for name, area in ui.errors.items() if area.value] == invalid
    # One announcement: the summary, with the count and a link to the first field.
    assert ui.message.value.count('role="alert"') == 1
    assert "7 champs à corriger" in ui.message.value
    assert 'href="#ftic-error-full_name" data-ftic-focus="full_name"' in ui.message.value
    assert all('role="alert"' not in area.value for area in ui.errors.values())
    # Each invalid field is marked and described by its own message (the page script reads the classes).
    name = ui.fields["full_name"]
    assert "ftic-invalid" in name._dom_classes
    assert "ftic-describedby--ftic-error-full_name" in name._dom_classes
    assert 'id="ftic-error-full_name"' in ui.errors["full_name"].value
    boxes = list(ui.commitments.values())
    assert "ftic-invalid" not in boxes[0]._dom_classes  # checked: nothing to correct
    assert all("ftic-invalid" in b._dom_classes for b in boxes[1:])
    assert "ftic-invalid" not in ui.fields["establishment"]._dom_classes
    # Corrected: the marks go away with the messages.
    ui.fields["full_name"].value = "Camille Tremblay"
    ui.submit()
    assert "ftic-invalid" not in name._dom_classes and ui.errors["full_name"].value == ""
    assert "6 champs à corriger" in ui.message.value
