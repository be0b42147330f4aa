"""The last page: the verification code, a download link and the receipt itself.

On a later visit in ``typed`` identification, whoever types a number may not be its owner:
:class:`LockedReceiptView` then says only that this number has signed (date, version) and
shows the receipt to someone who gives its verification code.
"""

from __future__ import annotations

import base64
from collections.abc import Callable

import ipywidgets as w

from attest.directive import DirectiveInfo
from attest.form import FormContent
from attest.receipt import render_receipt, render_receipt_fragment, signed_on, version_words
from attest.record import AttestationRecord
from scenarios.submit import SubmitButton

from .markup import alert, esc
from .shell import Page

CODE_LABEL = "Code de vérification"
SHOW_RECEIPT_LABEL = "Afficher l'accusé de réception"
WRONG_CODE = (
    "Ce code de vérification ne correspond pas à l'engagement de ce numéro d'employé. "
    "Vérifiez-le sur votre accusé de réception (par exemple ABCDE-12345) et réessayez."
)


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
            f"<p>Vous avez déjà signé l'engagement pour la {esc(version_words(record.directive_version))} "
            "de la directive : vous n'avez rien d'autre à faire. Voici votre accusé de réception.</p>"
        )
        note = "Votre engagement est déjà signé."
    else:
        intro = (
            "<h1>Merci! Votre engagement est signé.</h1>"
            "<p>Conservez votre accusé de réception : téléchargez-le ou imprimez-le. Le code de "
            "vérification permet à votre "
            "gestionnaire ou aux ressources humaines de confirmer votre engagement.</p>"
        )
        note = f"Engagement signé. Code de vérification : {record.verification_code}."
    # Printed, the page is the receipt alone (formation.css hides the intro, header and link).
    receipt = w.HTML(
        f'<div class="ftic-receipt-intro">{intro}<p class="ftic-code-line">Code de vérification : '
        f'<strong class="ftic-code" data-code="{code}">{code}</strong></p>'
        f"{download_link(record, form, directive)}</div>"
        f'<section class="ftic-receipt" aria-label="Accusé de réception">{body}</section>'
    )
    return Page(5, "accuse", [receipt], note=note)


class LockedReceiptView:
    """« Ce numéro d'employé a déjà signé » (date, version), the receipt only with its code.

    Nothing of the record but the number (typed by this visitor), the day and the directive
    version is shown: no name, title, direction, code or download. ``on_code`` receives the
    code typed (« Afficher l'accusé de réception » or Enter), as shown in the field then.
    """

    def __init__(self, record: AttestationRecord, on_code: Callable[[str], None]) -> None:
        intro = w.HTML(
            "<h1>Ce numéro d'employé a déjà signé l'engagement</h1>"
            f'<p class="ftic-attested">Le numéro d\'employé <strong>{esc(record.employee_number)}</strong> '
            f"a signé l'engagement le {esc(signed_on(record))}, pour la "
            f"{esc(version_words(record.directive_version))} de la directive {esc(record.directive_number)}. "
            "Si c'est votre numéro, vous n'avez rien d'autre à faire.</p>"
            "<p>Pour revoir votre accusé de réception, inscrivez le code de vérification qui y "
            "figure.</p>"
        )
        self.code = w.Text(
            description=CODE_LABEL,
            placeholder="par exemple ABCDE-12345",
            style={"description_width": "initial"},
            layout=w.Layout(width="24rem"),
        )
        self.error = w.HTML()
        self.go = SubmitButton(SHOW_RECEIPT_LABEL, lambda: on_code(self.code.value))
        self.go.submit_on_enter(self.code)
        self.page = Page(
            5, "deja-signe", [intro, self.code, self.error, self.go], note="Ce numéro d'employé a déjà signé."
        )

    def show_error(self, message: str) -> None:
        """Announce why the code is refused, next to the field."""
        self.error.value = alert(message)
