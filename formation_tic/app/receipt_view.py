"""The last page: the verification code, a download link and the receipt itself."""

from __future__ import annotations

import base64

import ipywidgets as w

from attest.directive import DirectiveInfo
from attest.form import FormContent
from attest.receipt import render_receipt, render_receipt_fragment
from attest.record import AttestationRecord

from .markup import esc
from .shell import Page


def download_link(record: AttestationRecord, form: FormContent, directive: DirectiveInfo) -> str:
    """A link that saves the full receipt page (a ``data:`` URL: nothing is fetched)."""
    page = render_receipt(record, form, directive)
    data = base64.b64encode(page.encode("utf-8")).decode("ascii")
    code = esc(record.verification_code)
    return (
        f'<p><a class="ftic-download" href="data:text/html;charset=utf-8;base64,{data}" '
        f'download="accuse-engagement-{code}.html">Télécharger l\'accusé de réception</a></p>'
    )


def receipt_page(
    record: AttestationRecord, form: FormContent, directive: DirectiveInfo, *, already: bool = False
) -> Page:
    """Thanks (or « déjà signé » on a later visit), the code, the download and the receipt."""
    body = render_receipt_fragment(record, form, directive, title_level=2)
    code = esc(record.verification_code)
    if already:
        intro = (
            "<h1>Votre engagement est déjà signé</h1>"
            f"<p>Vous avez déjà signé l'engagement pour la version {esc(record.directive_version)} "
            "de la directive : vous n'avez rien d'autre à faire. Voici votre accusé de réception.</p>"
        )
        note = "Votre engagement est déjà signé."
    else:
        intro = (
            "<h1>Merci! Votre engagement est signé.</h1>"
            "<p>Conservez votre accusé de réception. Le code de vérification permet à votre "
            "gestionnaire ou aux ressources humaines de confirmer votre engagement.</p>"
        )
        note = f"Engagement signé. Code de vérification : {record.verification_code}."
    receipt = w.HTML(
        f'{intro}<p class="ftic-code-line">Code de vérification : <strong class="ftic-code" '
        f'data-code="{code}">{code}</strong></p>{download_link(record, form, directive)}'
        f'<section class="ftic-receipt" aria-label="Accusé de réception">{body}</section>'
    )
    return Page(5, "accuse", [receipt], note=note)
