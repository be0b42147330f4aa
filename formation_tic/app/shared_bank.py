"""The graded bank and the course's fixed content, checked once and shared by every kernel.

Checking the bank (YAML, schema, MyST markup of every text, the profile's placeholders)
costs each kernel most of a second and several megabytes of parsers. The first process that
loads it (``serve`` at startup, or the first kernel after a trainer changed a file) writes
the result, rendered with the profile, to :attr:`DataPaths.bank_cache` (mode 0600: it holds
the graded answers); the other kernels read that file and validate it with the same models.

The file also holds what kernels would otherwise parse themselves: the HTML of every
Markdown text of the bank, the sources and rules registries, every version of the engagement
form and the directive's identity. Each scenario is kept packed (compressed JSON with its
texts' HTML) beside what a draw needs of it: a kernel reads only the scenarios its learner
draws (:mod:`.lazy_bank`). A learner kernel then needs neither a Markdown nor a YAML
parser. The file names what it was made from (each bank file's size and modification time,
the profile's, the rules', the forms' and the package version): when any of these changes,
the next kernel checks everything again, so a corrected or broken file is seen exactly as
before.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from pydantic import Base64Bytes, BaseModel, ConfigDict, ValidationError, ValidationInfo, field_validator

from attest.directive import DirectiveInfo
from attest.errors import FormError
from attest.form import FORMS_PACKAGE_DIR, FormContent
from scenarios.model import Scenario, Theme
from scenarios.quiz import markdown_html, markdown_texts, remember_rendered
from scenarios.sources import BUNDLED_DATA, bundled_data, remember_bundled_data

from .lazy_bank import BankEntry, LazyBank

logger = logging.getLogger(__name__)

CACHE_FORMAT = 4
_RULE_FILES = (*BUNDLED_DATA, "profiles/cisss-laurentides.yaml")


@dataclass(frozen=True)
class SharedContent:
    """What every learner page shows: the graded bank, the form's versions, the directive."""

    scenarios: Mapping[str, Scenario]
    """By id; read from the shared file, a :class:`~.lazy_bank.LazyBank`."""
    forms: list[FormContent]
    directive: DirectiveInfo


def _stat(path: Path) -> list[Any]:
    try:
        st = path.stat()
    except OSError:
        return [str(path), None, None]
    return [str(path), st.st_size, st.st_mtime_ns]


def _files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.suffix in {".yaml", ".yml"} and p.is_file())


def bank_fingerprint(bank: Path, profile: Path | None) -> list[Any]:
    """What the shared content depends on: its files, the profile, the rules, the forms, the version."""
    import formation_tic

    package = Path(str(resources.files("scenarios")))
    forms = Path(str(resources.files("attest").joinpath(FORMS_PACKAGE_DIR)))
    return [
        CACHE_FORMAT,
        formation_tic.__version__,
        str(profile) if profile is not None else None,
        *(_stat(package / name) for name in _RULE_FILES),
        _stat(profile) if profile is not None else None,
        [_stat(p) for p in (_files(bank) if bank.is_dir() else [bank])],
        [_stat(p) for p in _files(forms)],
    ]


class _StaleCache(ValueError):
    """The file was made from other files than the ones in place now."""


class _Packed(BaseModel):
    """One scenario as the shared file keeps it: the scenario and its texts' HTML."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    scenario: Scenario
    rendered: dict[str, str]


class _Entry(BaseModel):
    """One scenario of the shared file: what a draw needs, and the packed scenario (zlib)."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    id: str
    theme: Theme
    kind: Literal["single", "multiple", "branching"]
    packed: Base64Bytes


def _pack(scenario: Scenario) -> dict[str, Any]:
    rendered = {text: markdown_html(text) for text in markdown_texts(scenario)}
    packed = _Packed(scenario=scenario, rendered=rendered).model_dump_json().encode("utf-8")
    entry = BankEntry.of(scenario)
    return {
        "id": entry.id,
        "theme": entry.theme.value,
        "kind": entry.kind,
        "packed": base64.b64encode(zlib.compress(packed, 9)).decode("ascii"),
    }


def _unpack(packed: bytes) -> Scenario:
    """A packed scenario validated, its renderings kept under the scenario's own strings."""
    data = _Packed.model_validate_json(zlib.decompress(packed))
    remember_rendered({text: data.rendered[text] for text in markdown_texts(data.scenario)})
    return data.scenario


