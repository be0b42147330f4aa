"""Shapes of the identity values shared by the form, the store and the roster import.

The employee number is the only identifier of a person used outside the store (logs,
file names, xAPI actors): names never leave the signed record and the receipt.
"""

from __future__ import annotations

import re
from typing import Final, Literal, get_args

EMPLOYEE_NUMBER_PATTERN: Final = r"^[0-9]{4,10}$"
"""Accepted employee numbers: 4 to 10 digits, leading zeros kept (« 004512 »)."""

EMPLOYEE_NUMBER_RE: Final = re.compile(EMPLOYEE_NUMBER_PATTERN)

EMPLOYEE_NUMBER_HELP: Final = (
    "Le numéro d'employé doit contenir de 4 à 10 chiffres, sans espace ni lettre (par exemple 004512)."
)

IdentificationMethod = Literal["typed", "sso-header", "lms-launch", "lti"]
"""How the person was identified when signing: the one definition (the app's modes too)."""

IDENTIFICATION_METHODS: Final[tuple[str, ...]] = get_args(IdentificationMethod)

IDENTIFICATION_LABELS: Final[dict[str, str]] = {
    "typed": "Numéro d'employé saisi par la personne",
    "sso-header": "Authentification unique de l'établissement (en-tête de confiance)",
    "lms-launch": "Lancement depuis l'environnement numérique d'apprentissage (ENA)",
    "lti": "Lancement LTI 1.3 depuis l'ENA (identité vérifiée par la plateforme)",
}


def normalize_employee_number(value: str) -> str:
    """Strip surrounding spaces; the digits themselves are kept as typed."""
    return value.strip()


def is_valid_employee_number(value: str) -> bool:
    """True when ``value`` (after :func:`normalize_employee_number`) has the accepted shape."""
    return EMPLOYEE_NUMBER_RE.fullmatch(normalize_employee_number(value)) is not None
