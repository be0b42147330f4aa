"""What the HR outputs say about used-up attempts and the attempts granted (French).

The register computes who is locked out (:attr:`RegisterRow.locked_out`, the learner app's
own rule, see :mod:`formation_tic.attempt_grants`) and lists the grants
(:attr:`Register.grants`); this module only words them for the report and the dashboard.
"""

from __future__ import annotations

from html import escape
from typing import Final

from attest import fr_ca

from .register import Register, RegisterRow
from .status_sql import LOCKED_OUT, STATUSES
from .wording import plural

GRANT_HEADERS: Final = ("Matricule", "Nom", "Prénom", "Accordé par", "Le", "Raison", "Essais permis")

LOCKED_OUT_REASON: Final = (
    "Essais épuisés : tous les essais permis sont échoués. Un essai supplémentaire accordé par "
    "le gestionnaire ou les RH (« formation-tic attempts grant ») lui permet de recommencer."
)


def status_label(row: RegisterRow) -> str:
    """The status, with « essais épuisés » when every allowed attempt failed."""
    label = STATUSES[row.status]
    return f"{label} — {LOCKED_OUT}" if row.locked_out else label


def needs_follow_up(row: RegisterRow) -> bool:
    """Late, to renew, failed, or locked out."""
    return row.locked_out or row.status in ("en_retard", "a_renouveler", "echec")


def locked_out_line(register: Register) -> str:
    """« Essais épuisés : 2 personnes … » (empty when nobody is locked out)."""
    count = sum(1 for r in register.rows if r.locked_out)
    if not count:
        return ""
    return (
        f"Essais épuisés : {plural(count, 'personne', 'personnes')} ne "
        f"{'peut' if count == 1 else 'peuvent'} plus recommencer le questionnaire sans un essai "
        "supplémentaire accordé par le gestionnaire ou les RH."
    )


def grants_section(register: Register, *, heading: str = "h2") -> str:
    """The attempts granted to the people shown (who, when, why), as an HTML section."""
    from .report_html import html_table  # the report's table (it imports this module)

    names = {r.employee_number: r for r in register.rows}
    if not register.grants:
        body = "<p>Aucun essai supplémentaire accordé.</p>"
    else:
        rows = []
        for grant in register.grants:
            row = names.get(grant.employee_number)
            rows.append(
                [
                    grant.employee_number,
                    row.last_name if row else None,
                    row.first_name if row else None,
                    grant.granted_by,
                    fr_ca.datetime_long(grant.granted_at),
                    grant.reason,
                    grant.allowed_after,
                ]
            )
        body = html_table("Essais supplémentaires accordés", GRANT_HEADERS, rows)
    return f"<section><{heading}>Essais supplémentaires accordés</{heading}>{body}</section>"


def locked_out_html(register: Register) -> str:
    """The summary's line about locked-out people, as an HTML note (empty when none)."""
    line = locked_out_line(register)
    return f"<p class='note'>{escape(line)}</p>" if line else ""
