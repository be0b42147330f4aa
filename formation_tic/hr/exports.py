"""CSV and XLSX files HR opens in Excel (French), with formula injection neutralized.

CSV: UTF-8 with BOM, ``;`` separator, CRLF, every cell that starts with ``=``, ``+``,
``-``, ``@``, a tab or a carriage return prefixed with ``'`` so Excel shows it as text.
XLSX (openpyxl, write-only): every cell typed as text or number explicitly (openpyxl
would otherwise store a string starting with ``=`` as a formula), an autofilter on the
header and the header row frozen.

The last columns say what the report flags about the quiz attempts: « Essais épuisés »
(« oui » when every allowed attempt failed, the report's « — essais épuisés »; see
:mod:`.attempts_view`) and « Essais supplémentaires accordés » (how many, as listed in the
report's section of that name; the grants' reasons stay out of these files).

Dates in the data columns stay ISO 8601 (``2023-05-05``, sortable and read as dates by Excel);
their headers say so (« (AAAA-MM-JJ) »). Sentences (the reminder's reason, the footer) are
written for people with :mod:`attest.fr_ca` and :mod:`.wording`.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, Final

from attest import fr_ca

from .register import Register, RegisterRow
from .status_sql import ACTIVITIES, IDENTITIES, STATUSES
from .wording import (
    HIRE_DATE_CHECK_AFTER_DAYS,
    HIRE_DATE_TO_CHECK,
    hire_date_to_check,
    lateness,
    plural,
)

DANGEROUS_PREFIXES: Final = ("=", "+", "-", "@", "\t", "\r")

Column = tuple[str, Callable[[RegisterRow], Any]]


def neutralize(value: Any) -> Any:
    """``'`` in front of a text that a spreadsheet would read as a formula."""
    if isinstance(value, str) and value.startswith(DANGEROUS_PREFIXES):
        return "'" + value
    return value


def _date(value: str | None) -> str | None:
    return value[:10] if value else None


ATTEMPT_COLUMNS: Final[list[Column]] = [
    ("Essais épuisés", lambda r: "oui" if r.locked_out else None),
    ("Essais supplémentaires accordés", lambda r: r.attempts_granted or None),
]
"""What the report says about the quiz attempts, last in the register and reminder files:
« oui » for a person locked out (the report's « — essais épuisés »), the number of extra
attempts granted (the report's « Essais supplémentaires accordés »); empty otherwise."""


REGISTER_COLUMNS: Final[list[Column]] = [
    ("Matricule", lambda r: r.employee_number),
    ("Nom", lambda r: r.last_name),
    ("Prénom", lambda r: r.first_name),
    ("Titre d'emploi", lambda r: r.job_title),
    ("Direction", lambda r: r.direction),
    ("Service", lambda r: r.service),
    ("Matricule du gestionnaire", lambda r: r.manager_number),
    ("Gestionnaire", lambda r: manager_name(r)),
    ("Date d'embauche (AAAA-MM-JJ)", lambda r: r.hire_date),
    ("Statut", lambda r: STATUSES[r.status]),
    ("Activité de formation", lambda r: ACTIVITIES[r.activity]),
    ("Version du formulaire", lambda r: r.form_version),
    ("Version de la directive", lambda r: r.directive_version),
    ("Date de l'attestation (AAAA-MM-JJ)", lambda r: _date(r.signed_at)),
    ("Code de vérification", lambda r: r.verification_code),
    ("Identité", lambda r: identity_label(r)),
    ("Motif du renouvellement", lambda r: r.renewal_reason),
    ("Dernière activité (AAAA-MM-JJ)", lambda r: _date(r.last_activity)),
    ("Jours de retard", lambda r: r.days_late),
    ("Date d'embauche à vérifier", lambda r: "oui" if hire_date_to_check(r.days_late) else None),
    *ATTEMPT_COLUMNS,
]
"""Columns of the register files (French headers)."""

REMINDER_COLUMNS: Final[list[Column]] = [
    ("Matricule", lambda r: r.employee_number),
    ("Nom", lambda r: r.last_name),
    ("Prénom", lambda r: r.first_name),
    ("Courriel", lambda r: r.email),
    ("Direction", lambda r: r.direction),
    ("Service", lambda r: r.service),
    ("Statut", lambda r: STATUSES[r.status]),
    ("Motif", lambda r: reminder_reason(r)),
    ("Date d'embauche (AAAA-MM-JJ)", lambda r: r.hire_date),
    ("Jours de retard", lambda r: r.days_late),
    ("Date d'embauche à vérifier", lambda r: "oui" if hire_date_to_check(r.days_late) else None),
    ("Matricule du gestionnaire", lambda r: r.manager_number),
    ("Nom du gestionnaire", lambda r: r.manager_last_name),
    ("Prénom du gestionnaire", lambda r: r.manager_first_name),
    *ATTEMPT_COLUMNS,
]
"""Columns of the reminder list (mail merge)."""


