"""Counts agreed in French: « 1 fichier », « 2 fichiers », never « fichier(s) ».

The pure helpers shared by the content library (checker, audit, book build) and the
application, which re-exports them from :mod:`formation_tic.hr.wording`. Nothing is imported
up front: Babel is read on the first count written, so importing this module costs nothing.
"""

from __future__ import annotations

__all__ = ["agree", "plural"]

_LOCALE = "fr_CA"


def agree(count: int, singular: str, plural_form: str | None = None) -> str:
    """The word alone, agreed with ``count``: « lue » for 0 or 1, « lues » from 2 (French: 0
    and 1 are singular). For the words around a count: « 1 ligne a », « 3 lignes ont »."""
    return singular if abs(count) < 2 else (plural_form or singular + "s")


def plural(count: int, singular: str, plural_form: str | None = None) -> str:
    """« 1 personne », « 0 personne », « 12 345 personnes » (French: 0 and 1 are singular)."""
    from babel.numbers import format_decimal

    number = format_decimal(count, format="#,##0", locale=_LOCALE)
    return f"{number}\u00a0{agree(count, singular, plural_form)}"
