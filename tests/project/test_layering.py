"""The tree's layering: content and libraries below, the application (CLI, app, HR) on top."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

FORBIDDEN: dict[str, tuple[str, ...]] = {
    "localdb": ("formation_tic", "attest", "lrs_export", "scenarios"),
    "scenarios": ("formation_tic", "attest", "lrs_export"),
    "attest": ("formation_tic", "lrs_export"),
    "lrs_export": ("formation_tic", "attest"),
    "formation_tic/hr": ("formation_tic.app",),
    "formation_tic/app": ("formation_tic.hr", "formation_tic.commands"),
}
"""What each package may not import. The app layer (formation_tic) sits above the three libraries."""

SEAMS = {Path("attest/delivery.py"): ("lrs_export",)}
"""The one named seam where an attestation becomes an xAPI statement."""


def imported_modules(path: Path) -> list[tuple[int, str]]:
    """(line, absolute module name) of every import in a file, relative imports resolved."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = ".".join(path.relative_to(ROOT).with_suffix("").parts[:-1])
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                name = ".".join([*base, node.module] if node.module else base)
            else:
                name = node.module or ""
            found.append((node.lineno, name))
    return found


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_no_import_runs_up_the_layers(package: str) -> None:
    problems = []
    for path in sorted((ROOT / package).rglob("*.py")):
        allowed = SEAMS.get(path.relative_to(ROOT), ())
        for line, module in imported_modules(path):
            for banned in FORBIDDEN[package]:
                if (module == banned or module.startswith(banned + ".")) and banned not in allowed:
                    problems.append(f"{path.relative_to(ROOT)}:{line} imports {module}")
    assert problems == []


def test_hr_is_not_part_of_the_attestation_package() -> None:
    assert not (ROOT / "attest" / "hr").exists()
    assert (ROOT / "formation_tic" / "hr" / "register.py").is_file()


def test_only_the_settings_root_spells_a_default_data_path() -> None:
    spelled = re.compile(r"""["'](\./)?var(/|["'])""")
    offenders = [
        str(path.relative_to(ROOT))
        for package in ("formation_tic", "attest", "lrs_export", "scenarios")
        for path in (ROOT / package).rglob("*.py")
        if spelled.search(path.read_text(encoding="utf-8"))
    ]
    assert offenders == ["formation_tic/settings.py"]
