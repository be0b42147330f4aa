"""No invented contact reaches the built book: every telephone number, email address and URL
shown comes from the establishment profile, and every profile value names its source section."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from scenarios.profile import EMAIL, PHONE, URL, load_profile
from scenarios.sources import load_registry
from tests.conftest import BOOK_HTML

ADMIN_PAGES = ("guide-formateur.html", "guide-rh.html", "guide-ena.html", "reference/")
"""Pages for trainers, HR and administrators: they may show technical identifiers and
configuration illustrations, never a contact."""
TECHNICAL_URL = re.compile(
    r"^https?://(?:127\.0\.0\.1|localhost)(?::\d+)?/"  # the local server the guides describe
    r"|^https?://adlnet\.gov/expapi/|^http://activitystrea\.ms/schema/"  # xAPI vocabulary IRIs
    r"|^https?://purl\.imsglobal\.org/spec/"  # LTI claim names
    r"|^https?://json-schema\.org/|^https?://www\.w3\.org/"  # schema and namespace identifiers
    r"|^https?://(?:[\w-]+\.)*(?:example|exemple)(?:\.[\w-]+)*(?:[/:]|$)"  # illustrative hosts
    r"|^https?://…/"  # an elided host in a configuration illustration
)
FORMER_INVENTIONS = (
    "poste 0000",
    "poste 0001",
    "à adapter",
    "exemple.ssss",
    "Service des archives médicales",
)


class _Article(HTMLParser):
    """The text and the link targets of a page's article (the theme's chrome is left out)."""

    def __init__(self) -> None:
        super().__init__()
        self.depth = 0
        self.text: list[str] = []
        self.targets: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if not self.depth and tag == "article" and "bd-article" in (values.get("class") or ""):
            self.depth = 1
            return
        if self.depth:
            self.depth += tag not in {"br", "img", "hr", "input", "meta", "link", "wbr"}
            self.targets += [v for k, v in attrs if k in {"href", "src"} and v]

    def handle_endtag(self, tag: str) -> None:
        if self.depth:
            self.depth -= 1

    def handle_data(self, data: str) -> None:
        if self.depth:
            self.text.append(data)


def contacts_of(page: Path) -> tuple[list[str], list[str], list[str]]:
    """Telephone numbers, email addresses and URLs that a reader of ``page`` sees or follows."""
    article = _Article()
    article.feed(page.read_text("utf-8"))
    text = " ".join(" ".join(article.text).split())
    phones = [m.group(0) for m in PHONE.finditer(text)]
    emails = [m.group(0) for m in EMAIL.finditer(text)]
    emails += [t.removeprefix("mailto:") for t in article.targets if t.startswith("mailto:")]
    urls = [m.group(0) for m in URL.finditer(text)]
    urls += [t for t in article.targets if re.match(r"(?:https?|ftp)://", t)]
    phones += [t.removeprefix("tel:") for t in article.targets if t.startswith("tel:")]
    return phones, emails, urls


def digits(text: str) -> str:
    return re.sub(r"\D", "", text)


@pytest.fixture(scope="module")
def html(built_book: Path) -> Path:
    return built_book / BOOK_HTML


@pytest.fixture(scope="module")
def pages(html: Path) -> list[Path]:
    found = sorted(p for p in html.rglob("*.html") if "_static" not in p.parts)
    assert any(p.name == "12-incidents.html" for p in found)
    return found


def test_every_contact_in_the_book_comes_from_the_profile(html: Path, pages: list[Path]) -> None:
    profile = load_profile()
    values = [v.valeur for v in profile.contact_values().values() if v.valeur]
    profile_phones = {digits(m.group(0)) for v in values for m in PHONE.finditer(v)}
    profile_emails = {m.group(0).lower() for v in values for m in EMAIL.finditer(v)}
    profile_urls = {m.group(0) for v in values for m in URL.finditer(v)}
    invented: list[str] = []
    for page in pages:
        name = str(page.relative_to(html))
        phones, emails, urls = contacts_of(page)
        invented += [f"{name} : téléphone {p}" for p in phones if digits(p) not in profile_phones]
        invented += [f"{name} : courriel {e}" for e in emails if e.lower() not in profile_emails]
        admin = name.startswith(ADMIN_PAGES)
        invented += [
            f"{name} : adresse Web {u}"
            for u in urls
            if u not in profile_urls and not (admin and TECHNICAL_URL.match(u))
        ]
    assert invented == []


def test_the_contacts_shown_are_the_sourced_ones(pages: list[Path]) -> None:
    profile = load_profile()
    registry = load_registry()
    everything = "\n".join(p.read_text("utf-8") for p in pages)
    shown = 0
    for path, value in profile.contact_values().items():
        if value.valeur is None:
            assert value.source == "aucune" and value.formulation_neutre, path
            continue
        assert registry.exists(value.source), f"{path} : source « {value.source} » introuvable"
        shown += value.valeur in everything
    assert shown >= 5
    # the directive's own numbers (section 5.10) reach the incident chapter
    incidents = next(p for p in pages if p.name == "12-incidents.html").read_text("utf-8")
    assert "450-432-2777, poste 77777" in incidents
    assert "450-473-6811, poste 44321" in incidents
    for invention in FORMER_INVENTIONS:
        assert invention not in everything, invention


def test_only_the_practice_set_is_published(html: Path, built_book: Path) -> None:
    from scenarios.bank import graded, load_bank, practice

    bank = load_bank([built_book / "bank"], load_profile())
    published = {p.stem for p in (html / "banque").glob("*.html")} - {"index"}
    assert published == {s.id for s in practice(bank)}
    assert not published & {s.id for s in graded(bank)}
