"""Automated accessibility checks with axe-core, in a Playwright page.

The rules run are those axe-core tags for WCAG 2.0, 2.1 and 2.2, levels A and AA
(:data:`WCAG_TAGS`). That is the level asked by Québec's standard on web accessibility,
**SGQRI 008 3.0** (in force since 29 April 2024): it follows WCAG 2.1 (levels A and AA) and
adds success criteria from WCAG 2.2, hence the WCAG 2.2 tag too (``wcag22aa``: in axe-core
4.14, the 2.5.8 target-size rule; WCAG 2.2 has no new level A rule that axe can test).
axe-core only finds what a machine can find (missing names, contrast, structure, ARIA misuse,
target size…): a page with no violation still needs a manual review (keyboard, reading order,
screen reader, plain language).

axe-core comes from npm, pinned in ``.ci/package.json`` and ``.ci/package-lock.json`` and
installed by ``.ci/run`` into ``.ci/node_modules/`` (git-ignored)::

    npm ci --prefix .ci

If it is missing, :func:`axe_violations` fails the test with that command; it never skips.
The script is injected from that file: the page makes no request for it.

Usage::

    from tests.a11y import axe_violations, format_violations

    page.goto(url)
    page.wait_for_load_state("networkidle")
    violations = axe_violations(page)
    assert violations == [], format_violations(violations)

Each violation is a dict: ``id`` (the axe rule, e.g. ``"color-contrast"``), ``impact``
(``"minor"`` … ``"critical"``), ``help`` (one sentence), ``help_url``, ``tags`` (the WCAG
criteria) and ``nodes``, one dict per failing element: ``target`` (a CSS selector; inside
frames or shadow roots the selectors are joined with `` >>> ``), ``html`` (its markup, as
shortened by axe) and ``summary`` (axe's explanation of what to fix).
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page

from scenarios.wording import plural

ROOT = Path(__file__).parent.parent
AXE_PACKAGE = ROOT / ".ci" / "node_modules" / "axe-core"
"""Where ``npm ci --prefix .ci`` installs axe-core (the version is pinned in ``.ci/package-lock.json``)."""
AXE_SCRIPT = AXE_PACKAGE / "axe.min.js"
INSTALL_COMMAND = "npm ci --prefix .ci"
WCAG_TAGS = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa")
"""axe-core rule tags: WCAG 2.0, 2.1 and 2.2, levels A and AA (SGQRI 008 3.0)."""

_RUN = """async ([context, options]) => {
  const results = await window.axe.run(context === null ? document : context, options);
  return results.violations.map(v => ({
    id: v.id,
    impact: v.impact,
    help: v.help,
    help_url: v.helpUrl,
    tags: v.tags.filter(t => /^wcag\\d/.test(t)),
    nodes: v.nodes.map(n => ({
      target: n.target.map(t => Array.isArray(t) ? t.join(" >>> ") : t).join(" >>> "),
      html: n.html,
      summary: n.failureSummary || "",
    })),
  }));
}"""


def axe_version() -> str:
    """The installed axe-core version (fails the test if axe-core is not installed)."""
    _axe_source()
    return str(json.loads((AXE_PACKAGE / "package.json").read_text(encoding="utf-8"))["version"])


def read_axe_script(path: Path = AXE_SCRIPT) -> str:
    """axe-core's script at ``path``; fails the test, naming the install command, if it is missing."""
    if not path.is_file():
        shown = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
        pytest.fail(
            f"axe-core est introuvable ({shown}) : les tests d'accessibilité en ont besoin. "
            f"Installez-le depuis la racine du projet avec « {INSTALL_COMMAND} » "
            "(c'est l'étape « axe-core » de .ci/run).",
            pytrace=False,
        )
    return path.read_text(encoding="utf-8")


@cache
def _axe_source() -> str:
    return read_axe_script()


def axe_violations(page: Page, *, context: str | dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """Run axe-core's WCAG 2.0/2.1/2.2 A and AA rules (:data:`WCAG_TAGS`) on ``page`` as it is now.

    ``context`` limits the check: a CSS selector, or an axe context object such as
    ``{"include": ["main"], "exclude": [".third-party"]}``; ``None`` checks the whole document.
    Wait for the page to settle first (``page.wait_for_load_state("networkidle")``, or a
    locator of the state you want checked). No rule can be switched off here: fix the page.

    axe-core is evaluated through the DevTools protocol, so a Content-Security-Policy without
    ``'unsafe-inline'`` does not stop it, and the page requests nothing. Frames are not entered
    (axe reports them as "incomplete", not as violations): check a frame's page on its own.
    """
    if not page.evaluate("() => typeof window.axe === 'object' && typeof window.axe.run === 'function'"):
        page.evaluate(_axe_source())
    options = {"runOnly": {"type": "tag", "values": list(WCAG_TAGS)}, "resultTypes": ["violations"]}
    violations: list[dict[str, Any]] = page.evaluate(_RUN, [context, options])
    return violations


def format_violations(violations: list[dict[str, Any]], *, where: str = "") -> str:
    """A readable list of ``violations`` for an assertion message (``where``: page, viewport…)."""
    if not violations:
        return f"{where} : aucune violation" if where else "aucune violation"
    count = sum(len(v["nodes"]) for v in violations)
    rules = plural(len(violations), "règle WCAG enfreinte", "règles WCAG enfreintes")
    header = f"{rules}, {plural(count, 'élément')}"
    lines = [f"{where} : {header}" if where else header]
    for v in violations:
        lines.append(f"- {v['id']} ({v['impact']}, {', '.join(v['tags'])}) : {v['help']}")
        lines.append(f"  {v['help_url']}")
        for node in v["nodes"]:
            lines.append(f"    {node['target']}  {_short(node['html'])}")
            for detail in node["summary"].splitlines():
                if detail.strip():
                    lines.append(f"      {detail.strip()}")
    return "\n".join(lines)


def _short(html: str, limit: int = 160) -> str:
    html = " ".join(html.split())
    return html if len(html) <= limit else html[: limit - 1] + "…"
