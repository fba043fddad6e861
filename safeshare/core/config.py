"""Settings, read once from the environment: the one place a ``SAFESHARE_*`` variable is read.

Embedded mode needs nothing set: data goes to ``var/safeshare.db`` under the
working directory. Scaled mode sets ``SAFESHARE_DATABASE_URL`` to a PostgreSQL URL.
:class:`Settings` is a tree: the database and models at the top, then a section per part
(:class:`SmtpSettings` for email, :class:`DeliverySettings` for retries, the session key). Each part is handed
its section by whoever builds it, so nothing below reads the environment itself. (Single sign-on and the
retention schedule read their own sections with an injectable environment: ``safeshare/services/sso.py`` and
``safeshare/services/retention_schedule.py``.)
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from safeshare.core.errors import ConfigurationError

PROJECT_ROOT = Path(__file__).resolve().parent.parent.parent
BPMN_DIR = PROJECT_ROOT / "bpmn"


# The demo partnership's police force; a force sets SAFESHARE_FORCE_POSTAL_ADDRESS, lines separated by "|".
DEFAULT_FORCE_ADDRESS = ("Public Protection Unit", "Northfield Police", "PO Box 100", "Northfield", "NF1 1AA")


def _address_lines(env: Mapping[str, str], name: str) -> tuple[str, ...]:
    return tuple(line.strip() for line in env.get(name, "").split("|") if line.strip())


def default_database_url() -> str:
    """``var/safeshare.db`` under the working folder; where only the demo's ``var/demo.db`` exists, that one,
    so that after ``make demo`` the server, the CLI and the demo all open the same data."""
    var = Path.cwd() / "var"
    if not (var / "safeshare.db").exists() and (var / "demo.db").exists():
        return f"sqlite:///{var / 'demo.db'}"
    return f"sqlite:///{var / 'safeshare.db'}"


SECURITY_MODES = ("starttls", "tls", "none")


@dataclass(frozen=True)
class SmtpSettings:
    """The SMTP server email goes through (``SAFESHARE_SMTP_*``; see notifications/channels/email.py)."""

    host: str
    port: int
    security: str = "starttls"
    username: str | None = None
    password: str | None = None
    sender: str = "safeshare@localhost"
    timeout: float = 20.0

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> SmtpSettings | None:
        """The configured server, or ``None`` when ``SAFESHARE_SMTP_HOST`` is not set."""
        env = os.environ if env is None else env
        host = env.get("SAFESHARE_SMTP_HOST")
        if not host:
            return None
        security = env.get("SAFESHARE_SMTP_SECURITY", "starttls").lower()
        if security not in SECURITY_MODES:
            raise ConfigurationError(
                f"SAFESHARE_SMTP_SECURITY is {security!r}", f"Set it to one of {', '.join(SECURITY_MODES)}"
            )
        try:
            port = int(env.get("SAFESHARE_SMTP_PORT") or (465 if security == "tls" else 587))
            timeout = float(env.get("SAFESHARE_SMTP_TIMEOUT") or 20)
        except ValueError as exc:
            raise ConfigurationError(f"An SMTP setting is not a number: {exc}", "Fix SAFESHARE_SMTP_*") from exc
        username = env.get("SAFESHARE_SMTP_USERNAME") or None
        password = env.get("SAFESHARE_SMTP_PASSWORD") or None
        if username and password is None:
            raise ConfigurationError("SAFESHARE_SMTP_USERNAME is set without a password", "Set SAFESHARE_SMTP_PASSWORD")
        return cls(host=host, port=port, security=security, username=username, password=password,
                   sender=env.get("SAFESHARE_SMTP_FROM") or "safeshare@localhost", timeout=timeout)


@dataclass(frozen=True)
class DeliverySettings:
    """How often and how patiently a message is retried (``SAFESHARE_DELIVERY_*``; notifications/delivery.py)."""

    max_attempts: int = 6
    backoff_seconds: float = 60.0

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> DeliverySettings:
        env = os.environ if env is None else env
        try:
            attempts = int(env.get("SAFESHARE_DELIVERY_MAX_ATTEMPTS") or cls.max_attempts)
            base = float(env.get("SAFESHARE_DELIVERY_BACKOFF_SECONDS") or cls.backoff_seconds)
        except ValueError as exc:
            raise ConfigurationError(f"A delivery setting is not a number: {exc}", "Fix SAFESHARE_DELIVERY_*") from exc
        if attempts < 1 or base <= 0:
            raise ConfigurationError("Delivery needs at least 1 attempt and a positive back-off", "Fix the settings")
        return cls(max_attempts=attempts, backoff_seconds=base)


@dataclass(frozen=True)
class Settings:
    """Everything configurable. Secrets (SMTP password, session key) only ever come from the environment."""

    database_url: str = field(default_factory=default_database_url)
    bpmn_dir: Path = BPMN_DIR
    # Timer sweep workers run at once on PostgreSQL (None: the sweep's default; SQLite always runs one).
    sweep_workers: int | None = None
    # Seconds of model code (scripts, conditions, DMN cells) one engine step may run: see workflows/budget.py.
    model_code_seconds: float = 1.0
    # Days an API token lasts from when it is issued (it can be revoked before then).
    token_days: int = 30
    # The police force's postal address, printed on scheme letters (one line per item).
    force_postal_address: tuple[str, ...] = DEFAULT_FORCE_ADDRESS
    # Email: None until an SMTP server is configured (messages then wait in the outbox, never dropped).
    smtp: SmtpSettings | None = None
    delivery: DeliverySettings = field(default_factory=DeliverySettings)
    # The key that signs session cookies; None: one generated once into var/secret_key (web/secret.py).
    secret_key: str | None = field(default=None, repr=False)
    # Where `safeshare scheduler` keeps its local Prefect server's history when PREFECT_API_URL is unset.
    prefect_home: Path = field(default_factory=lambda: Path.cwd() / "var" / "prefect")
    # The audit chain's witness (safeshare/core/audit_witness.py): the key that signs it (None: no witness),
    # older keys still accepted when verifying, and the file it is appended to.
    audit_witness_key: str | None = field(default=None, repr=False)
    audit_witness_old_keys: tuple[str, ...] = field(default=(), repr=False)
    audit_witness_file: Path | None = None

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        return cls(
            database_url=env.get("SAFESHARE_DATABASE_URL") or default_database_url(),
            bpmn_dir=Path(env.get("SAFESHARE_BPMN_DIR") or BPMN_DIR),
            sweep_workers=_positive_int(env, "SAFESHARE_SWEEP_WORKERS"),
            model_code_seconds=_positive_float(env, "SAFESHARE_MODEL_CODE_SECONDS") or 1.0,
            token_days=_positive_int(env, "SAFESHARE_TOKEN_DAYS") or 30,
            force_postal_address=_address_lines(env, "SAFESHARE_FORCE_POSTAL_ADDRESS") or DEFAULT_FORCE_ADDRESS,
            smtp=SmtpSettings.from_env(env),
            delivery=DeliverySettings.from_env(env),
            secret_key=_secret_key(env),
            prefect_home=Path(env.get("SAFESHARE_PREFECT_HOME") or Path.cwd() / "var" / "prefect"),
            audit_witness_key=env.get("SAFESHARE_AUDIT_WITNESS_KEY") or None,
            audit_witness_old_keys=tuple(
                k.strip() for k in env.get("SAFESHARE_AUDIT_WITNESS_OLD_KEYS", "").split(",") if k.strip()
            ),
            audit_witness_file=Path(env["SAFESHARE_AUDIT_WITNESS_FILE"])
            if env.get("SAFESHARE_AUDIT_WITNESS_FILE")
            else None,
        )


MIN_SECRET_KEY_LENGTH = 32


def _secret_key(env: Mapping[str, str]) -> str | None:
    value = env.get("SAFESHARE_SECRET_KEY", "")
    if not value:
        return None
    if len(value) < MIN_SECRET_KEY_LENGTH:
        raise ConfigurationError(
            f"SAFESHARE_SECRET_KEY is too short ({len(value)} characters)",
            f"Use at least {MIN_SECRET_KEY_LENGTH} random characters, e.g. from 'python -c \"import secrets; "
            "print(secrets.token_urlsafe(48))\"'",
        )
    return value


def _positive_int(env: Mapping[str, str], name: str) -> int | None:
    """A whole number of at least 1 from the environment, or None when unset; anything else stops start-up."""
    value = env.get(name, "").strip()
    if not value:
        return None
    if not value.isdigit() or int(value) < 1:
        raise ConfigurationError(f"{name} must be a whole number of at least 1, not {value!r}", f"Fix or unset {name}")
    return int(value)


def _positive_float(env: Mapping[str, str], name: str) -> float | None:
    """A number above 0 from the environment, or None when unset; anything else stops start-up."""
    value = env.get(name, "").strip()
    if not value:
        return None
    try:
        number = float(value)
    except ValueError:
        number = -1.0
    if not 0 < number < 3600:
        raise ConfigurationError(f"{name} must be a number of seconds above 0, not {value!r}", f"Fix or unset {name}")
    return number
