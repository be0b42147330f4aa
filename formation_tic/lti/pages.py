"""The French pages of a refused LTI launch (no script, no external resource, values escaped)."""

from __future__ import annotations

import html
from dataclasses import dataclass

PAGE = (
    '<!DOCTYPE html>\n<html lang="fr"><head><meta charset="utf-8">'
    '<meta name="viewport" content="width=device-width, initial-scale=1">'
    "<title>{title}</title><style>body{{font-family:system-ui,sans-serif;max-width:42rem;"
    "margin:2rem auto;padding:0 1rem;line-height:1.5}}h1{{font-size:1.5rem}}"
    ".ftic-ref{{color:#555}}</style></head>"
    '<body><main role="alert"><h1>{title}</h1>{body}</main></body></html>\n'
)


@dataclass(frozen=True)
class Refusal:
    """Why a launch is refused: HTTP status, a title and paragraphs for the learner."""

    status: int
    title: str
    paragraphs: tuple[str, ...]
    admin_steps: tuple[str, ...] = ()
    """What the ENA administrator must configure (shown as a list), if anything."""

    def render(self, reference: str) -> str:
        body = "".join(f"<p>{html.escape(p)}</p>" for p in self.paragraphs)
        if self.admin_steps:
            body += "<p>Transmettez ce message à l'administrateur de l'ENA. À configurer dans Moodle :</p>"
            body += "<ol>"
            body += "".join(f"<li>{html.escape(step)}</li>" for step in self.admin_steps)
            body += "</ol>"
        body += (
            f'<p class="ftic-ref">Si le problème persiste, communiquez avec le soutien en donnant '
            f"la référence <strong>{html.escape(reference)}</strong>.</p>"
        )
        return PAGE.format(title=html.escape(self.title), body=body)


RETRY = "Revenez à la page du cours dans l'ENA et ouvrez de nouveau l'activité « Formation »."

NOT_VERIFIED = Refusal(
    403,
    "Lancement refusé",
    ("L'ouverture de la formation depuis l'ENA n'a pas pu être vérifiée.", RETRY),
)
NO_LOGIN = Refusal(
    403,
    "Lancement refusé",
    (
        "Ce lancement n'a pas été précédé de la connexion de l'ENA dans ce navigateur "
        "(état de connexion absent ou différent). Il se peut aussi que votre navigateur bloque "
        "les témoins (cookies) de la formation.",
        RETRY,
    ),
)
REPLAYED = Refusal(
    403,
    "Lancement déjà utilisé",
    ("Ce lancement a déjà servi ou il a expiré : chaque ouverture depuis l'ENA ne sert qu'une fois.", RETRY),
)
EXPIRED = Refusal(
    403,
    "Lancement expiré",
    (
        "Le jeton de lancement transmis par l'ENA est expiré (ou l'horloge d'un des serveurs est déréglée).",
        RETRY,
    ),
)
BAD_SIGNATURE = Refusal(
    403,
    "Lancement refusé",
    ("La signature du lancement ne correspond à aucune clé publique de l'ENA inscrite.", RETRY),
)
WRONG_AUDIENCE = Refusal(
    403,
    "Lancement refusé",
    ("Ce lancement n'est pas destiné à cet outil (identifiant client différent).", RETRY),
)
UNKNOWN_PLATFORM = Refusal(
    403,
    "Plateforme non inscrite",
    ("Cette plateforme ou ce déploiement n'est pas inscrit auprès de la formation.",),
    (
        "Inscrivez la plateforme auprès de la formation : émetteur (Platform ID), identifiant "
        "client (Client ID) et identifiant de déploiement (Deployment ID) tels qu'affichés dans "
        "Moodle (voir « formation-tic lti config » et le Guide d'intégration ENA).",
    ),
)
BAD_MESSAGE = Refusal(
    400,
    "Lancement non pris en charge",
    ("La formation s'ouvre seulement par un lien de ressource LTI 1.3 (LtiResourceLinkRequest).", RETRY),
)
PLATFORM_UNREACHABLE = Refusal(
    503,
    "ENA momentanément injoignable",
    ("Les clés publiques de l'ENA n'ont pas pu être lues pour vérifier le lancement.", RETRY),
)
NO_EMPLOYEE_NUMBER = Refusal(
    403,
    "Numéro d'employé non transmis",
    (
        "L'ENA n'a pas transmis de numéro d'employé valide (4 à 10 chiffres) : la formation ne "
        "peut pas vous identifier. Aucune donnée n'a été enregistrée.",
    ),
    (
        "Dans le profil de chaque personne, le champ « Numéro d'identification » (ID number) doit "
        "contenir son numéro d'employé (4 à 10 chiffres, par exemple 004512).",
        "Dans l'outil externe « Formation », section « Paramètres personnalisés », ajoutez la ligne "
        "employee_number=$Person.sourcedId.",
        "Le nom et l'adresse courriel n'ont pas à être partagés : laissez « Partager le nom du "
        "participant » et « Partager l'adresse courriel » à « Jamais ».",
    ),
)
NEEDS_LAUNCH = Refusal(
    403,
    "Ouvrez la formation depuis l'ENA",
    (
        "La formation s'ouvre à partir de son activité dans l'ENA, qui vous identifie. "
        "Votre session est absente ou expirée.",
        RETRY,
    ),
)
GET_LAUNCH = Refusal(
    405,
    "Action non permise",
    ("Cette adresse reçoit seulement les lancements envoyés par l'ENA.", RETRY),
)


def refusal_for(error: BaseException) -> tuple[Refusal, str]:
    """The French refusal for a PyLTI1p3 (or configuration) error, and a short log category."""
    text = str(error)
    rules: tuple[tuple[tuple[str, ...], Refusal, str], ...] = (
        (("Missing state", "State not found", "Missing %s cookie"), NO_LOGIN, "state"),
        (("Invalid Nonce", '"nonce" is empty'), REPLAYED, "nonce"),
        (("ExpiredSignatureError", "ImmatureSignatureError"), EXPIRED, "expired"),
        (
            ("InvalidAudienceError", "Client id not registered", "Invalid azp", "[client_id="),
            WRONG_AUDIENCE,
            "audience",
        ),
        (("InvalidIssuerError",), UNKNOWN_PLATFORM, "issuer"),
        (
            ("Unable to find public key", "JWT KID", "InvalidSignatureError", "Unsupported JWT"),
            BAD_SIGNATURE,
            "key",
        ),
        (("keyset unavailable", "not a JWKS"), PLATFORM_UNREACHABLE, "jwks"),
        (
            ("deployment", "Registration not found", "not found in settings", "registration details"),
            UNKNOWN_PLATFORM,
            "registration",
        ),
        (
            ("message type", "version", "Resource Link", "Must have a user", "Roles Claim", "Validator"),
            BAD_MESSAGE,
            "message",
        ),
    )
    for needles, refusal, category in rules:
        if any(n in text for n in needles):
            return refusal, category
    return NOT_VERIFIED, "other"
