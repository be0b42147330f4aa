"""The receipt as a person reads it: essentials on top, verification material collapsed below.

The HTML is parsed (``html.parser``), not searched as a string: text inside the
« Pour la vérification » ``<details>`` is told apart from the text before it, and every
attribute and style of the full page is checked for a reference to something outside the file.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import pytest

from attest import AttestationRecord, AttestationStore, DirectiveInfo, FormContent, attestation_status, fr_ca
from attest.receipt import VERIFICATION_SUMMARY, render_receipt, render_receipt_fragment

ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
URL_ATTRIBUTES = {
    "src",
    "href",
    "srcset",
    "action",
    "formaction",
    "poster",
    "data",
    "xlink:href",
    "background",
}


@dataclass
class Parsed:
    """What a person sees before the details, what is inside them, and the page's structure."""

    before: list[str] = field(default_factory=list)
    inside: list[str] = field(default_factory=list)
    after: list[str] = field(default_factory=list)
    headings: list[tuple[int, str]] = field(default_factory=list)
    tags: list[tuple[str, dict[str, str | None]]] = field(default_factory=list)
    styles: list[str] = field(default_factory=list)
    details_open: list[bool] = field(default_factory=list)
    summaries: list[str] = field(default_factory=list)

    @property
    def top(self) -> str:
        return " ".join(" ".join(self.before).split())

    @property
    def verification(self) -> str:
        return " ".join(" ".join(self.inside).split())


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out = Parsed()
        self.where = "before"
        self.stack: list[str] = []
        self.heading: list[str] | None = None
        self.summary: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.out.tags.append((tag, dict(attrs)))
        if tag == "details":
            self.where = "inside"
            self.out.details_open.append("open" in dict(attrs))
        if re.fullmatch(r"h[1-6]", tag):
            self.heading = []
        if tag == "summary":
            self.summary = []
        self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag == "details":
            self.where = "after"
        if re.fullmatch(r"h[1-6]", tag) and self.heading is not None:
            self.out.headings.append((int(tag[1]), "".join(self.heading).strip()))
            self.heading = None
        if tag == "summary" and self.summary is not None:
            self.out.summaries.append("".join(self.summary).strip())
            self.summary = None
        if self.stack and self.stack[-1] == tag:
            self.stack.pop()

    def handle_data(self, data: str) -> None:
        if self.stack and self.stack[-1] == "style":
            self.out.styles.append(data)
            return
        if self.stack and self.stack[-1] == "title":
            return
        getattr(self.out, self.where).append(data)
        for part in (self.heading, self.summary):
            if part is not None:
                part.append(data)


def parse(html: str) -> Parsed:
    reader = _Reader()
    reader.feed(html)
    reader.close()
    return reader.out


@pytest.fixture
def record(tmp_path: Path, sign_one: Callable[..., AttestationRecord]) -> AttestationRecord:
    with AttestationStore(tmp_path / "a.db") as store:
        return sign_one(store, employee_number="004512", full_name="Marie-Ève Tremblay")


def _technical(record: AttestationRecord) -> list[str]:
    assert record.quiz_registration is not None
    return [
        record.id,
        record.quiz_registration,
        record.form_sha256,
        record.record_hash,
        f"formation-tic attest show {record.verification_code}",
        "SHA-256",
        "registre",
    ]


def test_what_a_person_needs_comes_first_the_verification_material_collapsed_after_it(
    record: AttestationRecord, form: FormContent, directive: DirectiveInfo
) -> None:
    page = parse(render_receipt(record, form, directive))
    top = page.top
    # The essentials, in the part a person reads first (spaces compared as one, no-break ones too).
    for essential in (
        "Marie-Ève Tremblay",
        "004512",
        record.verification_code,
        f"{fr_ca.datetime_long(record.signed_at)} (heure du Québec)",
        f"{record.directive_number}, version du {fr_ca.date_long(directive.version)}",
        f"version {form.version}",
        f"Réussi ({fr_ca.percent(0.9)})",
        "Identité déclarée par la personne (non vérifiée)",
        f"en vigueur depuis le {fr_ca.date_long(directive.en_vigueur)}",
        form.consentement_signature,
        *(c.texte for c in form.engagements),
    ):
        assert " ".join(essential.split()) in top, essential
    assert (
        top.index(record.verification_code) < top.index("Marie-Ève Tremblay") < top.index("Ce que vous avez")
    )
    # Technical strings: only in the collapsed section, all of them still there (evidence).
    for technical in _technical(record):
        assert technical not in top, technical
        assert technical in page.verification, technical
    assert "inscription" not in top.lower() and "empreinte" not in top.lower()
    assert page.details_open == [False] and page.summaries == [VERIFICATION_SUMMARY]
    assert " ".join(page.after).strip() == ""  # nothing after the verification section
    # Dates written for people, anywhere in the receipt.
    assert not ISO_DATE.search(top), ISO_DATE.findall(top)
    assert not ISO_DATE.search(page.verification), ISO_DATE.findall(page.verification)


