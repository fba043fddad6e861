"""The real Prefect flows (issue #4), run through Prefect's engine against a test API server: a due reminder is
fired and its email delivered to a real SMTP server, and the runs are recorded in Prefect's history."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from notifications.channels.email import EmailChannel
from safeshare.app import App
from safeshare.core.clock import FixedClock
from tests.builders import Scenario
from tests.scheduling_support import Mailbox, notes, open_specs, start_fixture, timers
from workflows import flows

pytest_plugins = ["tests.scheduling_fixtures"]  # timer_app, timer_scenario, smtp_server


@pytest.fixture
def configured(timer_app: App) -> Iterator[App]:
    yield timer_app
    flows.configure(None)


async def _runs() -> list[tuple[str, str]]:
    from prefect.client.orchestration import get_client

    async with get_client() as client:
        runs = await client.read_flow_runs()
        names = {f.id: f.name for f in await client.read_flows()}
    return sorted((names[r.flow_id], r.state.type.value if r.state else "") for r in runs)


@pytest.mark.usefixtures("prefect_api")
def test_the_tick_flow_fires_a_reminder_and_delivers_its_email(
    configured: App, timer_scenario: Scenario, smtp_server: tuple[Mailbox, object]
) -> None:
    mailbox, settings = smtp_server
    app = configured
    flows.configure(app, {"email": EmailChannel(settings)})  # type: ignore[arg-type]
    case_id, _ = timer_scenario.open_case(12)
    iid = start_fixture(timer_scenario, case_id, "immediate_risk")  # reminder in 1 hour, deadline in 2
    assert isinstance(app.clock, FixedClock)
    app.clock.advance(timedelta(minutes=61))

    result = asyncio.run(flows.tick())

    assert result["timers"]["fired"] == 1 and result["timers"]["max_lateness_seconds"] == 60.0
    assert result["notifications"] == {"sent": 2, "retrying": 0, "failed": 0}  # both managers, by email
    assert sorted(m["To"] for m in mailbox.received) == sorted(n.recipient_email or "" for n in notes(app))
    assert all(m["Subject"].strip().startswith('Reminder: "Advise"') for m in mailbox.received)
    assert open_specs(app, iid) == ["advise"] and timers(app, iid)[0].fired_at == app.clock.now()
    runs = asyncio.run(_runs())
    assert ("safeshare-tick", "COMPLETED") in runs
    assert ("safeshare-sweep-timers", "COMPLETED") in runs and ("safeshare-deliver-notifications", "COMPLETED") in runs

    app.clock.advance(timedelta(hours=1))
    assert asyncio.run(flows.sweep_timers())["fired"] == 1  # the deadline: escalated
    assert open_specs(app, iid) == ["advise_escalated"]


@pytest.mark.usefixtures("prefect_api")
def test_without_an_smtp_server_email_waits_in_the_outbox(
    configured: App, timer_scenario: Scenario, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SAFESHARE_SMTP_HOST", raising=False)
    flows.configure(configured)
    case_id, _ = timer_scenario.open_case(12)
    start_fixture(timer_scenario, case_id, "immediate_risk")
    assert isinstance(configured.clock, FixedClock)
    configured.clock.advance(timedelta(hours=3))
    result = asyncio.run(flows.tick())
    assert result["timers"]["fired"] == 2 and result["notifications"]["sent"] == 0
    assert {n.status for n in notes(configured)} == {"pending"}  # nothing lost, nothing sent


def _cli(*args: str) -> tuple[int, str, str]:
    from typer.testing import CliRunner

    from safeshare.cli import _register
    from safeshare.cli import app as cli

    _register()
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_scheduler_once_and_the_admin_commands(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SAFESHARE_SMTP_HOST", raising=False)
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    code, _, err = _cli("scheduler", "--once", "--database-url", url)
    assert code == 1 and "There is no database at" in err  # a mistyped path is not a new database
    assert _cli("db", "upgrade", "--database-url", url)[0] == 0
    code, out, _ = _cli("scheduler", "--once", "--database-url", url)
    assert code == 0 and "Checked" in out and "email stays in the outbox" in out
    code, out, _ = _cli("deadlines", "--database-url", url)
    assert code == 0 and "consultation  immediate_risk: 2 hours" in out and "DVDS statutory guidance" in out
    code, out, _ = _cli("incidents", "list", "--database-url", url)
    assert code == 0 and "No stopped instances." in out
    code, out, _ = _cli("outbox", "failed", "--database-url", url)
    assert code == 0 and "No failed messages." in out
    code, _, err = _cli("deadlines", "set", "consultation", "standard", "3", "fortnights", "--reason", "x", "--as",
                        "nobody", "--database-url", url)
    assert code == 1 and err.startswith("error: ")


def test_local_mode_starts_and_stops_its_own_prefect_server(tmp_path: Path) -> None:
    """Prefect's temporary server runs no scheduler service, so local mode runs a real one as a child process."""
    import httpx

    from workflows.prefect_server import local_prefect_server

    with local_prefect_server(tmp_path / "prefect") as url:
        assert httpx.get(f"{url}/health", timeout=5).status_code == 200
    with pytest.raises(httpx.HTTPError):
        httpx.get(f"{url}/health", timeout=2)
    assert (tmp_path / "prefect" / "server.log").exists()
