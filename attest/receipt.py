"""The employee's receipt: one self-contained, accessible, printable HTML page.

:func:`render_receipt_fragment` renders the receipt's content (shown inside the learner app);
:func:`render_receipt` wraps that same fragment into the full page (download, CLI).

The receipt is written for the person first. On top, in plain French: the name, the employee
number, when it was signed (« 5 mai 2023 à 10 h 03 », Québec time, :mod:`attest.fr_ca`), the
directive and form versions, the verification code and what the person declared. The
verification material (record id, position in the register, quiz registration, SHA-256
fingerprints, the verification command) is kept, unchanged, in a collapsed
« Pour la vérification » section (``<details>``) at the end.

The full page requests nothing (inline CSS, no script, no image, no font, no link): it opens
offline and can be kept or mailed as one file. Printed, it fits on one or two Letter pages:
the verification section is printed **expanded** (``::details-content``), because a paper
copy is often the only one a person keeps or hands to HR, and the fingerprints are what lets
an auditor tie that paper to the register without the file. Every value coming from a person
or the store is HTML-escaped.
"""

from __future__ import annotations

import datetime as dt
from html import escape

from . import fr_ca
from .directive import DirectiveInfo
from .form import FormContent
from .identity import IDENTIFICATION_LABELS
from .record import AttestationRecord

RECEIPT_TITLE = "Accusé de réception de votre engagement"
VERIFICATION_SUMMARY = "Pour la vérification"
"""The label of the collapsed section that holds the verification material."""

_CSS = """
:root{color-scheme:light}
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;color:#1a1a1a;
background:#fff;max-width:46rem;margin:1.5rem auto;padding:0 1rem;line-height:1.5;font-size:1rem;
overflow-wrap:break-word}
h1{font-size:1.5rem;line-height:1.25;margin:0 0 .2rem}
h2{font-size:1.2rem;margin:1.4rem 0 .4rem}
.sous-titre{color:#444;margin-top:0}
.revoque{border:2px solid #a4161a;color:#a4161a;padding:.5rem .7rem;font-weight:600}
.code-ligne{margin:.8rem 0}
.code{font-family:ui-monospace,Consolas,monospace;font-size:1.6rem;letter-spacing:.12em;
border:2px solid #1a1a1a;display:inline-block;padding:.2rem .7rem;margin-top:.2rem}
.faits{margin:.4rem 0}
.faits div{display:grid;grid-template-columns:minmax(8rem,36%) 1fr;gap:.2rem 1rem;
padding:.35rem 0;border-bottom:1px solid #bbb}
.faits dt{font-weight:600}
.faits dd{margin:0;min-width:0}
ol{padding-left:1.6rem}
ol li{margin-bottom:.3rem}
.sections{color:#444}
details.verification{margin-top:1.6rem;border:1px solid #767676;padding:.4rem .8rem}
details.verification summary{font-weight:600;cursor:pointer;padding:.3rem 0}
summary:focus-visible{outline:3px solid #b35900;outline-offset:2px}
.technique{font-family:ui-monospace,Consolas,monospace;font-size:.85rem;word-break:break-all}
code{font-family:ui-monospace,Consolas,monospace;overflow-wrap:anywhere}
@media (max-width:30rem){.faits div{grid-template-columns:1fr;gap:0}.code{font-size:1.3rem}}
@page{size:letter;margin:1.4cm 1.6cm}
@media print{
body{max-width:none;margin:0;padding:0;font-size:10pt;line-height:1.3;color:#000}
h1{font-size:14pt}h2{font-size:11.5pt;margin:.8rem 0 .25rem;break-after:avoid}
.sous-titre,.sections{color:#333}
.revoque{padding:.3rem .5rem}
.code-ligne{margin:.5rem 0}
.code{font-size:14pt;padding:.1rem .6rem}
.faits div{grid-template-columns:minmax(9rem,28%) 1fr;padding:.15rem 0;break-inside:avoid}
ol li{margin-bottom:.1rem;break-inside:avoid}
details.verification{border:0;border-top:1px solid #000;padding:0;margin-top:.8rem}
details.verification summary{list-style:none;font-size:11.5pt;padding:.2rem 0;break-after:avoid;outline:none}
details.verification summary::-webkit-details-marker{display:none}
details.verification::details-content{content-visibility:visible;display:contents}
.verification .faits div{grid-template-columns:minmax(9rem,33%) 1fr}
.technique{font-size:8.5pt}
}
"""


SELF_DECLARED_LABEL = "Identité déclarée par la personne (non vérifiée)"
"""How the receipt names a ``typed`` identification: nothing proved who typed the number."""

RECEIPT_IDENTIFICATION_LABELS: dict[str, str] = {
    **IDENTIFICATION_LABELS,
    "typed": f"{SELF_DECLARED_LABEL} : numéro d'employé saisi par la personne",
}
"""The « Identification » line of the receipt, by identification method."""


