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
    # Reserved by xAPI 1.0.3 (Data 2.3.2): the object is a StatementRef to the voided statement.
    "voided": (ADL + "voided", "a annulé"),
    # Minted here (no registry verb says it): actor = the learner, object = the module, the
    # manager or HR who granted it in context.instructor.
    "granted-attempt": (BASE + "verbes/essai-accorde", "s'est vu accorder un essai supplémentaire"),
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
EXT_REGISTER_SEQ: Final = BASE + "extensions/registre-position"
"""``context.extensions`` of ``accept`` and ``voided``: the record's position (``seq``, an
integer) in the establishment's attestation register."""
EXT_REGISTER_WITNESS: Final = BASE + "extensions/registre-empreinte"
"""``context.extensions`` of ``accept`` and ``voided``: SHA-256 (64 hex) of the record's
compact JWS as the register stores it (column ``jws``). Not the ``record_hash``: that one
is a digest of the signed fields, names included, that anyone could test guesses against;
the JWS's signature can only be computed with the establishment's private key."""

EXT_GRANT_ID: Final = BASE + "extensions/octroi-essai"
"""``context.extensions`` of ``granted-attempt``: the grant's id (UUID) in the local ledger."""
EXT_ATTEMPTS_ALLOWED: Final = BASE + "extensions/essais-permis"
"""``context.extensions`` of ``granted-attempt``: attempts allowed to the learner once granted."""

EXTENSIONS: Final[dict[str, str]] = {
    "version-directive": EXT_DIRECTIVE_VERSION,
    "version-formulaire": EXT_FORM_VERSION,
    "theme": EXT_THEME,
    "parcours": EXT_PATH,
    "etape": EXT_STEP,
    "jws": EXT_JWS,
    "code-verification": EXT_VERIFICATION_CODE,
    "registre-position": EXT_REGISTER_SEQ,
    "registre-empreinte": EXT_REGISTER_WITNESS,
    "octroi-essai": EXT_GRANT_ID,
    "essais-permis": EXT_ATTEMPTS_ALLOWED,
}

SIGNATURE_USAGE_TYPE: Final = "http://adlnet.gov/expapi/attachments/signature"

# --- Signed statements: the two forms ----------------------------------------------------
# The establishment signs the xAPI STATEMENT itself (xAPI 1.0.3, Data 2.6): the JWS (RS256,
# compact) has as payload the statement as it is before any signature is added (with its
# ``version``, without ``attachments`` entries of usageType SIGNATURE_USAGE_TYPE, without
# the EXT_JWS extension). Never the register's record: its payload holds names.
#
# * signed-multipart form: the statement + an ``attachments`` entry (usageType
#   SIGNATURE_USAGE_TYPE, contentType application/octet-stream) whose content is the JWS,
#   sent as multipart/mixed;
# * jws-extension form: the same statement, no signature attachment entry, and the very
#   same JWS string in ``result.extensions[EXT_JWS]``. Converting one form to the other is
#   moving that string: ``lrs_export.capabilities.to_jws_extension`` (the sender's fallback
#   for LRSs refusing multipart) and ``attest.delivery`` in ``jws-extension`` mode produce
#   the same JSON for the same record.
