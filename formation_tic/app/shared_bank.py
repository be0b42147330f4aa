"""The graded bank, checked once and shared by every learner kernel.

Checking the bank (YAML, schema, MyST markup of every text, the profile's placeholders)
costs each kernel most of a second and several megabytes of parsers. The first process that
loads it (``serve`` at startup, or the first kernel after a trainer changed a file) writes
the result, rendered with the profile, to :attr:`DataPaths.bank_cache` (mode 0600: it holds
the graded answers); the other kernels read that file and validate it with the same model.

The file names what it was made from (each bank file's size and modification time, the
profile's, the rules' and the package version): when any of these changes, the next kernel
checks the bank again, so a corrected or broken scenario is seen exactly as before.
"""

from __future__ import annotations

import json
import logging
import os
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from scenarios.model import Scenario

logger = logging.getLogger(__name__)

CACHE_FORMAT = 1
_RULE_FILES = ("data/sources.yaml", "data/obligations.yaml", "profiles/cisss-laurentides.yaml")


def _stat(path: Path) -> list[Any]:
    try:
        st = path.stat()
    except OSError:
        return [str(path), None, None]
    return [str(path), st.st_size, st.st_mtime_ns]


def bank_fingerprint(bank: Path, profile: Path | None) -> list[Any]:
    """What the checked bank depends on: its files, the profile, the rules, the version."""
    import formation_tic

    package = Path(str(resources.files("scenarios")))
    if bank.is_dir():
        files = sorted(p for p in bank.rglob("*") if p.suffix in {".yaml", ".yml"} and p.is_file())
    else:
        files = [bank]
    return [
        CACHE_FORMAT,
        formation_tic.__version__,
        str(profile) if profile is not None else None,
        *(_stat(package / name) for name in _RULE_FILES),
        _stat(profile) if profile is not None else None,
        [_stat(p) for p in files],
    ]


def _read(cache: Path, fingerprint: list[Any]) -> list[Scenario] | None:
    try:
        data = json.loads(cache.read_text(encoding="utf-8"))
        if not isinstance(data, dict) or data.get("fingerprint") != fingerprint:
            return None
        return [Scenario.model_validate(item) for item in data["scenarios"]]
    except (OSError, ValueError, KeyError, TypeError, ValidationError):
        return None


def _write(cache: Path, fingerprint: list[Any], scenarios: list[Scenario]) -> None:
    """Write the file atomically (a reader sees the old file or the new one, never half)."""
    data = {"fingerprint": fingerprint, "scenarios": [s.model_dump(mode="json") for s in scenarios]}
    tmp = cache.with_name(f".{cache.name}.{os.getpid()}.tmp")
    try:
        cache.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh, ensure_ascii=False, separators=(",", ":"))
        os.replace(tmp, cache)
    except OSError as exc:  # a full disk only costs the next kernels a check of their own
        logger.warning("banque vérifiée non enregistrée (%s) : %s", cache, exc)
        tmp.unlink(missing_ok=True)


def shared_graded_bank(bank: Path, profile: Path | None, cache: Path) -> list[Scenario]:
    """The graded scenarios (never the practice set), rendered with the profile.

    Read from ``cache`` when it was made from the same files; otherwise checked and loaded
    like :func:`scenarios.bank.load_graded_bank` (same errors: ``BankError``,
    ``ProfileError``), then written to ``cache`` for the next kernels.
    """
    fingerprint = bank_fingerprint(bank, profile)  # before reading: a change meanwhile shows next time
    scenarios = _read(cache, fingerprint)
    if scenarios is not None:
        return scenarios
    from scenarios.bank import load_graded_bank
    from scenarios.profile import load_profile

    scenarios = load_graded_bank([bank], load_profile(profile))
    _write(cache, fingerprint, scenarios)
    return scenarios


def warm_shared_bank(bank: Path, profile: Path | None, cache: Path) -> bool:
    """Check the bank once before any learner arrives (``serve`` at startup); True when it loads.

    A bank with problems does not stop the server: each page then shows the learner the
    « momentanément indisponible » message and the server's log names the problems, as before.
    """
    try:
        shared_graded_bank(bank, profile, cache)
    except ValueError as exc:  # BankError, ProfileError
        problems = getattr(exc, "problems", [])
        logger.warning("banque de scénarios inutilisable : %s %s", exc, [str(p) for p in problems[:5]])
        return False
    return True
