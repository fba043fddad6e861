"""Dead code check for `make lint`: vulture over the code and the tests, failing on anything unused.

Why a script and not vulture's command line: vulture's 60 % findings mix real dead code (a
function, method, class or import nobody calls) with names a framework reads by itself (ORM
columns, Pydantic fields, enum members, attributes set on records). We fail on every finding of
the first kind and on everything vulture is sure of (80 % and up: unused imports, arguments,
unreachable code), and leave attributes and variables at 60 % alone instead of keeping a
whitelist of hundreds of column names. The few hooks a library calls by name are listed below,
each with the library that calls it.

Run: `python tools/dead_code.py` (exit code 1 and one line per finding when something is dead).
"""

from __future__ import annotations

import sys
from pathlib import Path

import vulture

ROOT = Path(__file__).resolve().parent.parent
PATHS = ["safeshare", "workflows", "tasks", "notifications", "web", "rules", "analysis", "tests", "bench", "tools"]
EXCLUDE = [
    "safeshare/core/migrations/versions",  # Alembic reads revision, down_revision, upgrade and downgrade by name
    "tests/oidc_provider.py",  # Authlib's server calls its grant and client methods by name
]
# Decorated functions are called by the framework that registered them.
IGNORE_DECORATORS = [
    "@*.command",
    "@*.callback",
    "@*.listens_for",
    "@*.get",
    "@*.post",
    "@*.put",
    "@*.delete",
    "@*.patch",
    "@*.exception_handler",
    "@*.middleware",
    "@pytest.fixture",
    "@*.fixture",
    "@field_validator",
    "@model_validator",
    "@flow",
    "@task",
    "@*.setter",
    "@property",
]
# Names a library calls on our objects (the library in brackets).
IGNORE_NAMES = [
    "call_service",  # SpiffWorkflow's script engine
    "visit_*",  # ast.NodeVisitor
    "process_bind_param",  # SQLAlchemy TypeDecorator
    "process_result_value",  # SQLAlchemy TypeDecorator
    "handle_DATA",  # aiosmtpd handler
    "NoCyclesContract",  # import-linter, named in pyproject.toml
    "render_broken_contract",  # import-linter
    "verbose",  # import-linter's Contract.check signature
    "pytest_plugins",  # pytest
    "pytestmark",  # pytest
    "should_exit",  # uvicorn.Server
    "model_config",  # Pydantic
    "settings_customise_sources",  # pydantic-settings, with its fixed signature:
    "env_settings",
    "dotenv_settings",
    "file_secret_settings",
    "_load_env_vars",  # pydantic-settings' EnvSettingsSource
    "valid_data_not_refused_by_request_checks",  # schemathesis hook, named in schemathesis.toml
]
ALWAYS_REPORTED = {"function", "method", "class", "import", "unreachable_code"}


def dead_code() -> list[str]:
    """One line per finding: definitions nobody uses, and anything vulture is at least 80 % sure of."""
    scanner = vulture.Vulture(ignore_names=IGNORE_NAMES, ignore_decorators=IGNORE_DECORATORS)
    scanner.scavenge([str(ROOT / p) for p in PATHS], exclude=[str(ROOT / e) for e in EXCLUDE])
    findings = []
    for item in scanner.get_unused_code(min_confidence=60, sort_by_size=False):
        if item.typ in ALWAYS_REPORTED or item.confidence >= 80:
            findings.append(item.get_report(add_size=False).replace(str(ROOT) + "/", ""))
    return findings


def main() -> int:
    findings = dead_code()
    for line in findings:
        print(line)
    if findings:
        print(f"{len(findings)} unused: delete them, or name the library that calls them in tools/dead_code.py")
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main())
