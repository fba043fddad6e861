"""The ``safeshare`` command: the demo, and the everyday commands for administrators and scripts.

Each command module registers itself on :data:`app`; every command turns a
:class:`~safeshare.core.errors.SafeshareError` into a one-line message and exit code 1.
"""

from __future__ import annotations

from safeshare.cli.root import app, friendly_errors

__all__ = ["app", "friendly_errors", "main"]


def _register() -> None:
    from safeshare.cli import (  # noqa: F401
        admin_cmds,
        case_cmds,
        consent_cmds,
        demo_cmd,
        list_cmds,
        model_cmds,
        report_cmds,
        retention_cmds,
        scheduler_cmds,
        task_cmds,
        team_cmds,
        training_cmds,
        web_cmds,
    )


def main() -> None:
    _register()
    app(prog_name="safeshare")


if __name__ == "__main__":  # pragma: no cover
    main()
