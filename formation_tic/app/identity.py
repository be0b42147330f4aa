"""Who is the learner? Three modes, chosen by configuration (never by the visitor).

* ``typed``: the person types an employee number (demo and small sites; nothing proves it).
* ``sso-header``: the organization's single sign-on proxy sets a trusted header (e.g.
  ``X-Forwarded-User``); Voilà passes it to the kernel as ``HTTP_X_FORWARDED_USER``
  (``VoilaConfiguration.http_header_envs``). The app must then only be reachable through
  that proxy, which must strip the header from incoming requests.
* ``lms-launch``: a cmi5 launch from the LMS: the seam is :func:`identity_from_lms_launch`.
* ``lti``: an LTI 1.3 launch from the ENA, verified by the server (:mod:`formation_tic.lti`),
  which alone sets the employee number for the kernel (:func:`identity_from_lti`).

The query string (``QUERY_STRING``) is never read: anybody can type one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from attest.identity import EMPLOYEE_NUMBER_HELP, IdentificationMethod, is_valid_employee_number

from .settings import LTI_IDENTITY_ENV, LearnerAppSettings


class IdentificationError(Exception):
    """The person cannot be identified; the message is French, for the learner."""


@dataclass(frozen=True)
class Identity:
    """An identified learner."""

    employee_number: str
    method: IdentificationMethod


def check_typed(value: str) -> Identity:
    """A typed employee number, validated; raises :class:`IdentificationError`."""
    number = value.strip()
    if not number:
        raise IdentificationError("Inscrivez votre numéro d'employé pour commencer.")
    if not is_valid_employee_number(number):
        raise IdentificationError(EMPLOYEE_NUMBER_HELP)
    return Identity(number, "typed")


def identity_from_header(settings: LearnerAppSettings, environ: Mapping[str, str]) -> Identity:
    """The employee number carried by the trusted header; raises :class:`IdentificationError`."""
    value = (environ.get(settings.header_env) or "").strip()
    if not value:
        raise IdentificationError(
            "Nous n'avons pas pu vous identifier. Ouvrez la formation à partir du portail de "
            "votre établissement (authentification unique), puis réessayez."
        )
    if not is_valid_employee_number(value):
        raise IdentificationError(
            "L'identifiant transmis par l'authentification unique n'est pas un numéro d'employé "
            "valide. Communiquez avec le centre de services de votre établissement."
        )
    return Identity(value, "sso-header")


def identity_from_lms_launch(environ: Mapping[str, str]) -> Identity:
    """cmi5 launch (``endpoint``, ``fetch``, ``actor``, ``registration``, ``activityId``).

    Not offered yet: the launch parameters arrive in the query string, which can only be
    trusted once the ``fetch`` URL has been redeemed with the LMS. This is the seam.
    """
    raise IdentificationError(
        "Le lancement depuis l'environnement numérique d'apprentissage n'est pas encore offert. "
        "Communiquez avec le centre de services de votre établissement."
    )


def identity_from_lti(environ: Mapping[str, str]) -> Identity:
    """``lti``: the employee number of the verified LTI launch, set by the server only.

    The server removes the header from every incoming request and sets it from the session
    the launch opened (:mod:`formation_tic.lti.handlers`); the page cannot choose it.
    """
    value = (environ.get(LTI_IDENTITY_ENV) or "").strip()
    if not value or not is_valid_employee_number(value):
        raise IdentificationError(
            "Nous n'avons pas pu vous identifier. Ouvrez la formation à partir de son activité "
            "dans l'ENA, puis réessayez."
        )
    return Identity(value, "lti")


def identify(settings: LearnerAppSettings, environ: Mapping[str, str]) -> Identity | None:
    """The identity given by the configured mode; None when the person must type it."""
    if settings.identification == "typed":
        return None
    if settings.identification == "sso-header":
        return identity_from_header(settings, environ)
    if settings.identification == "lti":
        return identity_from_lti(environ)
    return identity_from_lms_launch(environ)
