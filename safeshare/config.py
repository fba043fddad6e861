"""Settings, read once from the environment.

Embedded mode needs nothing set: data goes to ``var/safeshare.db`` under the
working directory. Scaled mode sets ``SAFESHARE_DATABASE_URL`` to a PostgreSQL URL.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from safeshare.errors import ConfigurationError

PROJECT_ROOT = Path(__file__).resolve().parent.parent
BPMN_DIR = PROJECT_ROOT / "bpmn"


# The demo partnership's police force; a force sets SAFESHARE_FORCE_POSTAL_ADDRESS, lines separated by "|".
DEFAULT_FORCE_ADDRESS = ("Public Protection Unit", "Northfield Police", "PO Box 100", "Northfield", "NF1 1AA")


def _address_lines(name: str) -> tuple[str, ...]:
    return tuple(line.strip() for line in os.environ.get(name, "").split("|") if line.strip())


def default_database_url() -> str:
    return f"sqlite:///{Path.cwd() / 'var' / 'safeshare.db'}"


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
    # The audit chain's witness (safeshare/audit_witness.py): the key that signs it (None: no witness),
    # older keys still accepted when verifying, and the file it is appended to.
    audit_witness_key: str | None = field(default=None, repr=False)
    audit_witness_old_keys: tuple[str, ...] = field(default=(), repr=False)
    audit_witness_file: Path | None = None

    @classmethod
    def from_env(cls) -> Settings:
        return cls(
            database_url=os.environ.get("SAFESHARE_DATABASE_URL") or default_database_url(),
            bpmn_dir=Path(os.environ.get("SAFESHARE_BPMN_DIR") or BPMN_DIR),
            sweep_workers=_positive_int("SAFESHARE_SWEEP_WORKERS"),
            model_code_seconds=_positive_float("SAFESHARE_MODEL_CODE_SECONDS") or 1.0,
            token_days=_positive_int("SAFESHARE_TOKEN_DAYS") or 30,
            force_postal_address=_address_lines("SAFESHARE_FORCE_POSTAL_ADDRESS") or DEFAULT_FORCE_ADDRESS,
            audit_witness_key=os.environ.get("SAFESHARE_AUDIT_WITNESS_KEY") or None,
            audit_witness_old_keys=tuple(
                k.strip() for k in os.environ.get("SAFESHARE_AUDIT_WITNESS_OLD_KEYS", "").split(",") if k.strip()
            ),
            audit_witness_file=Path(os.environ["SAFESHARE_AUDIT_WITNESS_FILE"])
            if os.environ.get("SAFESHARE_AUDIT_WITNESS_FILE")
            else None,
        )


def _positive_int(name: str) -> int | None:
    """A whole number of at least 1 from the environment, or None when unset; anything else stops start-up."""
    value = os.environ.get(name, "").strip()
    if not value:
        return None
    if not value.isdigit() or int(value) < 1:
        raise ConfigurationError(f"{name} must be a whole number of at least 1, not {value!r}", f"Fix or unset {name}")
    return int(value)


def _positive_float(name: str) -> float | None:
    """A number above 0 from the environment, or None when unset; anything else stops start-up."""
    value = os.environ.get(name, "").strip()
    if not value:
        return None
    try:
        number = float(value)
    except ValueError:
        number = -1.0
    if not 0 < number < 3600:
        raise ConfigurationError(f"{name} must be a number of seconds above 0, not {value!r}", f"Fix or unset {name}")
    return number
