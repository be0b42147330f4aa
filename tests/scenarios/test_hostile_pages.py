"""Generated pages and the staged book configuration leave no way around the checks."""

from __future__ import annotations

import shutil
from pathlib import Path

import yaml
from markdown_it.renderer import RendererHTML
from myst_parser.config.main import MdParserConfig
from myst_parser.parsers.mdit import create_md_parser

from scenarios.book_config import GUARD_EXTENSION, harden_config
from scenarios.build import stage_book
from scenarios.markup import BOOK_MYST_EXTENSIONS
from scenarios.model import Scenario
from scenarios.pages import bank_index, expand_scenario_lists
from scenarios.profile import load_profile

ROOT = Path(__file__).parent.parent.parent
MYST = create_md_parser(MdParserConfig(enable_extensions=set(BOOK_MYST_EXTENSIONS)), RendererHTML)
CLEAN = yaml.safe_load((ROOT / "scenarios" / "bank" / "roles-csio.yaml").read_text("utf-8"))


def _hrefs(markdown: str) -> list[str]:
    return [
        str(child.attrGet("href"))
        for token in MYST.parse(markdown)
        for child in token.children or []
        if child.type == "link_open"
    ]


def test_a_title_cannot_break_out_of_its_index_link() -> None:
    """A title is checked alone; in the index it becomes link text, where ``]`` would end it."""
    title = "Titre](../../var/keys/signing-key.pem) [suite"
    scenario = Scenario.model_validate({**CLEAN, "title": title})
    assert _hrefs(bank_index([scenario])) == [f"{scenario.id}.md"]
    listed = expand_scenario_lists("{{ scenarios: roles }}", [scenario], "../banque/")
    assert _hrefs(listed) == [f"../banque/{scenario.id}.md"]


def test_checker_parses_texts_with_the_book_syntax() -> None:
    config = yaml.safe_load((ROOT / "book" / "_config.yml").read_text("utf-8"))
    assert set(config["parse"]["myst_enable_extensions"]) == BOOK_MYST_EXTENSIONS


def test_staged_config_is_hardened_whatever_the_book_says(tmp_path: Path) -> None:
    book = tmp_path / "book"
    shutil.copytree(ROOT / "book", book, ignore=shutil.ignore_patterns("_build", "banque"))
    config = yaml.safe_load((book / "_config.yml").read_text("utf-8"))
    config["parse"]["myst_enable_extensions"] += ["substitution", "html_image", "html_admonition"]
    config["execute"]["execute_notebooks"] = "force"
    del config["sphinx"]["extra_extensions"]
    (book / "_config.yml").write_text(yaml.safe_dump(config, allow_unicode=True), "utf-8")
    stage_book(book, tmp_path / "staged", [], load_profile())
    staged = yaml.safe_load((tmp_path / "staged" / "_config.yml").read_text("utf-8"))
    assert staged["parse"]["myst_enable_extensions"] == ["colon_fence", "deflist"]
    assert staged["execute"]["execute_notebooks"] == "off"
    assert staged["sphinx"]["extra_extensions"] == [GUARD_EXTENSION]
    assert {"html_block", "html_inline"} <= set(staged["sphinx"]["config"]["myst_disable_syntax"])
    assert staged["sphinx"]["config"]["language"] == "fr"


def test_hardening_keeps_other_extensions_once() -> None:
    config = {"sphinx": {"extra_extensions": "autre.extension"}}
    hardened = harden_config(harden_config(config))
    assert hardened["sphinx"]["extra_extensions"] == ["autre.extension", GUARD_EXTENSION]
    assert hardened["sphinx"]["config"]["myst_disable_syntax"] == ["html_block", "html_inline"]
