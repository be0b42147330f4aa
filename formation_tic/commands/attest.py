"""Thin click commands: ``keys`` (``init``, ``show``) and ``attest`` (``verify``, ``show``,
``status``, ``revoke``) over the :mod:`attest` library.

Paths (key files, register) and the establishment profile come from the settings root.
``--attestations`` names another register file (an auditor's copy) where that makes sense.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

import click
from cryptography.hazmat.primitives.asymmetric import rsa

from attest.directive import load_directive
from attest.errors import AttestError
from attest.form import available_forms, load_form
from attest.identity import EMPLOYEE_NUMBER_HELP, is_valid_employee_number
from attest.keys import key_id, load_public_key, public_keys_by_id
from attest.receipt import render_receipt
from attest.status import attestation_status
from attest.store import AttestationStore
from attest.verify import Anchor, verify_store

from ..settings import Settings
from ..signing_keys import create_signing_keys, signing_key
from .common import cli_errors, settings_of

attestations_option = click.option(
    "--attestations",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    default=None,
    help="Registre des attestations à lire (défaut : celui du dossier de données).",
)
public_key_option = click.option(
    "--public-key",
    "public_keys",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    multiple=True,
    help="Certificat ou clé publique (PEM) ; répétable après un changement de clé.",
)


def verification_keys(settings: Settings, paths: Sequence[Path] = ()) -> dict[str, rsa.RSAPublicKey]:
    """The public keys that verify the register: those given, else the establishment's own."""
    paths = list(paths) or settings.verification_key_paths()
    with cli_errors():
        return public_keys_by_id(load_public_key(p) for p in paths)


def _private_key(settings: Settings) -> rsa.RSAPrivateKey:
    with cli_errors():
        return signing_key(settings)


def _open_store(settings: Settings, path: Path | None = None) -> AttestationStore:
    with cli_errors():
        return AttestationStore(
            path or settings.paths.attestations, create=False, busy_timeout=settings.attest.busy_timeout
        )


@click.group("keys")
def keys_group() -> None:
    """Clé de signature de l'établissement."""


@keys_group.command("init")
@click.option(
    "--force", is_flag=True, help="Remplacer une clé existante (conservez l'ancienne clé publique)."
)
@click.pass_context
def keys_init(ctx: click.Context, force: bool) -> None:
    """Créer la clé de signature (RSA, mode 0600) et exporter certificat et clé publique."""
    with cli_errors():
        files = create_signing_keys(settings_of(ctx), force=force)
    click.echo(f"Clé de signature créée : {files.private_key} (mode 0600, ne jamais la partager)")
    click.echo(f"Certificat pour les vérificateurs : {files.certificate}")
    click.echo(f"Clé publique pour les vérificateurs : {files.public_key}")
    click.echo(f"Identifiant de clé (kid) : {files.kid}")


@keys_group.command("show")
@click.pass_context
def keys_show(ctx: click.Context) -> None:
    """Afficher l'identifiant de la clé publique configurée."""
    for kid in verification_keys(settings_of(ctx)):
        click.echo(f"Identifiant de clé (kid) : {kid}")


@click.group("attest")
def attest_group() -> None:
    """Attestations d'engagement : vérification, reçus, état, révocation."""


@attest_group.command("verify")
@attestations_option
@public_key_option
@click.option(
    "--anchor",
    "anchors",
    multiple=True,
    metavar="N:EMPREINTE",
    help="Tête notée lors d'une vérification antérieure (détecte une troncature).",
)
@click.pass_context
def verify_cmd(
    ctx: click.Context, attestations: Path | None, public_keys: tuple[Path, ...], anchors: tuple[str, ...]
) -> None:
    """Vérifier chaque signature et le chaînage ; code de sortie 1 à la moindre anomalie."""
    settings = settings_of(ctx)
    keys = verification_keys(settings, public_keys)
    try:
        parsed = [Anchor.parse(a) for a in anchors]
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--anchor") from exc
    with cli_errors():
        report = verify_store(attestations or settings.paths.attestations, keys, parsed)
    if report.ok:
        click.echo(f"Registre intègre : {report.count} enregistrement(s), aucune anomalie.")
        if report.head_seq is not None:
            click.echo(
                f"Tête de chaîne à noter : {report.head_seq}:{report.head_hash} "
                "(à redonner avec --anchor lors de la prochaine vérification)."
            )
        return
    click.echo(
        f"ANOMALIES : {len(report.findings)} problème(s) sur {report.count} enregistrement(s).", err=True
    )
    for finding in report.findings:
        click.echo(f"- {finding}", err=True)
    sys.exit(1)


@attest_group.command("show")
@click.argument("code")
@attestations_option
@public_key_option
@click.option(
    "--receipt",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Écrire aussi l'accusé de réception HTML dans ce fichier (seulement s'il se vérifie).",
)
@click.pass_context
def show_cmd(
    ctx: click.Context,
    code: str,
    attestations: Path | None,
    public_keys: tuple[Path, ...],
    receipt: Path | None,
) -> None:
    """Retrouver une attestation par son code de vérification et la vérifier."""
    settings = settings_of(ctx)
    keys = verification_keys(settings, public_keys)
    store = _open_store(settings, attestations)
    try:
        with cli_errors():
            record = store.find_by_code(code)
            revocation = next(
                (r for r in store.records() if r.kind == "revocation" and r.revokes == record.id), None
            )
    finally:
        store.close()
    with cli_errors():
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
    if own:
        click.echo("VÉRIFICATION ÉCHOUÉE pour cette attestation :", err=True)
        for finding in own:
            click.echo(f"- {finding}", err=True)
        if receipt is not None:
            click.echo("Aucun accusé de réception n'est produit pour un enregistrement invalide.", err=True)
        sys.exit(1)
    if receipt is not None:
        with cli_errors():
            try:
                form = load_form(record.form_version)
            except AttestError:  # an older form file no longer shipped: the receipt says less
                form = None
            html = render_receipt(
                record,
                form,
                load_directive(settings.profile),
                revoked_reason=revocation.reason if revocation else None,
            )
            receipt.write_text(html, encoding="utf-8")
        click.echo(f"Accusé de réception écrit : {receipt}")
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
@click.pass_context
def status_cmd(ctx: click.Context, employee: str) -> None:
    """État de l'engagement d'une personne (par numéro d'employé)."""
    if not is_valid_employee_number(employee):
        raise click.BadParameter(EMPLOYEE_NUMBER_HELP, param_hint="EMPLOYEE")
    settings = settings_of(ctx)
    if not settings.paths.attestations.exists():
        click.echo(f"Employé {employee.strip()} : Aucune attestation (registre encore vide).")
        return
    store = _open_store(settings)
    try:
        with cli_errors():
            status = attestation_status(store, employee, load_directive(settings.profile), available_forms())
    finally:
        store.close()
    click.echo(f"Employé {status.employee_number} : {status.label}")
    for reason in status.reasons:
        click.echo(f"- {reason}")


@attest_group.command("revoke")
@click.argument("record_id")
@click.option("--reason", required=True, help="Raison de la révocation (obligatoire).")
@click.pass_context
def revoke_cmd(ctx: click.Context, record_id: str, reason: str) -> None:
    """Révoquer une attestation par un nouvel enregistrement signé (rien n'est modifié)."""
    settings = settings_of(ctx)
    key = _private_key(settings)
    store = _open_store(settings)
    try:
        with cli_errors():
            rec = store.revoke(record_id, reason, key, kid=key_id(key.public_key()))
    finally:
        store.close()
    click.echo(f"Révocation enregistrée : n° {rec.seq} (révoque {record_id}).")
