"""The one settings root of formation-tic.

Every command, the learner kernels and the manager dashboard read the same :class:`Settings`:
the data directory, the establishment profile, the course content, and one section per
package (``app``, ``attest``, ``lrs``, ``hr``, ``lti``). Values come, highest first, from the
arguments given to :func:`load_settings`, the environment (``FORMATION_TIC_…``; sections:
``FORMATION_TIC_LRS_ENDPOINT``, ``FORMATION_TIC_APP_PORT``…), an optional TOML file
(``--config`` or ``FORMATION_TIC_CONFIG``) and the defaults below.

This is the only module that spells a default path: :class:`DataPaths` derives every file
the module reads or writes from the data directory. Library packages receive paths and
their own section as arguments and never read the environment.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

import scenarios
from attest.settings import AttestSettings
from lrs_export.local_lrs import load_connection
from lrs_export.settings import LrsSettings
from scenarios.wording import agree

from .app.settings import LearnerAppSettings
from .data_paths import DataPaths
from .hr.settings import HrSettings
from .lti.settings import LtiSettings

ENV_PREFIX = "FORMATION_TIC_"
CONFIG_ENV = "FORMATION_TIC_CONFIG"
"""Environment variable naming the optional TOML configuration file."""
KERNEL_CONFIG_ENV = "FORMATION_TIC_KERNEL_CONFIG"
"""Set by ``serve`` for its kernels: the resolved settings file they load (no secrets in it)."""

BUNDLED_BANK = Path(scenarios.__file__).resolve().parent / "bank"
"""The scenario bank shipped with the package."""
BUNDLED_BOOK = Path(scenarios.__file__).resolve().parent.parent / "book"
"""The book sources shipped beside the packages."""


class SettingsError(ValueError):
    """The configuration is invalid or its data directory unusable (French message)."""


@dataclass(frozen=True)
class EffectiveLrs:
    """The LRS the commands talk to, and where that choice came from."""

    settings: LrsSettings
    source: str
    """« configuré », « démonstration » (started by serve) or « aucun »."""


class Settings(BaseSettings):
    """The configuration of one formation-tic installation."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_nested_delimiter="_",
        env_nested_max_split=1,
        extra="forbid",
        validate_default=True,
    )
    _config_file: ClassVar[Path | None] = None

    data_dir: Path = Field(default=Path("var"), description="Where every data file is kept.")
    profile: Path | None = Field(
        default=None, description="Establishment profile (YAML); None = the bundled one."
    )
    bank: Path = Field(default=BUNDLED_BANK, description="Scenario bank (folder of YAML files).")
    book: Path = Field(default=BUNDLED_BOOK, description="Book sources (Jupyter Book 1.x).")
    app: LearnerAppSettings = Field(default_factory=LearnerAppSettings)
    attest: AttestSettings = Field(default_factory=AttestSettings)
    lrs: LrsSettings = Field(default_factory=LrsSettings)
    hr: HrSettings = Field(default_factory=HrSettings)
    lti: LtiSettings = Field(default_factory=LtiSettings)

    @field_validator("data_dir", "bank", "book")
    @classmethod
    def _absolute(cls, value: Path) -> Path:
        return value.expanduser().resolve()

    @field_validator("profile")
    @classmethod
    def _absolute_profile(cls, value: Path | None) -> Path | None:
        return value.expanduser().resolve() if value is not None else None

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        if cls._config_file is not None:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=cls._config_file))
        return tuple(sources)

    @property
    def paths(self) -> DataPaths:
        """Every derived path."""
        return DataPaths(self.data_dir)

    def verification_key_paths(self) -> list[Path]:
        """Certificates or public keys that verify the register: the current one, then older ones."""
        own = [p for p in (self.paths.certificate, self.paths.public_key) if p.exists()][:1]
        return [*own, *self.hr.public_key_paths]

    def effective_lrs(self) -> EffectiveLrs:
        """The configured LRS, else the demo LRS that ``serve`` is running, else none."""
        if self.lrs.configured:
            return EffectiveLrs(self.lrs, "configuré")
        demo = load_connection(self.paths.demo_lrs_connection, self.lrs)
        if demo is not None:
            return EffectiveLrs(demo, "démonstration")
        return EffectiveLrs(self.lrs, "aucun")

    def kernel_json(self) -> str:
        """The resolved settings for a kernel, secrets left out (kernels read those from the env)."""
        # Kernels never use the lti section (the server verifies launches): they get its defaults.
        data = self.model_dump(mode="json", exclude={"lrs": {"password", "username"}, "lti": True})
        data["attest"].pop("private_key_passphrase", None)
        return json.dumps(data, ensure_ascii=False, indent=1)


FRENCH_ERRORS = {
    "extra_forbidden": "réglage inconnu (faute de frappe ?)",
    "missing": "valeur obligatoire",
    "int_parsing": "nombre entier attendu",
    "int_from_float": "nombre entier attendu",
    "float_parsing": "nombre attendu",
    "bool_parsing": "true ou false attendu",
    "literal_error": "valeur permise : {expected}",
    "greater_than": "doit être plus grand que {gt}",
    "greater_than_equal": "doit être au moins {ge}",
    "less_than": "doit être plus petit que {lt}",
    "less_than_equal": "doit être au plus {le}",
    "path_type": "chemin de fichier attendu",
    "string_type": "texte attendu",
    "list_type": 'liste attendue (JSON, par exemple ["a.pem"])',
    "json_invalid": "JSON invalide",
}
"""French wording of pydantic's error types (the others keep pydantic's message)."""