def _as_day(text: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return None


def version_words(version: str) -> str:
    """A directive version for people: « version du 5 mai 2023 » (dated) or « version 3 »."""
    day = _as_day(version)
    return f"version {version}" if day is None else f"version du {fr_ca.date_long(day)}"


def signed_on(record: AttestationRecord) -> str:
    """The day ``record`` was signed, in Québec time (« 14 mars 2025 »); the stored text if unreadable."""
    try:
        return fr_ca.date_long(record.signed_at)
    except ValueError:
        return record.signed_at


def signed_at_words(record: AttestationRecord) -> str:
    """When ``record`` was signed: « 14 mars 2025 à 11 h 03 (heure du Québec) »."""
    try:
        return f"{fr_ca.datetime_long(record.signed_at)} (heure du Québec)"
    except ValueError:
        return record.signed_at


def _declaration_for_people(form: FormContent, directive: DirectiveInfo) -> str:
    """The declaration signed, with its date written for people (the fingerprint covers the exact text)."""
    day = _as_day(directive.en_vigueur)
    shown = directive if day is None else directive.model_copy(update={"en_vigueur": fr_ca.date_long(day)})
    return form.declaration_text(shown)


def _facts(rows: list[tuple[str, str]]) -> str:
    items = "\n".join(f"<div><dt>{escape(k)}</dt><dd>{escape(v)}</dd></div>" for k, v in rows if v)
    return f'<dl class="faits">\n{items}\n</dl>'


def render_receipt_fragment(
    record: AttestationRecord,
    form: FormContent | None = None,
    directive: DirectiveInfo | None = None,
    *,
    revoked_reason: str | None = None,
    title_level: int = 1,
) -> str:
    """The receipt's content, without page or style: the ``<main>`` of :func:`render_receipt`.

    With the ``form`` and ``directive`` it was signed against (same SHA-256), the
    commitments are printed too. ``revoked_reason`` adds a visible revocation notice.
    ``title_level`` is the heading level of the receipt's title (2 when the fragment is
    embedded in a page that has its own ``<h1>``); its sections are one level below.
    """
    if not 1 <= title_level <= 5:
        raise ValueError(f"heading level out of range: {title_level}")
    e = escape
    h, sub = f"h{title_level}", f"h{title_level + 1}"
    code = e(record.verification_code)
    parts = [
        f"<{h}>{RECEIPT_TITLE}</{h}>",
        f'<p class="sous-titre">Directive {e(record.directive_number)} – utilisation sécuritaire '
        "du courriel et de la messagerie instantanée</p>",
    ]
    if revoked_reason is not None:
        parts.append(
            f'<p class="revoque">Cet engagement a été révoqué : il n\'est plus valide. '
            f"Raison : {e(revoked_reason)}</p>"
        )
    parts.append(f'<p class="code-ligne">Code de vérification :<br><span class="code">{code}</span></p>')
    score = "" if record.quiz_score is None else f"Réussi ({fr_ca.percent(record.quiz_score)})"
    parts += [
        f"<{sub}>Votre engagement</{sub}>",
        _facts(
            [
                ("Nom", record.full_name),
                ("Numéro d'employé", record.employee_number),
                ("Titre d'emploi", record.job_title),
                ("Direction ou service", record.direction),
                ("Établissement", record.establishment),
                ("Signé le", signed_at_words(record)),
                ("Signature (nom tapé)", record.typed_signature or ""),
                ("Directive", f"{record.directive_number}, {version_words(record.directive_version)}"),
                ("Formulaire d'engagement", f"version {record.form_version}"),
                ("Questionnaire", score),
                ("Identification", RECEIPT_IDENTIFICATION_LABELS.get(record.identification or "", "")),
            ]
        ),
    ]
    if form is not None and directive is not None and form.text_sha256(directive) == record.form_sha256:
        items = "\n".join(
            f'<li>{e(c.texte)} <span class="sections">({e(c.sections_label)})</span></li>'
            for c in form.engagements
        )
        parts += [
            f"<{sub}>Ce que vous avez déclaré</{sub}>",
            f"<p>{e(_declaration_for_people(form, directive))}</p>",
            f"<ol>\n{items}\n</ol>",
            f"<p>{e(form.consentement_signature)}</p>",
        ]
    parts.append(_verification(record))
    return "\n".join(parts)


def _verification(record: AttestationRecord) -> str:
    """The collapsed « Pour la vérification » section: everything an auditor needs, unchanged."""
    e = escape
    rows = [
        ("Identifiant de l'enregistrement", record.id),
        ("Position dans le registre", f"n° {record.seq}"),
        ("Formulaire (identifiant et version)", f"{record.form_id} {record.form_version}"),
        ("Inscription au questionnaire (xAPI)", record.quiz_registration or ""),
        ("Empreinte du texte affiché (SHA-256)", record.form_sha256),
        ("Empreinte de l'enregistrement (SHA-256)", record.record_hash),
    ]
    items = "\n".join(f'<div><dt>{e(k)}</dt><dd class="technique">{e(v)}</dd></div>' for k, v in rows if v)
    return "\n".join(
        [
            '<details class="verification">',
            f"<summary>{VERIFICATION_SUMMARY}</summary>",
            "<p>Vous n'avez rien à faire de ces renseignements : ils permettent à un auditeur ou "
            "au service des ressources humaines de confirmer que cet engagement est authentique "
            "et n'a pas été modifié. L'engagement est signé électroniquement par l'établissement "
            "et inscrit dans un registre chaîné.</p>",
            f"<p>Commande de vérification : <code>formation-tic attest show {e(record.verification_code)}"
            "</code></p>",
            f'<dl class="faits">\n{items}\n</dl>',
            "</details>",
        ]
    )


def render_receipt(
    record: AttestationRecord,
    form: FormContent | None = None,
    directive: DirectiveInfo | None = None,
    *,
    revoked_reason: str | None = None,
) -> str:
    """The receipt as one self-contained HTML page (download, ``attest show --receipt``).

    Its ``<main>`` is :func:`render_receipt_fragment` (same arguments); the page adds the
    language, the title and the inline style (screen, narrow screens and print).
    """
    body = render_receipt_fragment(record, form, directive, revoked_reason=revoked_reason)
    title = f"{RECEIPT_TITLE} – code {escape(record.verification_code)}"
    head = "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="fr-CA"><head><meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f"<title>{title}</title>",
            f"<style>{_CSS}</style></head><body>",
        ]
    )
    return f"{head}\n<main>\n{body}\n</main>\n</body></html>"
