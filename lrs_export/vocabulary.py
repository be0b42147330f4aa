"""The xAPI vocabulary (profile) of formation-tic: IRIs of activities, verbs, extensions.

The same vocabulary is described in plain words in ``book/reference/xapi-profil.md`` and
as data in ``book/reference/xapi-profil.json``; a test checks the three agree.
Activity IRIs are identifiers: they need not resolve, but they must never change once
statements using them have been sent.
"""

from __future__ import annotations

from typing import Final

PROFILE_VERSION: Final = "1.0.0"
XAPI_VERSION: Final = "1.0.3"
LANGUAGE: Final = "fr-CA"

BASE: Final = "https://xapi.formation-tic.santeqc.example/"
"""Root of every IRI this module mints (activities, activity types, extensions)."""

PROFILE: Final = BASE + "profil/" + PROFILE_VERSION
"""The profile itself, put in ``context.contextActivities.category`` of every statement."""

# --- Verbs -----------------------------------------------------------------------------
ADL: Final = "http://adlnet.gov/expapi/verbs/"
VERBS: Final[dict[str, tuple[str, str]]] = {
    # key: (IRI, French display)
    "initialized": (ADL + "initialized", "a commencé"),
    "experienced": (ADL + "experienced", "a consulté"),
    "answered": (ADL + "answered", "a répondu"),
    "passed": (ADL + "passed", "a réussi"),
    "failed": (ADL + "failed", "a échoué"),
    "completed": (ADL + "completed", "a terminé"),
    "terminated": (ADL + "terminated", "a quitté"),
    "accepted": ("http://activitystrea.ms/schema/1.0/accept", "a accepté"),
}

# --- Activity types ----------------------------------------------------------------------
TYPE_COURSE: Final = "http://adlnet.gov/expapi/activities/course"
TYPE_MODULE: Final = "http://adlnet.gov/expapi/activities/module"
TYPE_INTERACTION: Final = "http://adlnet.gov/expapi/activities/cmi.interaction"
TYPE_DIRECTIVE: Final = BASE + "types-activite/directive"
TYPE_FORM: Final = BASE + "types-activite/formulaire-engagement"
TYPE_THEME: Final = BASE + "types-activite/theme"
TYPE_PAGE: Final = "http://activitystrea.ms/schema/1.0/page"
TYPE_PROFILE: Final = "http://adlnet.gov/expapi/activities/profile"

# --- Activities --------------------------------------------------------------------------
MODULE: Final = BASE + "activites/module"
DIRECTIVE_CODE: Final = "DIR-2022-DQEPE-054"


def scenario_iri(scenario_id: str) -> str:
    """IRI of a scenario (a ``cmi.interaction``)."""
    return f"{BASE}activites/scenario/{scenario_id}"


def step_iri(scenario_id: str, step_id: str) -> str:
    """IRI of one decision step of a branching scenario (a ``cmi.interaction``)."""
    return f"{BASE}activites/scenario/{scenario_id}/etape/{step_id}"


def theme_iri(theme: str) -> str:
    """IRI of a theme (grouping of scenarios)."""
    return f"{BASE}activites/theme/{theme}"


def page_iri(page_id: str) -> str:
    """IRI of a content page of the module (for ``experienced``)."""
    return f"{BASE}activites/page/{page_id}"


def directive_iri(directive_version: str) -> str:
    """IRI of one version of directive DIR 2022 DQEPE 054."""
    return f"{BASE}activites/directive/{DIRECTIVE_CODE}/{directive_version}"


def form_iri(form_version: str) -> str:
    """IRI of one version of the engagement form (object of ``accept``)."""
    return f"{BASE}activites/formulaire-engagement/{form_version}"


# --- Extensions --------------------------------------------------------------------------
EXT_DIRECTIVE_VERSION: Final = BASE + "extensions/version-directive"
EXT_FORM_VERSION: Final = BASE + "extensions/version-formulaire"
EXT_THEME: Final = BASE + "extensions/theme"
EXT_PATH: Final = BASE + "extensions/parcours"
EXT_STEP: Final = BASE + "extensions/etape"
EXT_JWS: Final = BASE + "extensions/jws"
EXT_VERIFICATION_CODE: Final = BASE + "extensions/code-verification"
EXT_SESSION_TIME: Final = BASE + "extensions/duree-session"

EXTENSIONS: Final[dict[str, str]] = {
    "version-directive": EXT_DIRECTIVE_VERSION,
    "version-formulaire": EXT_FORM_VERSION,
    "theme": EXT_THEME,
    "parcours": EXT_PATH,
    "etape": EXT_STEP,
    "jws": EXT_JWS,
    "code-verification": EXT_VERIFICATION_CODE,
}

SIGNATURE_USAGE_TYPE: Final = "http://adlnet.gov/expapi/attachments/signature"
