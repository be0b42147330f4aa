"""Thin click commands: ``keys`` (``init``, ``show``) and ``attest`` (``verify``, ``show``,
``status``, ``revoke``) over the :mod:`attest` library.

Paths (key files, register, outbox) and the establishment profile come from the settings
root, the LRS from :meth:`~formation_tic.settings.Settings.effective_lrs`.
``--attestations`` names another register file (an auditor's copy) where that makes sense.
``attest verify --against-lrs`` adds the comparison with the LRS (:mod:`formation_tic.witness`);
``attest revoke`` also enqueues the ``voided`` statement of the revocation.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

import click
from cryptography.hazmat.primitives.asymmetric import rsa

from attest.delivery import enqueue_revocation
from attest.directive import load_directive
from attest.errors import AttestError
from attest.form import available_forms, load_form
from attest.identity import EMPLOYEE_NUMBER_HELP, is_valid_employee_number
from attest.keys import key_id, load_public_key, public_keys_by_id
from attest.receipt import render_receipt, signed_at_words
from attest.status import attestation_status
from attest.store import AttestationStore
from attest.verify import Anchor, verify_store
from lrs_export.client import LrsClient
from lrs_export.outbox import Outbox

from ..settings import Settings
from ..signing_keys import create_signing_keys, signing_key
from ..witness import WitnessReport, compare_with_lrs
from .common import CliError, cli_errors, settings_of

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
@click.option(
    "--against-lrs",
    is_flag=True,
    help="Comparer aussi le registre aux énoncés reçus par le LRS (registre tronqué, remplacé, re-signé).",
)
@click.pass_context
def verify_cmd(
    ctx: click.Context,
    attestations: Path | None,
    public_keys: tuple[Path, ...],
    anchors: tuple[str, ...],
    against_lrs: bool,
) -> None:
    """Vérifier chaque signature et le chaînage ; code de sortie 1 à la moindre anomalie."""
    from ..hr.wording import plural  # lazily: HR's wording only, not HR's register

    settings = settings_of(ctx)
    keys = verification_keys(settings, public_keys)
    try:
        parsed = [Anchor.parse(a) for a in anchors]
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--anchor") from exc
    store = attestations or settings.paths.attestations
    with cli_errors():
        report = verify_store(store, keys, parsed)
    witness = _compare_with_lrs(settings, store) if against_lrs else None
    if report.ok:
        click.echo(f"Registre intègre : {plural(report.count, 'enregistrement')}, aucune anomalie.")
        if report.head_seq is not None:
            click.echo(
                f"Tête de chaîne à noter : {report.head_seq}:{report.head_hash} "
                "(à redonner avec --anchor lors de la prochaine vérification)."
            )
    else:
        click.echo(
            f"ANOMALIES : {plural(len(report.findings), 'problème')} "
            f"sur {plural(report.count, 'enregistrement')}.",
            err=True,
        )
        for finding in report.findings:
            click.echo(f"- {finding}", err=True)
    if witness is not None:
        _show_witness(witness)
    if not report.ok or (witness is not None and not witness.ok):
        sys.exit(1)


def _compare_with_lrs(settings: Settings, store: Path) -> WitnessReport:
    """The register compared with the effective LRS (and the outbox, when there is one)."""
    lrs = settings.effective_lrs().settings
    if not lrs.configured:
        raise CliError(
            "aucun LRS à interroger pour --against-lrs : configurez FORMATION_TIC_LRS_ENDPOINT "
            "ou lancez « formation-tic serve » (LRS local de démonstration)."
        )
    click.echo(f"Comparaison avec le LRS {lrs.safe_endpoint}…", err=True)
    outbox_path = settings.paths.outbox
    with cli_errors(), LrsClient(lrs) as client:
        outbox = Outbox(outbox_path) if outbox_path.exists() else None
        try:
            return compare_with_lrs(
                store, client, homepage=lrs.homepage, platform=lrs.platform, outbox=outbox
            )
        finally:
            if outbox is not None:
                outbox.close()


def _show_witness(witness: WitnessReport) -> None:
    """The comparison with the LRS: anomalies on standard error, notes on standard output."""
    from ..hr.wording import agree, plural

    known = f"jusqu'au n° {witness.lrs_head}" if witness.lrs_head is not None else "sans aucune position"
    if witness.ok:
        matched = (
            f"{plural(witness.matched, 'enregistrement')} {agree(witness.matched, 'concorde', 'concordent')}"
        )
        click.echo(
            f"Témoin externe (LRS) : {matched} avec le LRS, qui connaît le registre {known} ; "
            "aucune anomalie."
        )
    else:
        click.echo(
            f"ANOMALIES (comparaison avec le LRS) : {plural(len(witness.anomalies), 'problème')} ; "
            f"le LRS connaît le registre {known}, le registre s'arrête au n° {witness.register_head}.",
            err=True,
        )
        for finding in witness.anomalies:
            click.echo(f"- {finding}", err=True)
        click.echo(
            "(Si plusieurs installations de formation-tic écrivent dans ce LRS avec la même adresse "
            "d'ENA, chacune doit avoir son propre FORMATION_TIC_LRS_PLATFORM.)",
            err=True,
        )
    for note in witness.notes:
        click.echo(f"Note : {note}")


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
    click.echo(f"Signé le : {signed_at_words(record)} – horodatage UTC : {record.signed_at}")
    click.echo(f"Directive : {record.directive_number} (version {record.directive_version})")
    click.echo(f"Formulaire : {record.form_id} version {record.form_version}")
    if revocation is not None:
        click.echo(f"RÉVOQUÉE le {signed_at_words(revocation)} : {revocation.reason}")
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
        from ..hr.wording import plural

        click.echo(
            f"Attention : {plural(len(report.findings), 'anomalie')} ailleurs dans le registre "
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
    certificate = settings.paths.certificate
    try:
        with cli_errors(), Outbox(settings.paths.outbox) as outbox:
            enqueue_revocation(
                rec,
                outbox,
                settings.effective_lrs().settings,
                key,
                certificate.read_bytes() if certificate.exists() else None,
            )
    except CliError as exc:
        raise CliError(
            f"la révocation n° {rec.seq} est enregistrée, mais son annulation xAPI n'a pas pu être mise "
            f"dans la boîte d'envoi : {exc.format_message()}"
        ) from None
    click.echo(
        f"Annulation xAPI (voided) de l'énoncé {record_id} mise dans la boîte d'envoi "
        "(« formation-tic lrs flush » l'envoie au LRS)."
    )
