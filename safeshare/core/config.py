"""Settings, read once from the environment with pydantic-settings: the one place a ``SAFESHARE_*`` variable is read.

Embedded mode needs nothing set: data goes to ``var/safeshare.db`` under the
working directory. Scaled mode sets ``SAFESHARE_DATABASE_URL`` to a PostgreSQL URL.
:class:`Settings` is a tree: the database and models at the top, then a section per part
(:class:`SmtpSettings` for email, :class:`DeliverySettings` for retries, the session key). Each part is handed
its section by whoever builds it, so nothing below reads the environment itself. (Single sign-on's section,
which needs the roles it maps groups to, is read once by the web app at start-up from ``safeshare/services/sso.py``.)

pydantic-settings parses and checks each value; :meth:`Settings.from_env` is the only reader, so a tree built in
code (a test, a served run's parameters) holds exactly what it was given, and nothing writes the environment.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from contextvars import ContextVar
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, EnvSettingsSource, NoDecode, PydanticBaseSettingsSource, SettingsConfigDict
from pydantic_settings.sources.utils import parse_env_vars

from safeshare.core.errors import ConfigurationError

PROJECT_ROOT = Path(__file__).resolve().parent.parent.parent
BPMN_DIR = PROJECT_ROOT / "bpmn"


# The demo partnership's police force; a force sets SAFESHARE_FORCE_POSTAL_ADDRESS, lines separated by "|".
DEFAULT_FORCE_ADDRESS = ("Public Protection Unit", "Northfield Police", "PO Box 100", "Northfield", "NF1 1AA")


def default_database_url() -> str:
    """``var/safeshare.db`` under the working folder; where only the demo's ``var/demo.db`` exists, that one,
    so that after ``make demo`` the server, the CLI and the demo all open the same data."""
    var = Path.cwd() / "var"
    if not (var / "safeshare.db").exists() and (var / "demo.db").exists():
        return f"sqlite:///{var / 'demo.db'}"
    return f"sqlite:///{var / 'safeshare.db'}"


MIN_SECRET_KEY_LENGTH = 32

# The environment ``from_env`` reads: set only while it runs, so a section built directly (tests, the
# sweep's helpers from their parent's tree) holds exactly what it was given, never a hidden environment read.
_READING: ContextVar[Mapping[str, str] | None] = ContextVar("safeshare_settings_environment", default=None)

_SectionT = TypeVar("_SectionT", bound="_Section")


class _GivenEnvironment(EnvSettingsSource):
    """pydantic-settings' environment source, reading the mapping ``from_env`` was given."""

    def _load_env_vars(self) -> Mapping[str, str | None]:
        environ = _READING.get()
        if environ is None:
            return {}
        return parse_env_vars(environ, self.case_sensitive, self.env_ignore_empty, self.env_parse_none_str)


class _Section(BaseSettings):
    """A part of the tree: its variables share a prefix; it is frozen, and a bad value stops start-up."""

    model_config = SettingsConfigDict(frozen=True, extra="ignore")

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return init_settings, _GivenEnvironment(settings_cls, case_sensitive=False, env_ignore_empty=True)

    @classmethod
    def _read(cls: type[_SectionT], environ: Mapping[str, str] | None, **given: Any) -> _SectionT:
        """The section from ``environ`` (the process's environment when None), with ``given`` parts on top."""
        token = _READING.set(os.environ if environ is None else environ)
        try:
            return cls(**given)
        except ValidationError as exc:
            raise _configuration_error(cls, exc) from exc
        finally:
            _READING.reset(token)


def _configuration_error(section: type[_Section], exc: ValidationError) -> ConfigurationError:
    """The first problem, named by its variable, in words a deployer can act on."""
    error = exc.errors()[0]
    field_name = str(error["loc"][0]) if error["loc"] else ""
    prefix = str(section.model_config.get("env_prefix") or "")
    variable = f"{prefix}{field_name}".upper() if field_name else prefix.rstrip("_")
    message = str(error["msg"]).removeprefix("Value error, ")
    limits = error.get("ctx") or {}
    words = {
        "int_parsing": f"is not a whole number: {error.get('input')!r}",
        "int_from_float": f"is not a whole number: {error.get('input')!r}",
        "float_parsing": f"is not a number: {error.get('input')!r}",
        "greater_than": f"must be more than {limits.get('gt')}, not {error.get('input')!r}",
        "greater_than_equal": f"must be at least {limits.get('ge')}, not {error.get('input')!r}",
        "less_than": f"must be less than {limits.get('lt')}, not {error.get('input')!r}",
        "literal_error": f"must be {limits.get('expected')}, not {error.get('input')!r}",
    }
    if not field_name:  # a rule across two settings: its message names them
        return ConfigurationError(message, "Fix the settings it names")
    return ConfigurationError(f"{variable} {words.get(error['type'], message)}", f"Fix or unset {variable}")


