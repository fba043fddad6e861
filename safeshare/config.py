"""Settings, read once from the environment.

Embedded mode needs nothing set: data goes to ``var/safeshare.db`` under the
working directory. Scaled mode sets ``SAFESHARE_DATABASE_URL`` to a PostgreSQL URL.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
BPMN_DIR = PROJECT_ROOT / "bpmn"


def default_database_url() -> str:
    return f"sqlite:///{Path.cwd() / 'var' / 'safeshare.db'}"


@dataclass(frozen=True)
class Settings:
    """Everything configurable. Secrets (SMTP password, session key) only ever come from the environment."""

    database_url: str = field(default_factory=default_database_url)
    bpmn_dir: Path = BPMN_DIR

    @classmethod
    def from_env(cls) -> Settings:
        return cls(
            database_url=os.environ.get("SAFESHARE_DATABASE_URL") or default_database_url(),
            bpmn_dir=Path(os.environ.get("SAFESHARE_BPMN_DIR") or BPMN_DIR),
        )
