"""Aggregates of a register (by status, direction, month, manager) and the terminal table.

Figures shown to people are written in French (Canada) with :mod:`attest.fr_ca`.
"""

from __future__ import annotations

from collections import Counter, defaultdict

from attest import fr_ca

from .register import Register
from .status_sql import SELF_DECLARED, STATUSES
from .wording import HIRE_DATE_CHECK_AFTER_DAYS, plural, rows_to_check


def by_direction(register: Register) -> list[tuple[str, dict[str, int]]]:
    """Status counts per direction (« (sans direction) » for blanks), by name."""
    groups: dict[str, Counter[str]] = defaultdict(Counter)
    for row in register.rows:
        groups[row.direction or "(sans direction)"][row.status] += 1
    return [(name, dict(counts)) for name, counts in sorted(groups.items())]


def by_month(register: Register) -> list[tuple[str, int]]:
    """Current attestations per month of signature (AAAA-MM), every month in between."""
    months = Counter(r.signed_at[:7] for r in register.rows if r.signed_at)
    if not months:
        return []
    first, last = min(months), max(months)
    out: list[tuple[str, int]] = []
    year, month = int(first[:4]), int(first[5:7])
    while f"{year:04d}-{month:02d}" <= last:
        key = f"{year:04d}-{month:02d}"
        out.append((key, months.get(key, 0)))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def late_by_manager(register: Register, limit: int = 20) -> list[tuple[str, int]]:
    """Managers with the most late people: (« Prénom Nom (matricule) », count)."""
    counts: Counter[str] = Counter()
    names: dict[str, str] = {}
    for row in register.rows:
        if row.status != "en_retard":
            continue
        key = row.manager_number or ""
        counts[key] += 1
        if key and row.manager_last_name is not None:
            names[key] = f"{row.manager_first_name or ''} {row.manager_last_name} ({key})".strip()
        elif key:
            names[key] = f"matricule {key} (absent de la liste du personnel)"
        else:
            names[key] = "(sans gestionnaire)"
    return [(names[k], n) for k, n in counts.most_common(limit)]


def self_declared(register: Register) -> tuple[int, int]:
    """(attestations whose identity is self-declared, attestations) among the people shown."""
    signed = [r for r in register.rows if r.identification is not None]
    return sum(1 for r in signed if r.identification == SELF_DECLARED), len(signed)


def self_declared_line(register: Register) -> str:
    """The summary's count of self-declared identities (French)."""
    declared, signed = self_declared(register)
    return (
        f"Identité déclarée (non vérifiée) : {fr_ca.integer(declared)} sur {plural(signed, 'attestation')} "
        "(numéro d'employé saisi par la personne, sans authentification unique ni ENA)."
    )


def hire_dates_to_check_line(register: Register) -> str:
    """How many people have a hire date too old to be believed (empty when none)."""
    count = len(rows_to_check(register.rows))
    if not count:
        return ""
    years = plural(HIRE_DATE_CHECK_AFTER_DAYS // 365, "an")
    who = plural(count, "personne")
    return (
        f"Date d'embauche à vérifier : {who} en retard de plus de {years}, ce qui indique "
        "plutôt une erreur dans la liste du personnel ; faites corriger leur date d'embauche."
    )


def incomplete_banner(register: Register) -> list[str]:
    """Lines that say, before anything else, that the register lost records HR had verified."""
    if register.complete:
        return []
    lines = [
        "!" * 72,
        "ATTENTION : RAPPORT INCOMPLET — des enregistrements vérifiés par RH ont disparu du",
        "registre des attestations. Les statuts ci-dessous ne sont pas fiables.",
    ]
    lines += [f"- {text}" for text in register.incomplete]
    return [*lines, "!" * 72]


def summary_table(register: Register) -> list[str]:
    """Lines of the terminal summary: the incomplete-report banner if any, one line per
    status, the total, percentages, and the count of self-declared identities."""
    counts = register.counts()
    total = sum(counts.values())
    width = max(len(label) for label in STATUSES.values())
    lines = [
        *incomplete_banner(register),
        f"{'Statut'.ljust(width)}  {'Personnes':>9}  {'%':>7}",
        "-" * (width + 20),
    ]
    for code, n in counts.items():
        share = n / total if total else 0.0
        lines.append(f"{STATUSES[code].ljust(width)}  {fr_ca.integer(n):>9}  {fr_ca.percent(share, 1):>7}")
    lines.append("-" * (width + 20))
    lines.append(
        f"{'Total'.ljust(width)}  {fr_ca.integer(total):>9}  {fr_ca.percent(1.0 if total else 0.0, 1):>7}"
    )
    lines.append(self_declared_line(register))
    to_check = hire_dates_to_check_line(register)
    if to_check:
        lines.append(to_check)
    return lines
