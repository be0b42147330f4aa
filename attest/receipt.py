"""The employee's receipt: one self-contained, printable HTML page (inline CSS, no script).

:func:`render_receipt_fragment` renders the receipt's content (shown inside the learner app);
:func:`render_receipt` wraps that same fragment into the full page (download, CLI).
Every value coming from a person or the store is HTML-escaped.
"""

from __future__ import annotations

import datetime as dt
from html import escape
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .directive import DirectiveInfo
from .form import FormContent
from .identity import IDENTIFICATION_LABELS
from .record import AttestationRecord

try:
    LOCAL_TZ: dt.tzinfo = ZoneInfo("America/Toronto")
    """Eastern time, as used in Québec."""
except ZoneInfoNotFoundError:  # no tz database on this machine: show UTC only
    LOCAL_TZ = dt.UTC

_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;color:#1a1a1a;
max-width:46rem;margin:2rem auto;padding:0 1rem;line-height:1.45}
h1{font-size:1.4rem;margin-bottom:.2rem}
.sous-titre{color:#444;margin-top:0}
table{border-collapse:collapse;width:100%;margin:1rem 0}
th,td{text-align:left;vertical-align:top;padding:.35rem .5rem;border-bottom:1px solid #ccc}
th{width:38%;font-weight:600}
.code{font-family:ui-monospace,Consolas,monospace;font-size:1.6rem;letter-spacing:.15em;
border:2px solid #1a1a1a;display:inline-block;padding:.3rem .8rem;margin:.3rem 0}
.empreinte{font-family:ui-monospace,Consolas,monospace;font-size:.8rem;word-break:break-all}
.revoque{border:2px solid #a00;color:#a00;padding:.5rem;font-weight:600}
ol li{margin-bottom:.3rem}
footer{margin-top:2rem;font-size:.85rem;color:#444}
@media print{body{margin:0;max-width:none}footer{page-break-inside:avoid}}
"""


SELF_DECLARED_LABEL = "Identité déclarée par la personne (non vérifiée)"
"""How the receipt names a ``typed`` identification: nothing proved who typed the number."""

RECEIPT_IDENTIFICATION_LABELS: dict[str, str] = {
    **IDENTIFICATION_LABELS,
    "typed": f"{SELF_DECLARED_LABEL} : numéro d'employé saisi par la personne",
}
"""The « Identification » line of the receipt, by identification method."""


def _parse_utc(iso_utc: str) -> dt.datetime | None:
    try:
        return dt.datetime.strptime(iso_utc, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=dt.UTC)
    except ValueError:
        return None


def _fmt_time(iso_utc: str) -> str:
    moment = _parse_utc(iso_utc)
    if moment is None:
        return iso_utc
    local = moment.astimezone(LOCAL_TZ)
    return f"{local:%Y-%m-%d %H:%M} (heure du Québec) – {moment:%Y-%m-%d %H:%M:%S} UTC"


def local_date(iso_utc: str) -> str:
    """The day a record was signed, in Québec time (« 2025-03-14 »); the text itself if unreadable."""
    moment = _parse_utc(iso_utc)
    return iso_utc if moment is None else f"{moment.astimezone(LOCAL_TZ):%Y-%m-%d}"


def render_receipt_fragment(
    record: AttestationRecord,
    form: FormContent | None = None,
    directive: DirectiveInfo | None = None,
    *,
    revoked_reason: str | None = None,
    title_level: int = 1,
) -> str:
    """The receipt's content, without page or style: the ``<body>`` of :func:`render_receipt`.

    With the ``form`` and ``directive`` it was signed against (same SHA-256), the
    commitments are printed too. ``revoked_reason`` adds a visible revocation notice.
    ``title_level`` is the heading level of the receipt's title (2 when the fragment is
    embedded in a page that has its own ``<h1>``).
    """
    if not 1 <= title_level <= 6:
        raise ValueError(f"heading level out of range: {title_level}")
    e = escape
    rows = [
        ("Nom", record.full_name),
        ("Numéro d'employé", record.employee_number),
        ("Titre d'emploi", record.job_title),
        ("Direction ou service", record.direction),
        ("Établissement", record.establishment),
        ("Signature (nom tapé)", record.typed_signature or ""),
        ("Signé le", _fmt_time(record.signed_at)),
        (
            "Directive",
            f"{record.directive_number} (version {record.directive_version})",
        ),
        ("Formulaire", f"{record.form_id}, version {record.form_version}"),
        (
            "Questionnaire réussi",
            f"{round((record.quiz_score or 0) * 100)} % (inscription {record.quiz_registration})",
        ),
        ("Identification", RECEIPT_IDENTIFICATION_LABELS.get(record.identification or "", "—")),
    ]
    table = "\n".join(f"<tr><th>{e(k)}</th><td>{e(v)}</td></tr>" for k, v in rows)
    h = f"h{title_level}"
    parts = [
        f"<{h}>Accusé de réception de votre engagement</{h}>",
        f'<p class="sous-titre">Directive {e(record.directive_number)} – utilisation sécuritaire '
        "du courriel et de la messagerie instantanée</p>",
    ]
    if revoked_reason is not None:
        parts.append(f'<p class="revoque">Cet engagement a été révoqué. Raison : {e(revoked_reason)}</p>')
    parts += [
        "<p>Code de vérification :<br>",
        f'<span class="code">{e(record.verification_code)}</span></p>',
        f"<table>{table}</table>",
    ]
    if form is not None and directive is not None and form.text_sha256(directive) == (record.form_sha256):
        items = "\n".join(f"<li>{e(c.texte)} <em>({e(c.sections_label)})</em></li>" for c in form.engagements)
        parts += [
            "<h2>Ce que vous avez déclaré</h2>",
            f"<p>{e(form.declaration_text(directive))}</p>",
            f"<ol>{items}</ol>",
            f"<p>{e(form.consentement_signature)}</p>",
        ]
    parts += [
        "<footer><p>Cet engagement est signé électroniquement par l'établissement et inscrit "
        "dans un registre chaîné. Pour le vérifier, un auditeur ou le service des ressources "
        "humaines utilise la commande <code>formation-tic attest show "
        f"{e(record.verification_code)}</code>.</p>",
        f'<p>Identifiant : <span class="empreinte">{e(record.id)}</span><br>',
        f"Position dans le registre : n° {record.seq}<br>Empreinte du texte affiché (SHA-256) : "
        f'<span class="empreinte">{e(record.form_sha256)}</span><br>',
        "Empreinte de l'enregistrement (SHA-256) : "
        f'<span class="empreinte">{e(record.record_hash)}</span></p>',
        "</footer>",
    ]
    return "\n".join(parts)


def render_receipt(
    record: AttestationRecord,
    form: FormContent | None = None,
    directive: DirectiveInfo | None = None,
    *,
    revoked_reason: str | None = None,
) -> str:
    """The receipt as one self-contained HTML page (download, ``attest show --receipt``).

    Its body is :func:`render_receipt_fragment` (same arguments), wrapped with the style.
    """
    body = render_receipt_fragment(record, form, directive, revoked_reason=revoked_reason)
    head = "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="fr-CA"><head><meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f"<title>Accusé de réception – engagement {escape(record.verification_code)}</title>",
            f"<style>{_CSS}</style></head><body>",
        ]
    )
    return f"{head}\n{body}</body></html>"