class SmtpSettings(_Section):
    """The SMTP server email goes through (``SAFESHARE_SMTP_*``; see notifications/channels/email.py)."""

    model_config = SettingsConfigDict(env_prefix="SAFESHARE_SMTP_", populate_by_name=True)

    host: str
    port: int = 587  # unset: by the security mode, 465 for TLS and 587 otherwise
    security: Literal["starttls", "tls", "none"] = "starttls"
    username: str | None = None
    password: str | None = Field(default=None, repr=False)
    sender: str = Field(default="safeshare@localhost", validation_alias="SAFESHARE_SMTP_FROM")
    timeout: float = Field(default=20.0, gt=0)

    @field_validator("security", mode="before")
    @classmethod
    def _lower(cls, value: object) -> object:
        return value.lower() if isinstance(value, str) else value

    @model_validator(mode="before")
    @classmethod
    def _port_by_security(cls, data: Any) -> Any:
        if isinstance(data, dict) and not data.get("port"):
            tls = str(data.get("security") or "").lower() == "tls"
            return {**data, "port": 465 if tls else 587}
        return data

    @model_validator(mode="after")
    def _password_with_username(self) -> SmtpSettings:
        if self.username and self.password is None:
            raise ValueError("SAFESHARE_SMTP_USERNAME is set without SAFESHARE_SMTP_PASSWORD")
        return self

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> SmtpSettings | None:
        """The configured server, or ``None`` when ``SAFESHARE_SMTP_HOST`` is not set."""
        environ = os.environ if env is None else env
        if not environ.get("SAFESHARE_SMTP_HOST"):
            return None
        return cls._read(environ)


class DeliverySettings(_Section):
    """How often and how patiently a message is retried (``SAFESHARE_DELIVERY_*``; notifications/delivery.py)."""

    model_config = SettingsConfigDict(env_prefix="SAFESHARE_DELIVERY_")

    max_attempts: int = Field(default=6, ge=1)
    backoff_seconds: float = Field(default=60.0, gt=0)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> DeliverySettings:
        return cls._read(env)


class Settings(_Section):
    """Everything configurable, as one frozen tree. Secrets (SMTP password, session key) only ever come from
    the environment; the tree is handed to whatever needs a part of it, also to the sweep's helper processes."""

    model_config = SettingsConfigDict(env_prefix="SAFESHARE_")

    database_url: str = Field(default_factory=default_database_url)
    bpmn_dir: Path = BPMN_DIR
    # Timer sweep workers run at once on PostgreSQL (None: the sweep's default; SQLite always runs one).
    sweep_workers: int | None = Field(default=None, ge=1)
    # Seconds of model code (scripts, conditions, DMN cells) one engine step may run: see workflows/budget.py.
    model_code_seconds: float = Field(default=1.0, gt=0, lt=3600)
    # Days an API token lasts from when it is issued (it can be revoked before then).
    token_days: int = Field(default=30, ge=1)
    # The police force's postal address, printed on scheme letters: lines separated by "|".
    force_postal_address: Annotated[tuple[str, ...], NoDecode] = DEFAULT_FORCE_ADDRESS
    # Email: None until an SMTP server is configured (messages then wait in the outbox, never dropped).
    smtp: SmtpSettings | None = None
    delivery: DeliverySettings = Field(default_factory=DeliverySettings)
    # The key that signs session cookies; None: one generated once into var/secret_key (web/secret.py).
    secret_key: str | None = Field(default=None, repr=False, min_length=MIN_SECRET_KEY_LENGTH)
    # Where `safeshare scheduler` keeps its local Prefect server's history when PREFECT_API_URL is unset.
    prefect_home: Path = Field(default_factory=lambda: Path.cwd() / "var" / "prefect")
    # The audit chain's witness (safeshare/core/audit_witness.py): the key that signs it (None: no witness),
    # older keys still accepted when verifying (comma-separated), and the file it is appended to.
    audit_witness_key: str | None = Field(default=None, repr=False)
    audit_witness_old_keys: Annotated[tuple[str, ...], NoDecode] = Field(default=(), repr=False)
    audit_witness_file: Path | None = None
    # A JSON file changing how many years kinds of record are kept (safeshare/services/retention_schedule.py).
    retention_file: Path | None = None

    @field_validator("force_postal_address", mode="before")
    @classmethod
    def _address_lines(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(line.strip() for line in value.split("|") if line.strip()) or DEFAULT_FORCE_ADDRESS
        return value

    @field_validator("audit_witness_old_keys", mode="before")
    @classmethod
    def _keys(cls, value: object) -> object:
        return tuple(k.strip() for k in value.split(",") if k.strip()) if isinstance(value, str) else value

    @field_validator("secret_key", mode="before")
    @classmethod
    def _long_enough(cls, value: object) -> object:
        if isinstance(value, str) and len(value) < MIN_SECRET_KEY_LENGTH:
            raise ValueError(
                f"is too short ({len(value)} characters): use at least {MIN_SECRET_KEY_LENGTH} random characters, "
                "e.g. from 'python -c \"import secrets; print(secrets.token_urlsafe(48))\"'"
            )
        return value

    @field_validator("sweep_workers", "token_days", mode="before")
    @classmethod
    def _whole_number(cls, value: object) -> object:
        if isinstance(value, str) and not (value.strip().isdigit() and int(value) >= 1):
            raise ValueError(f"must be a whole number of at least 1, not {value!r}")
        return value

    @field_validator("model_code_seconds", mode="before")
    @classmethod
    def _seconds(cls, value: object) -> object:
        if isinstance(value, str):
            try:
                number = float(value)
            except ValueError:
                number = -1.0
            if not 0 < number < 3600:
                raise ValueError(f"must be a number of seconds above 0, not {value!r}")
        return value

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """The whole tree from one environment (the process's own when None): read once, at start-up."""
        return cls._read(environ, smtp=SmtpSettings.from_env(environ), delivery=DeliverySettings.from_env(environ))

    def replace(self, **changes: Any) -> Settings:
        """A copy with some settings changed (the CLI's options, a served run's parameters), validated again."""
        return Settings.model_validate(self.model_dump() | changes)
