"""Sentences of the HR outputs written for people: counts with their plural, lateness, months.

:func:`plural` and :func:`agree` live in :mod:`scenarios.wording` (the content library words
its counts with them too) and are re-exported here, where the application imports them.

The other numbers and the dates go through :mod:`attest.fr_ca` (Babel). A lateness larger than
:data:`HIRE_DATE_CHECK_AFTER_DAYS` is not believable (a hire date typed decades ago): such a
row reads « date d'embauche à vérifier » instead of a number of days, and the report lists
those people so HR can correct the roster.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Final, Protocol, TypeVar

from attest import fr_ca
from scenarios.wording import agree, plural

__all__ = [
    "HIRE_DATE_CHECK_AFTER_DAYS",
    "HIRE_DATE_TO_CHECK",
    "agree",
    "hire_date_to_check",
    "lateness",
    "month_label",
    "plural",
    "rows_to_check",
]

HIRE_DATE_CHECK_AFTER_DAYS: Final = 5 * 365
"""Days late (beyond the deadline after hire) past which the hire date is taken for a data
error: five years. Someone hired more than five years ago who never signed is almost always a
wrong date in the roster (year typed as 1985 instead of 2025, a placeholder date…), not a
person five years late."""

HIRE_DATE_TO_CHECK: Final = "date d'embauche à vérifier"


class _Late(Protocol):
    @property
    def days_late(self) -> int | None: ...


LateRow = TypeVar("LateRow", bound=_Late)


def hire_date_to_check(days_late: int | None) -> bool:
    """True when the lateness is too large to be real (see :data:`HIRE_DATE_CHECK_AFTER_DAYS`)."""
    return days_late is not None and days_late > HIRE_DATE_CHECK_AFTER_DAYS


def lateness(days_late: int | None) -> str:
    """« en retard de 3 jours », « en retard de 2 mois », « en retard de 1 an et 4 mois »;
    « date d'embauche à vérifier » past the cap; empty when not late."""
    if not days_late or days_late <= 0:
        return ""
    if hire_date_to_check(days_late):
        return HIRE_DATE_TO_CHECK
    if days_late < 60:
        return f"en retard de {plural(days_late, 'jour')}"
    months = round(days_late / 30.4375)
    if months < 24:
        years, rest = divmod(months, 12)
        if years and rest:
            return f"en retard de {plural(years, 'an')} et {plural(rest, 'mois', 'mois')}"
        if years:
            return f"en retard de {plural(years, 'an')}"
        return f"en retard de {plural(months, 'mois', 'mois')}"
    return f"en retard de {plural(months // 12, 'an')}"


def rows_to_check(rows: Iterable[LateRow]) -> list[LateRow]:
    """The rows whose hire date must be checked (lateness beyond the cap)."""
    return [r for r in rows if hire_date_to_check(r.days_late)]


def month_label(key: str) -> str:
    """« mai 2023 » for the month key ``2023-05``."""
    from babel.dates import format_skeleton

    return format_skeleton("yMMMM", dt.date(int(key[:4]), int(key[5:7]), 1), locale=fr_ca.LOCALE)
