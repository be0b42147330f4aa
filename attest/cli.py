"""Thin click commands: ``keys`` (``init``, ``show``) and ``attest`` (``verify``, ``show``,
``status``, ``revoke``). The root ``formation-tic`` group mounts both groups.

Settings come from :class:`attest.settings.AttestSettings` (environment variables
``FORMATION_TIC_ATTEST_*``); options given on the command line win.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

import click
from cryptography.hazmat.primitives.asymmetric import rsa
from pydantic import ValidationError

from .directive import load_directive
from .errors import AttestError, NotFound
from .form import available_forms, load_form
from .identity import EMPLOYEE_NUMBER_HELP, is_valid_employee_number
from .keys import init_keys, key_id, load_private_key, load_public_key, public_keys_by_id
from .receipt import render_receipt
from .settings import AttestSettings
from .status import attestation_status
from .store import AttestationStore
from .verify import Anchor, verify_store


def _settings() -> AttestSettings:
    try:
        return AttestSettings()
    except ValidationError as exc:
        raise click.ClickException(f"Configuration invalide (FORMATION_TIC_ATTEST_*) : {exc}") from exc


def _public_keys(settings: AttestSettings, paths: Sequence[Path]) -> dict[str, rsa.RSAPublicKey]:
    if not paths:
        default = settings.certificate_path
        paths = [default if default.exists() else settings.public_key_path]
    try:
        return public_keys_by_id(load_public_key(p) for p in paths)
    except AttestError as exc:
        raise click.ClickException(str(exc)) from exc


def _private_key(settings: AttestSettings) -> rsa.RSAPrivateKey:
    secret = settings.private_key_passphrase
    try:
        return load_private_key(
            settings.private_key_path, secret.get_secret_value().encode() if secret else None
        )
    except AttestError as exc:
        raise click.ClickException(str(exc)) from exc


def _open_store(db: Path | None, settings: AttestSettings, create: bool = False) -> AttestationStore:
    try:
        return AttestationStore(db or settings.db_path, create=create, busy_timeout=settings.busy_timeout)
    except AttestError as exc:
        raise click.ClickException(str(exc)) from exc


db_option = click.option(
    "--db",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Registre des attestations (défaut : FORMATION_TIC_ATTEST_DB_PATH).",
)
public_key_option = click.option(
    "--public-key",
    "public_keys",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    multiple=True,
    help="Certificat ou clé publique (PEM) ; répétable après un changement de clé.",
)


@click.group("keys")
def keys_group() -> None:
    """Clé de signature de l'établissement."""


@keys_group.command("init")
@click.option(
    "--force", is_flag=True, help="Remplacer une clé existante (conservez l'ancienne clé publique)."
)
def keys_init(force: bool) -> None:
    """Créer la clé de signature (RSA, mode 0600) et exporter certificat et clé publique."""
    settings = _settings()
    try:
        directive = load_directive(settings.profile_path)
        secret = settings.private_key_passphrase
        files = init_keys(
            settings.private_key_path,
            settings.certificate_path,
            settings.public_key_path,
            establishment=directive.etablissement,
            key_size=settings.key_size,
            days=settings.certificate_days,
            passphrase=secret.get_secret_value().encode() if secret else None,
            force=force,
        )
    except AttestError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Clé de signature créée : {files.private_key} (mode 0600, ne jamais la partager)")
    click.echo(f"Certificat pour les vérificateurs : {files.certificate}")
    click.echo(f"Clé publique pour les vérificateurs : {files.public_key}")
    click.echo(f"Identifiant de clé (kid) : {files.kid}")


@keys_group.command("show")
def keys_show() -> None:
    """Afficher l'identifiant de la clé publique configurée."""
    settings = _settings()
    keys = _public_keys(settings, [])
    for kid in keys:
        click.echo(f"Identifiant de clé (kid) : {kid}")


@click.group("attest")
def attest_group() -> None:
    """Attestations d'engagement : vérification, reçus, état, révocation."""


