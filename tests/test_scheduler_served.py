"""``safeshare scheduler`` as an operator runs it: served by Prefect, each tick in a fresh process.

The served runs learn the database from the deployment's parameters, not from an environment the scheduler
writes for them: the scheduler's own environment is left as it was given (issue #11).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from safeshare.app import App
from safeshare.cli.scheduler_cmds import _served_parameters
from safeshare.core.errors import SafeshareError
from tests.builders import Scenario
from tests.scheduling_support import start_fixture, timers

pytest_plugins = ["tests.scheduling_fixtures"]  # timer_app, timer_scenario

SCHEDULER = "from safeshare.cli import main; main()"


def test_a_database_password_never_goes_into_prefects_history() -> None:
    assert _served_parameters("sqlite:///var/x.db", None, None) == {"database_url": "sqlite:///var/x.db"}
    assert _served_parameters("postgresql+psycopg://u:secret@db/s", None, 3) == {"sweep_workers": 3}
    with pytest.raises(SafeshareError, match="holds a password"):
        _served_parameters("postgresql+psycopg://u:secret@db/s", "postgresql+psycopg://u:secret@db/s", None)


def test_served_ticks_fire_a_due_timer_in_the_database_given_on_the_command_line(
    timer_app: App, timer_scenario: Scenario, tmp_path: Path
) -> None:
    case_id, _ = timer_scenario.open_case(12)
    iid = start_fixture(timer_scenario, case_id, "immediate_risk")  # due an hour after the test clock: long past
    assert all(t.fired_at is None for t in timers(timer_app, iid))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SAFESHARE_", "PREFECT_"))}
    env |= {"SAFESHARE_BPMN_DIR": str(timer_app.models.bpmn_dir), "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}
    command = [sys.executable, "-c", SCHEDULER, "scheduler", "--interval", "5",
               "--database-url", timer_app.settings.database_url]
    log = tmp_path / "scheduler.log"
    with log.open("wb") as out:
        process = subprocess.Popen(command, cwd=tmp_path, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 150
        while time.monotonic() < deadline and not any(t.fired_at for t in timers(timer_app, iid)):
            assert process.poll() is None, log.read_text()
            time.sleep(1)
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
    fired = [t for t in timers(timer_app, iid) if t.fired_at]
    assert fired, f"no timer fired within 150 s; the scheduler said:\n{log.read_text()}"
    assert "starting a local Prefect server" in log.read_text()


def test_nothing_of_ours_writes_the_environment_at_run_time() -> None:
    """Settings are read once and passed on; a write to ``os.environ`` would be a second, hidden channel."""
    import re

    root = Path(__file__).resolve().parent.parent
    write = re.compile(r"os\.environ(\[[^\]]+\]\s*=(?!=)|\.(setdefault|update|pop|clear)\()|os\.putenv\(")
    offenders = [
        f"{path.relative_to(root)}:{number}"
        for folder in ("safeshare", "workflows", "tasks", "notifications", "web", "rules", "analysis")
        for path in sorted((root / folder).rglob("*.py"))
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if write.search(line)
    ]
    assert offenders == []
