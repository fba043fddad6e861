"""The README's main job: ``safeshare demo`` runs the three consent stories end to end."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import create_engine, text
from typer.testing import CliRunner


def test_demo_runs_end_to_end_and_leaves_its_data(tmp_path: Path) -> None:
    from safeshare.cli import _register
    from safeshare.cli import app as cli

    _register()
    db = tmp_path / "demo.db"
    result = CliRunner().invoke(cli, ["demo", "--database-url", f"sqlite:///{db}"])
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "Process outcome: consent given" in out
    assert "Process outcome: consent refused" in out
    assert "consent from the young person (16 or over)" in out
    assert "restrictions: Not to be shared" in out
    assert "Audit chain verified" in out and "events, intact" in out
    # Ben's refusal -> the practitioner, unsure, asks a manager, then decides to share -> disclosure.
    assert "Share decision 1: Share without consent, because: Not sharing may result in harm to the child" in out
    assert "Manager advice 1: Share (within the deadline), not escalated" in out
    assert "decided to share, having weighed the risk of not sharing" in out
    assert "- [opinion] Ben seems exhausted and withdrawn" in out
    # Values in words (issue 12): no rule ids, no None, True or False, no "?" for a missing value, no code.
    # The audit trail's listing (its event types are the trail's own vocabulary) and file names are left aside.
    told = [line for line in out.splitlines() if not re.match(r"\s+#\d+ ", line)]
    raw = [line for line in told if re.search(r"\b(None|True|False)\b|from \?|=\w|\(R\d+", line)
           or re.search(r"\b[a-z]+_[a-z_]+\b", line.replace("consent_authority.dmn", ""))]
    assert not raw, raw
    assert "Application DVDS-2026-0001: outcome disclosed" in out
    # Issue #4's scene: a consultation left alone is reminded, then escalated, by the scheduler's sweep.
    scene = out[out.index("== Deadlines:") :]
    assert scene.index("fired 'Reminder time'") < scene.index('Reminder: "Give advice on sharing"')
    assert scene.index('Reminder: "Give advice on sharing"') < scene.index("fired 'Advice deadline passed'")
    assert scene.index("fired 'Advice deadline passed'") < scene.index('Escalated: "Give advice on sharing"')
    assert "Now waiting: 'Give escalated advice on sharing' for a senior manager" in scene
    engine = create_engine(f"sqlite:///{db}")
    with engine.connect() as conn:
        outcomes = [r[0] for r in conn.execute(text("SELECT outcome FROM consent_record ORDER BY id"))]
    assert outcomes == ["given_with_restrictions", "refused", "given"]
    with engine.connect() as conn:
        last = conn.execute(text("SELECT max(occurred_at) FROM audit_event")).scalar_one()
    # The server runs on the real clock: the demo's events are all in its past, so what it left waiting is
    # overdue there and the trail stays in time order once people use it.
    assert datetime.fromisoformat(str(last)).replace(tzinfo=UTC) < datetime.now(UTC)
    assert "Note: the demo's clock ended" not in result.stderr


def test_the_demo_starts_a_week_back_on_a_working_morning() -> None:
    from safeshare.cli.demo_cmd import demo_start

    assert demo_start(datetime(2026, 12, 9, 6, 10, tzinfo=UTC)) == datetime(2026, 12, 2, 8, 30, tzinfo=UTC)  # Wed
    assert demo_start(datetime(2026, 12, 5, 6, 10, tzinfo=UTC)) == datetime(2026, 11, 27, 8, 30, tzinfo=UTC)  # Sat->Fri
    assert demo_start(datetime(2026, 12, 6, 23, 0, tzinfo=UTC)) == datetime(2026, 11, 27, 8, 30, tzinfo=UTC)  # Sun->Fri


def test_demo_refuses_a_non_sqlite_database() -> None:
    from safeshare.cli import _register
    from safeshare.cli import app as cli

    _register()
    result = CliRunner().invoke(cli, ["demo", "--database-url", "postgresql://postgres@127.0.0.1/postgres"])
    assert result.exit_code == 1 and "only runs on a SQLite file" in result.stderr