def identity_label(row: RegisterRow) -> str | None:
    """How the person's current attestation identified them: « déclarée (non vérifiée) »
    (employee number typed by the person), « authentification unique », « ENA »; None
    without an attestation."""
    if row.identification is None:
        return None
    return IDENTITIES.get(row.identification, row.identification)


def manager_name(row: RegisterRow) -> str | None:
    """« Prénom Nom » of the person's manager, if the manager is in the roster."""
    if row.manager_last_name is None:
        return None
    return f"{row.manager_first_name or ''} {row.manager_last_name}".strip()


def reminder_reason(row: RegisterRow) -> str:
    """Why this person gets a reminder (French)."""
    if row.status == "a_renouveler":
        return row.renewal_reason or "Nouvelle version importante depuis la dernière attestation."
    if hire_date_to_check(row.days_late):
        years = plural(HIRE_DATE_CHECK_AFTER_DAYS // 365, "an")
        return (
            f"Engagement non signé ; {HIRE_DATE_TO_CHECK} (plus de {years} de retard : "
            "erreur probable dans la liste du personnel)."
        )
    if row.days_late:
        return f"Engagement non signé, {lateness(row.days_late)} après le délai suivant l'embauche."
    return "Engagement non signé."


def table(rows: Iterable[RegisterRow], columns: Sequence[Column]) -> Iterable[list[Any]]:
    """The values of ``columns`` for each row."""
    getters = [g for _h, g in columns]
    for row in rows:
        yield [g(row) for g in getters]


def write_csv(path: Path, headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """Write a CSV for Excel in French (BOM, ``;``, CRLF, neutralized); number of rows."""
    path.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle, delimiter=";", lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
        writer.writerow([neutralize(h) for h in headers])
        for row in rows:
            writer.writerow(["" if v is None else neutralize(v) for v in row])
            count += 1
    return count


def write_xlsx(
    path: Path,
    headers: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    title: str = "Registre",
    widths: Sequence[int] | None = None,
) -> int:
    """Write a one-sheet workbook: header with filters, frozen; text cells never formulas."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    path.parent.mkdir(parents=True, exist_ok=True)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title[:31])
    sheet.freeze_panes = "A2"
    for index, width in enumerate(widths or [18] * len(headers), start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    bold = Font(bold=True)
    header_cells = []
    for h in headers:
        cell = WriteOnlyCell(sheet, value=h)
        cell.font = bold
        cell.data_type = "s"
        header_cells.append(cell)
    sheet.append(header_cells)
    count = 0
    for row in rows:
        out: list[Any] = []
        for value in row:
            if isinstance(value, str) and value.startswith("="):
                cell = WriteOnlyCell(sheet, value=value)
                cell.data_type = "s"  # text, never a formula (openpyxl reads "=…" as one)
                out.append(cell)
            else:
                out.append(value)
        sheet.append(out)
        count += 1
    last = get_column_letter(len(headers))
    sheet.auto_filter.ref = f"A1:{last}{count + 1}"
    workbook.save(path)
    return count


def export_register(register: Register, directory: Path, *, stem: str | None = None) -> dict[str, Path]:
    """Write the register as CSV and XLSX in ``directory``; paths by format.

    File names carry the date and the filters' kind, never a name.
    """
    stem = stem or default_stem("registre", register)
    headers = [h for h, _g in REGISTER_COLUMNS]
    csv_path = directory / f"{stem}.csv"
    xlsx_path = directory / f"{stem}.xlsx"
    write_csv(csv_path, headers, table(register.rows, REGISTER_COLUMNS))
    write_xlsx(xlsx_path, headers, table(register.rows, REGISTER_COLUMNS), title="Registre")
    return {"csv": csv_path, "xlsx": xlsx_path}


def reminder_rows(register: Register) -> list[RegisterRow]:
    """People late or who must renew, by manager then employee number."""
    rows = [r for r in register.rows if r.status in ("en_retard", "a_renouveler")]
    rows.sort(key=lambda r: (r.manager_number or "", r.employee_number))
    return rows


def export_reminders(register: Register, path: Path) -> int:
    """Write the reminder list (CSV for a mail merge); number of people."""
    rows = reminder_rows(register)
    return write_csv(path, [h for h, _g in REMINDER_COLUMNS], table(rows, REMINDER_COLUMNS))


def default_stem(kind: str, register: Register) -> str:
    """``registre-2024-06-30`` or ``registre-gestionnaire-004512-2024-06-30`` (numbers only)."""
    parts = [kind]
    if register.filters.manager:
        parts.append(f"gestionnaire-{register.filters.manager}")
    parts.append(register.as_of.isoformat())
    return "-".join(parts)


def timestamp() -> str:
    """Current time for report footers, for people: « 5 mai 2023 à 10 h 03 » (Québec time)."""
    return fr_ca.datetime_long(dt.datetime.now(dt.UTC))