class _CacheFile(BaseModel):
    """The shared file, validated by pydantic-core straight from its JSON text: a kernel builds
    no intermediate dictionaries (they would cost it about a megabyte for good). Each
    scenario stays packed until the page uses it (:class:`~.lazy_bank.LazyBank`).

    Fields validate in this order: the fingerprint first, then the bundled registries, which
    the scenarios' rule references are checked against.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    fingerprint: list[Any]
    bundled: dict[str, Any]
    scenarios: list[_Entry]
    forms: list[FormContent]
    directive: DirectiveInfo

    @field_validator("fingerprint")
    @classmethod
    def _same_files(cls, value: list[Any], info: ValidationInfo) -> list[Any]:
        if info.context is None or value != info.context["fingerprint"]:
            raise _StaleCache("fichiers modifiés depuis")
        return value

    @field_validator("bundled")
    @classmethod
    def _remember(cls, value: dict[str, Any], info: ValidationInfo) -> dict[str, Any]:
        if set(value) != set(BUNDLED_DATA):
            raise ValueError("données intégrées incomplètes")
        if "fingerprint" in info.data:  # the same files' content: rules validate from it
            remember_bundled_data(value)  # (a stale file's would outlive it: never kept)
        return value


def _read(cache: Path, fingerprint: list[Any]) -> SharedContent | None:
    try:
        text = cache.read_bytes()
        # JSON compares lists, not tuples: the fingerprint as it reads once written.
        expected = json.loads(json.dumps(fingerprint))
        data = _CacheFile.model_validate_json(text, context={"fingerprint": expected})
        if not data.forms:
            return None
        items = [(BankEntry(e.id, e.theme, e.kind), e.packed) for e in data.scenarios]
        bank = LazyBank(items, _unpack)
        return SharedContent(scenarios=bank, forms=data.forms, directive=data.directive)
    except (OSError, ValueError, KeyError, TypeError, ValidationError):
        return None


def _write(cache: Path, fingerprint: list[Any], content: SharedContent) -> None:
    """Write the file atomically (a reader sees the old file or the new one, never half)."""
    data = {
        "fingerprint": fingerprint,
        "bundled": {name: bundled_data(name) for name in BUNDLED_DATA},
        "scenarios": [_pack(s) for s in content.scenarios.values()],
        "forms": [f.model_dump(mode="json") for f in content.forms],
        "directive": content.directive.model_dump(mode="json"),
    }
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


def shared_content(bank: Path, profile: Path | None, cache: Path) -> SharedContent:
    """The graded scenarios (never the practice set) rendered with the profile, the bundled
    form's versions and the directive's identity.

    Read from ``cache`` when it was made from the same files; otherwise checked and loaded
    like :func:`scenarios.bank.load_graded_bank`, :func:`attest.form.available_forms` and
    :func:`attest.directive.load_directive` (same errors: ``BankError``, ``ProfileError``,
    ``FormError``), then written to ``cache`` for the next kernels.
    """
    fingerprint = bank_fingerprint(bank, profile)  # before reading: a change meanwhile shows next time
    content = _read(cache, fingerprint)
    if content is not None:
        return content
    from attest.directive import load_directive
    from attest.form import available_forms
    from scenarios.bank import load_graded_bank
    from scenarios.profile import load_profile

    content = SharedContent(
        scenarios={s.id: s for s in load_graded_bank([bank], load_profile(profile))},
        forms=available_forms(),
        directive=load_directive(profile),
    )
    _write(cache, fingerprint, content)
    return content


def shared_graded_bank(bank: Path, profile: Path | None, cache: Path) -> list[Scenario]:
    """The graded scenarios of :func:`shared_content`, each one read."""
    return list(shared_content(bank, profile, cache).scenarios.values())


def warm_shared_bank(bank: Path, profile: Path | None, cache: Path) -> bool:
    """Check the bank once before any learner arrives (``serve`` at startup); True when it loads.

    A bank with problems does not stop the server: each page then shows the learner the
    « momentanément indisponible » message and the server's log names the problems, as before.
    """
    try:
        shared_content(bank, profile, cache)
    except (ValueError, FormError) as exc:  # BankError, ProfileError, FormError
        problems = getattr(exc, "problems", [])
        logger.warning("banque de scénarios inutilisable : %s %s", exc, [str(p) for p in problems[:5]])
        return False
    return True
