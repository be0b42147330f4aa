"""``formation-tic lti``: the tool's key, what to enter in Moodle, and the scores sent.

* ``lti keys init``: the tool's RSA key (mode 0600, under the data directory);
* ``lti config``: what the ENA administrator enters in Moodle, and where Moodle's answers go;
* ``lti scores``: the AGS score queue (pending, sent, refused with the platform's answer).
"""

from __future__ import annotations

from urllib.parse import urlsplit

import click

from attest import fr_ca

from ..lti.keys import create_tool_key, load_tool_key
from ..lti.store import LtiStore
from ..lti.tool import ToolUrls
from .common import cli_errors, settings_of

CUSTOM_PARAMETER = "employee_number=$Person.sourcedId"


@click.group("lti")
def lti_group() -> None:
    """Lancement depuis l'ENA (LTI 1.3) et notes transmises à son carnet de notes."""


@lti_group.group("keys")
def lti_keys() -> None:
    """Clé de l'outil LTI (signe les demandes de jeton du service de notes)."""


@lti_keys.command("init")
@click.option("--force", is_flag=True, help="Remplacer la clé existante (les plateformes relisent le JWKS).")
@click.pass_context
def lti_keys_init(ctx: click.Context, force: bool) -> None:
    """Créer la clé RSA de l'outil (mode 0600, dans le dossier de données)."""
    settings = settings_of(ctx)
    with cli_errors():
        key = create_tool_key(settings.paths.lti_tool_key, force=force)
    click.echo(f"Clé de l'outil LTI créée : {settings.paths.lti_tool_key} (mode 0600, ne jamais la partager)")
    click.echo(f"Identifiant de clé (kid) : {key.kid}")


def _rows(rows: list[tuple[str, str]]) -> None:
    width = max(len(label) for label, _ in rows)
    for label, value in rows:
        click.echo(f"  {label.ljust(width)}  {value}")


@lti_group.command("config")
@click.pass_context
def lti_config(ctx: click.Context) -> None:
    """Afficher ce que l'administrateur de l'ENA (Moodle) doit inscrire."""
    settings = settings_of(ctx)
    urls = ToolUrls(settings.lti.base_url(settings.app.host, settings.app.port))
    click.echo("Outil externe à créer dans Moodle (Administration du site > Plugins > Modules d'activité >")
    click.echo("Outil externe > Gérer les outils > Configurer un outil manuellement) :")
    click.echo("")
    _rows(
        [
            ("Nom de l'outil", "Formation sur l'utilisation sécuritaire du courriel"),
            ("URL de l'outil (Tool URL)", urls.launch),
            ("Version LTI", "LTI 1.3"),
            ("Type de clé publique", "URL du jeu de clés (Keyset URL)"),
            ("URL du jeu de clés publiques", urls.jwks),
            ("URL de connexion initiale", urls.login),
            ("URI de redirection", urls.launch),
            ("Paramètres personnalisés", CUSTOM_PARAMETER),
            ("Conteneur de lancement", "Intégré (iframe) ou Nouvelle fenêtre"),
        ]
    )
    click.echo("")
    click.echo("Services :")
    _rows(
        [
            (
                "IMS LTI Assignment and Grade Services",
                "Utiliser ce service pour la synchronisation des notes",
            ),
            ("IMS LTI Names and Role Provisioning", "Ne pas utiliser ce service"),
            ("Tool Settings", "Ne pas utiliser ce service"),
        ]
    )
    click.echo("")
    click.echo("Confidentialité (seul le numéro d'identification est nécessaire) :")
    _rows(
        [
            ("Partager le nom du participant avec l'outil", "Jamais"),
            ("Partager l'adresse de courriel du participant", "Jamais"),
            ("Accepter les notes de l'outil", "Toujours"),
        ]
    )
    click.echo("")
    click.echo("Le numéro d'employé (4 à 10 chiffres) doit être dans le champ « Numéro d'identification »")
    click.echo("(ID number) du profil de chaque personne : Moodle l'envoie dans la revendication LIS")
    click.echo("(person_sourcedid) et dans le paramètre personnalisé ci-dessus.")
    if urlsplit(urls.base).scheme != "https":
        click.echo("")
        click.echo(
            "Attention : adresse en http. Dans l'iframe de l'ENA, les navigateurs exigent HTTPS ;"
            " donnez l'adresse publique avec FORMATION_TIC_LTI_TOOL_URL (https://…)."
        )
    click.echo("")
    click.echo("Après l'enregistrement, Moodle affiche les « Détails de configuration » ; inscrivez-les")
    click.echo("dans la configuration de formation-tic (fichier TOML) :")
    click.echo("")
    click.echo("  [[lti.platforms]]")
    click.echo('  name = "ENA"')
    click.echo('  issuer = "…"            # Identifiant de la plateforme (Platform ID)')
    click.echo('  client_id = "…"         # Identifiant du client (Client ID)')
    click.echo('  deployment_ids = ["…"]  # Identifiant du déploiement (Deployment ID)')
    click.echo('  jwks_url = "…"          # URL du jeu de clés publiques (Public keyset URL)')
    click.echo('  auth_login_url = "…"    # URL de demande d\'authentification')
    click.echo('  token_url = "…"         # URL du jeton d\'accès (Access token URL)')
    click.echo("")
    with cli_errors():
        platforms = settings.lti.registrations()
    if platforms:
        from ..hr.wording import agree

        click.echo("Plateformes inscrites :")
        for p in platforms:
            deployments = ", ".join(p.deployment_ids)
            word = agree(len(p.deployment_ids), "déploiement")
            click.echo(f"  - {p.label} : client {p.client_id}, {word} {deployments}")
    else:
        click.echo("Aucune plateforme inscrite pour l'instant.")
    path = settings.paths.lti_tool_key
    if path.exists():
        with cli_errors():
            click.echo(f"Clé de l'outil : {path} (kid {load_tool_key(path).kid}).")
    else:
        click.echo(f"Clé de l'outil absente : créez-la avec « formation-tic lti keys init » ({path}).")
    if settings.app.identification != "lti":
        click.echo(
            "Mode d'identification actuel : "
            + settings.app.identification
            + " ; activez le lancement LTI avec FORMATION_TIC_APP_IDENTIFICATION=lti."
        )


@lti_group.command("scores")
@click.option("--all", "show_all", is_flag=True, help="Afficher aussi les notes déjà transmises.")
@click.pass_context
def lti_scores(ctx: click.Context, show_all: bool) -> None:
    """État des notes à transmettre au carnet de notes de l'ENA."""
    settings = settings_of(ctx)
    path = settings.paths.lti_store
    if not path.exists():
        click.echo("Aucune note : aucun lancement LTI n'a encore eu lieu.")
        return
    with cli_errors(), LtiStore(path) as store:
        counts = store.counts()
        scores = store.scores()
    from ..hr.wording import plural

    click.echo(
        f"Notes : {plural(counts['sent'], 'transmise')}, {fr_ca.integer(counts['pending'])} en attente,"
        f" {plural(counts['refused'], 'refusée')}."
    )
    labels = {"failed": "échec", "passed": "réussite", "signed": "engagement signé"}
    for score in scores:
        if score["status"] == "sent" and not show_all:
            continue
        detail = f" — {score['last_error']}" if score["last_error"] else ""
        click.echo(
            f"  n° {score['seq']} {labels.get(score['kind'], score['kind'])} : {score['status']},"
            f" {plural(score['attempts'], 'essai')}{detail}"
        )