@attest_group.command("verify")
@db_option
@public_key_option
@click.option(
    "--anchor",
    "anchors",
    multiple=True,
    metavar="N:EMPREINTE",
    help="Tête notée lors d'une vérification antérieure (détecte une troncature).",
)
def verify_cmd(db: Path | None, public_keys: tuple[Path, ...], anchors: tuple[str, ...]) -> None:
    """Vérifier chaque signature et le chaînage ; code de sortie 1 à la moindre anomalie."""
    settings = _settings()
    keys = _public_keys(settings, public_keys)
    try:
        parsed = [Anchor.parse(a) for a in anchors]
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--anchor") from exc
    path = db or settings.db_path
    try:
        report = verify_store(path, keys, parsed)
    except AttestError as exc:
        raise click.ClickException(str(exc)) from exc
    if report.ok:
        click.echo(f"Registre intègre : {report.count} enregistrement(s), aucune anomalie.")
        if report.head_seq is not None:
            click.echo(
                f"Tête de chaîne à noter : {report.head_seq}:{report.head_hash} "
                "(à redonner avec --anchor lors de la prochaine vérification)."
            )
        return
    click.echo(
        f"ANOMALIES : {len(report.findings)} problème(s) sur {report.count} enregistrement(s).",
        err=True,
    )
    for finding in report.findings:
        click.echo(f"- {finding}", err=True)
    sys.exit(1)


@attest_group.command("show")
@click.argument("code")
@db_option
@public_key_option
@click.option(
    "--receipt",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Écrire aussi l'accusé de réception HTML dans ce fichier.",
)
def show_cmd(code: str, db: Path | None, public_keys: tuple[Path, ...], receipt: Path | None) -> None:
    """Retrouver une attestation par son code de vérification et la vérifier."""
    settings = _settings()
    keys = _public_keys(settings, public_keys)
    store = _open_store(db, settings)
    try:
        record = store.find_by_code(code)
        revocation = next(
            (r for r in store.records() if r.kind == "revocation" and r.revokes == record.id), None
        )
    except NotFound as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        store.close()
    report = verify_store(store.path, keys)
    own = [f for f in report.findings if f.record_id == record.id or f.seq == record.seq]
    click.echo(f"Code : {record.verification_code}")
    kind = "Révocation" if record.kind == "revocation" else "Engagement"
    click.echo(f"{kind} n° {record.seq} – employé {record.employee_number} – {record.full_name}")
    click.echo(f"Signé le : {record.signed_at}")
    click.echo(f"Directive : {record.directive_number} (version {record.directive_version})")
    click.echo(f"Formulaire : {record.form_id} version {record.form_version}")
    if revocation is not None:
        click.echo(f"RÉVOQUÉE le {revocation.signed_at} : {revocation.reason}")
    if receipt is not None:
        try:
            form = load_form(record.form_version)
        except AttestError:
            form = None
        html = render_receipt(
            record,
            form,
            load_directive(settings.profile_path),
            revoked_reason=revocation.reason if revocation else None,
        )
        receipt.write_text(html, encoding="utf-8")
        click.echo(f"Accusé de réception écrit : {receipt}")
    if own:
        click.echo("VÉRIFICATION ÉCHOUÉE pour cette attestation :", err=True)
        for finding in own:
            click.echo(f"- {finding}", err=True)
        sys.exit(1)
    click.echo("Signature valide et chaînage intact pour cet enregistrement.")
    if not report.ok:
        click.echo(
            f"Attention : {len(report.findings)} anomalie(s) ailleurs dans le registre "
            "(voir « formation-tic attest verify »).",
            err=True,
        )
        sys.exit(1)


@attest_group.command("status")
@click.argument("employee")
@db_option
def status_cmd(employee: str, db: Path | None) -> None:
    """État de l'engagement d'une personne (par numéro d'employé)."""
    if not is_valid_employee_number(employee):
        raise click.BadParameter(EMPLOYEE_NUMBER_HELP, param_hint="EMPLOYEE")
    settings = _settings()
    store = _open_store(db, settings)
    try:
        status = attestation_status(store, employee, load_directive(settings.profile_path), available_forms())
    except AttestError as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        store.close()
    click.echo(f"Employé {status.employee_number} : {status.label}")
    for reason in status.reasons:
        click.echo(f"- {reason}")


@attest_group.command("revoke")
@click.argument("record_id")
@click.option("--reason", required=True, help="Raison de la révocation (obligatoire).")
@db_option
def revoke_cmd(record_id: str, reason: str, db: Path | None) -> None:
    """Révoquer une attestation par un nouvel enregistrement signé (rien n'est modifié)."""
    settings = _settings()
    key = _private_key(settings)
    store = _open_store(db, settings)
    try:
        rec = store.revoke(record_id, reason, key, kid=key_id(key.public_key()))
    except AttestError as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        store.close()
    click.echo(f"Révocation enregistrée : n° {rec.seq} (révoque {record_id}).")