def _message(error: Any) -> str:
    """One validation error in French."""
    if error["type"] == "value_error":  # our validators already speak French
        return str(error["msg"]).removeprefix("Value error, ")
    template = FRENCH_ERRORS.get(error["type"])
    if template is None:
        return str(error["msg"])
    try:
        return template.format(**error.get("ctx", {}))
    except (KeyError, IndexError):
        return template


def _describe(exc: ValidationError) -> str:
    parts = []
    for error in exc.errors()[:5]:
        where = ".".join(str(p) for p in error["loc"])
        env = ENV_PREFIX + "_".join(str(p) for p in error["loc"]).upper()
        parts.append(f"{where} ({env}) : {_message(error)}")
    return "configuration invalide : " + " ; ".join(parts)


def unknown_variables(environ: Mapping[str, str]) -> list[str]:
    """``FORMATION_TIC_…`` variables that name no setting (a typo would be silently ignored)."""
    known = {ENV_PREFIX + name.upper() for name in Settings.model_fields}
    known |= {CONFIG_ENV, KERNEL_CONFIG_ENV}
    sections = tuple(ENV_PREFIX + name.upper() + "_" for name in ("app", "attest", "lrs", "hr", "lti"))
    return sorted(
        name
        for name in environ
        if name.upper().startswith(ENV_PREFIX)
        and name.upper() not in known
        and not name.upper().startswith(sections)
    )


def load_settings(
    config_file: Path | None = None,
    *,
    create_data_dir: bool = True,
    **overrides: Any,
) -> Settings:
    """Build the settings (overrides > environment > TOML file > defaults) and check the data dir.

    A missing data directory is created; one that cannot be written is a :class:`SettingsError`
    before anything starts. A profile that does not load is a :class:`SettingsError` too.
    """
    unknown = unknown_variables(os.environ)
    if unknown:
        what = agree(len(unknown), "variable d'environnement inconnue", "variables d'environnement inconnues")
        raise SettingsError(f"{what} : {', '.join(unknown)} (faute de frappe ?)")
    if config_file is None and os.environ.get(CONFIG_ENV):
        config_file = Path(os.environ[CONFIG_ENV])
    if config_file is not None and not config_file.is_file():
        raise SettingsError(f"fichier de configuration introuvable : {config_file}")

    class _Loaded(Settings):
        _config_file = config_file

    try:
        loaded = _Loaded(**{k: v for k, v in overrides.items() if v is not None})
        settings = Settings.model_validate(loaded.model_dump())
    except ValidationError as exc:
        raise SettingsError(_describe(exc)) from None
    except (OSError, ValueError) as exc:  # unreadable or invalid TOML
        raise SettingsError(f"fichier de configuration illisible ({config_file}) : {exc}") from None
    if create_data_dir:
        ensure_data_dir(settings.data_dir)
    check_profile(settings.profile)
    return settings


def ensure_data_dir(path: Path) -> None:
    """Create the data directory if needed; refuse one that cannot be written (French message)."""
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise SettingsError(
            f"dossier de données impossible à créer : {path} ({exc.strerror}). "
            "Choisissez-en un autre avec FORMATION_TIC_DATA_DIR."
        ) from None
    if not path.is_dir() or not os.access(path, os.W_OK | os.X_OK):
        raise SettingsError(
            f"dossier de données non accessible en écriture : {path}. "
            "Corrigez ses droits ou choisissez-en un autre avec FORMATION_TIC_DATA_DIR."
        )


def check_profile(path: Path | None) -> None:
    """Load the establishment profile once so that a bad file stops every command early."""
    from scenarios.profile import ProfileError, load_profile

    try:
        load_profile(path)
    except ProfileError as exc:
        raise SettingsError(str(exc)) from None


def kernel_settings(environ: dict[str, str] | os._Environ[str]) -> Settings:
    """The settings of a learner or dashboard kernel: the file ``serve`` wrote, plus secrets.

    Secrets (the signing key's passphrase) are the only values still read from the environment.
    """
    path = environ.get(KERNEL_CONFIG_ENV)
    if not path:
        raise SettingsError(f"{KERNEL_CONFIG_ENV} absent : ce noyau n'a pas été lancé par formation-tic")
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    secret = environ.get(ENV_PREFIX + "ATTEST_PRIVATE_KEY_PASSPHRASE")
    if secret:
        data["attest"]["private_key_passphrase"] = secret
    return Settings.model_validate(data)


def write_kernel_config(settings: Settings) -> Path:
    """Write the kernels' settings file (mode 0600) and return its path."""
    path = settings.paths.kernel_config
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(settings.kernel_json())
    return path


__all__ = [
    "BUNDLED_BANK",
    "BUNDLED_BOOK",
    "DataPaths",
    "EffectiveLrs",
    "Settings",
    "SettingsError",
    "ensure_data_dir",
    "kernel_settings",
    "load_settings",
    "write_kernel_config",
]