def test_full_page_is_one_self_contained_accessible_file(
    record: AttestationRecord, form: FormContent, directive: DirectiveInfo
) -> None:
    html = render_receipt(record, form, directive, revoked_reason="Nom mal orthographié")
    page = parse(html)
    tags = [t for t, _ in page.tags]
    # Nothing refers to anything outside the file: no link, script, image, frame, font, import.
    for tag, attrs in page.tags:
        for name, value in attrs.items():
            if name in URL_ATTRIBUTES:
                assert (value or "").startswith("data:"), (tag, name, value)
            assert "url(" not in (value or "").lower(), (tag, name, value)  # inline style attributes
    for absent in ("link", "script", "img", "iframe", "object", "embed", "base", "svg", "video", "audio"):
        assert absent not in tags, absent
    style = "".join(page.styles)
    assert style and "@import" not in style and "@font-face" not in style
    for target in re.findall(r"url\(\s*['\"]?([^'\")]*)", style):
        assert target.startswith("data:"), target
    assert not re.search(r"https?:|//[a-z]", html, re.IGNORECASE)
    # Language, title, landmark, headings in order.
    html_tag = next(attrs for tag, attrs in page.tags if tag == "html")
    assert html_tag.get("lang") == "fr-CA"
    assert re.search(
        rf"<title>Accusé de réception de votre engagement – code {record.verification_code}</title>", html
    )
    assert tags.count("main") == 1 and tags.index("main") < tags.index("h1")
    assert page.headings == [
        (1, "Accusé de réception de votre engagement"),
        (2, "Votre engagement"),
        (2, "Ce que vous avez déclaré"),
    ]
    # Printing: a print stylesheet, the verification section printed expanded.
    assert "@media print" in style and "@page" in style
    assert re.search(r"details\.verification::details-content\{content-visibility:visible", style)


def test_a_revoked_receipt_says_so_before_anything_else_and_keeps_the_same_layout(
    record: AttestationRecord, form: FormContent, directive: DirectiveInfo
) -> None:
    page = parse(render_receipt(record, form, directive, revoked_reason="Nom mal orthographié"))
    top = page.top
    notice = "Cet engagement a été révoqué : il n'est plus valide. Raison : Nom mal orthographié"
    assert notice in top and top.index(notice) < top.index(record.verification_code)
    assert top.index("Accusé de réception") < top.index(notice)
    for technical in _technical(record):
        assert technical not in top and technical in page.verification
    assert not ISO_DATE.search(top + page.verification)


def test_in_the_app_the_receipt_nests_under_the_page_heading(
    record: AttestationRecord, form: FormContent, directive: DirectiveInfo
) -> None:
    fragment = parse(render_receipt_fragment(record, form, directive, title_level=2))
    assert fragment.headings == [
        (2, "Accusé de réception de votre engagement"),
        (3, "Votre engagement"),
        (3, "Ce que vous avez déclaré"),
    ]
    assert fragment.details_open == [False] and record.record_hash in fragment.verification


def test_the_app_page_download_and_locked_view_write_for_people(
    record: AttestationRecord, form: FormContent, directive: DirectiveInfo
) -> None:
    from formation_tic.app.receipt_view import LockedReceiptView, download_link, receipt_page

    # The downloaded file is exactly the full page (a data: URL, nothing fetched).
    link = download_link(record, form, directive)
    data = re.search(r'href="data:text/html;charset=utf-8;base64,([^"]+)"', link)
    assert data is not None
    assert base64.b64decode(data.group(1)).decode("utf-8") == render_receipt(record, form, directive)
    assert f'download="accuse-engagement-{record.verification_code}.html"' in link
    # The app's receipt page: no ISO date in what the person reads before the details.
    for already in (False, True):
        [widget] = receipt_page(record, form, directive, already=already).children
        shown = parse(widget.value)
        assert not ISO_DATE.search(shown.top), (already, ISO_DATE.findall(shown.top))
        assert record.record_hash not in shown.top and record.record_hash in shown.verification
    assert (
        "version du 5 mai 2023"
        in parse(receipt_page(record, form, directive, already=True).children[0].value).top
    )
    # A later visit in typed mode: the day and version, for people; nothing else of the record.
    locked = LockedReceiptView(record, lambda _code: None)
    intro = parse(locked.page.children[0].value).top
    assert (
        f"a signé l'engagement le {fr_ca.date_long(record.signed_at)}, pour la version du "
        f"{fr_ca.date_long(record.directive_version)} de la directive {record.directive_number}."
    ) in intro
    assert not ISO_DATE.search(intro)


def test_status_reasons_write_dates_for_people(
    tmp_path: Path, form: FormContent, directive: DirectiveInfo, sign_one: Callable[..., AttestationRecord]
) -> None:
    later = directive.model_copy(update={"version": "2025-01-01", "version_mineure": False})
    with AttestationStore(tmp_path / "a.db") as store:
        rec = sign_one(store, employee_number="5001")
        current = attestation_status(store, "5001", directive, [form])
        renew = attestation_status(store, "5001", later, [form])
    assert current.reasons == [
        f"Engagement signé le {fr_ca.date_long(rec.signed_at)} (code {rec.verification_code})."
    ]
    assert renew.reasons == [
        "Nouvelle version de la directive depuis la signature : version du 1er janvier 2025 "
        f"(engagement signé pour la version du {fr_ca.date_long(directive.version)})."
    ]
