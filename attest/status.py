"""Is a person's engagement up to date? Versions and renewal.

An attestation must be renewed (« à renouveler ») when, since it was signed, a new
version of the directive or of the form came out that is *not* marked as a minor
change (wording only). Form versions come from the form files (``changement_mineur``);
directive versions from the records in the store (each notes the version and whether it
was minor) plus the establishment profile's current version.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from pydantic import BaseModel, ConfigDict

from .directive import DirectiveInfo
from .form import FormContent, version_key
from .receipt import signed_on, version_words
from .record import AttestationRecord
from .store import AttestationStore

State = Literal["a-jour", "a-renouveler", "revoquee", "aucune"]

STATE_LABELS: dict[str, str] = {
    "a-jour": "À jour",
    "a-renouveler": "À renouveler",
    "revoquee": "Révoquée",
    "aucune": "Aucune attestation",
}


class EmployeeStatus(BaseModel):
    """The state of one person's engagement and why."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    employee_number: str
    state: State
    label: str
    reasons: list[str]
    record: AttestationRecord | None = None


def directive_history(seen: Sequence[tuple[str, bool]], current: DirectiveInfo) -> list[tuple[str, bool]]:
    """Versions seen (first appearance order) then the profile's current one, minor flags."""
    history: dict[str, bool] = {}
    for version, minor in seen:
        history.setdefault(version, minor)
    history.pop(current.version, None)
    history[current.version] = current.version_mineure
    return list(history.items())


def renewal_reasons(
    record: AttestationRecord,
    forms: Sequence[FormContent],
    history: Sequence[tuple[str, bool]],
) -> list[str]:
    """Why ``record`` must be renewed (empty list: still valid)."""
    reasons: list[str] = []
    versions = [v for v, _ in history]
    if record.directive_version in versions:
        later = history[versions.index(record.directive_version) + 1 :]
    else:
        later = list(history)
    majors = [v for v, minor in later if not minor]
    if majors:
        reasons.append(
            f"Nouvelle version de la directive depuis la signature : {version_words(majors[-1])} "
            f"(engagement signé pour la {version_words(record.directive_version)})."
        )
    signed_key = version_key(record.form_version)
    newer = [f for f in forms if f.id == record.form_id and f.version_key > signed_key]
    form_majors = [f.version for f in newer if not f.changement_mineur]
    if form_majors:
        reasons.append(
            f"Nouvelle version du formulaire d'engagement : version {form_majors[-1]} "
            f"(engagement signé pour la version {record.form_version})."
        )
    return reasons


def attestation_status(
    store: AttestationStore,
    employee_number: str,
    directive: DirectiveInfo,
    forms: Sequence[FormContent],
) -> EmployeeStatus:
    """The state of one person: « À jour », « À renouveler », « Révoquée » or none."""
    number = employee_number.strip()
    mine = store.for_employee(number)
    revoked = {r.revokes: r for r in mine if r.kind == "revocation" and r.revokes}
    active = [r for r in mine if r.kind == "attestation" and r.id not in revoked]
    if not active:
        if any(r.kind == "attestation" for r in mine):
            last = next(r for r in reversed(mine) if r.kind == "attestation")
            reason = revoked[last.id].reason or ""
            return EmployeeStatus(
                employee_number=number,
                state="revoquee",
                label=STATE_LABELS["revoquee"],
                reasons=[f"Dernière attestation révoquée : {reason}"],
                record=last,
            )
        return EmployeeStatus(
            employee_number=number,
            state="aucune",
            label=STATE_LABELS["aucune"],
            reasons=["Aucun engagement signé pour ce numéro d'employé."],
        )
    latest = active[-1]
    history = directive_history(store.directive_versions(), directive)
    reasons = renewal_reasons(latest, forms, history)
    state: State = "a-renouveler" if reasons else "a-jour"
    return EmployeeStatus(
        employee_number=number,
        state=state,
        label=STATE_LABELS[state],
        reasons=reasons or [f"Engagement signé le {signed_on(latest)} (code {latest.verification_code})."],
        record=latest,
    )
