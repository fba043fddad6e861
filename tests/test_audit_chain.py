"""The audit trail is tamper-evident and append-only.

``verify_chain`` (and ``safeshare audit verify``) passes on a real run and names the
event after an edited, a deleted and a swapped row. The database refuses UPDATE and
DELETE on ``audit_event`` (migration 0005); to simulate someone with database access
the tests lift the guard the way only such a person can (``audit_guard.suspended``:
a PostgreSQL superuser's ``session_replication_role = replica``, or dropping the SQLite
triggers).
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import delete, exc, func, select, text, update
from typer.testing import CliRunner

from safeshare.app import App
from safeshare.cli import _register
from safeshare.cli import app as cli_app
from safeshare.core.access import require_case
from safeshare.core.audit import _event_hash, record_event, refusals_audited, verify_chain, write_pending
from safeshare.core.audit_guard import guard_trigger_names, suspended
from safeshare.core.errors import NotFoundError
from safeshare.core.records import AuditChainHead, AuditEvent
from tests.builders import EXPLAINED, Scenario

CONTENT = ("occurred_at", "actor_id", "actor_name", "case_id", "event_type", "summary", "detail", "prev_hash", "hash")


def real_run(scenario: Scenario) -> int:
    """A consent episode for a 16-year-old, consent given: a dozen events or so. Returns the event count."""
    case_id, ids = scenario.open_case(16)
    instance = scenario.start_episode(case_id)
    scenario.complete(
        instance,
        "seek_consent",
        "pat",
        {
            **EXPLAINED,
            "understanding_confirmed": True,
            "consent_outcome": "given",
            "consenting_person_id": ids["child"],
            "recipients": [{"agency": "CAMHS"}],
        },
    )
    with scenario.app.db.read() as s:
        return s.scalar(select(func.count()).select_from(AuditEvent)) or 0


def tamper(app: App, *statements: Any) -> None:
    """Run statements with the guard lifted, as someone with direct database access could."""
    with app.db.engine.begin() as conn, suspended(conn):
        for statement in statements:
            conn.execute(statement)


def verify(app: App, anchors: dict[int, str] | None = None) -> Any:
    with app.db.read() as s:
        return verify_chain(s, anchors)


def row(app: App, seq: int) -> dict[str, Any]:
    with app.db.engine.connect() as conn:
        return dict(conn.execute(select(AuditEvent.__table__).where(AuditEvent.seq == seq)).mappings().one())


def cli_verify(app: App, *args: str) -> Any:
    _register()
    return CliRunner().invoke(cli_app, ["audit", "verify", "--database-url", app.settings.database_url, *args])


def test_verify_passes_on_a_real_run_and_the_cli_says_so(scenario: Scenario) -> None:
    count = real_run(scenario)
    assert count >= 8
    report = verify(scenario.app)
    assert (report.ok, report.events_checked, report.head_seq) == (True, count, count)
    result = cli_verify(scenario.app)
    assert result.exit_code == 0, result.output
    assert f"Audit trail intact: {count} events verified." in result.output
    assert f"Head: {count}:{report.head_hash}" in result.output


def test_an_edited_row_is_named(scenario: Scenario) -> None:
    real_run(scenario)
    original = row(scenario.app, 4)
    tamper(scenario.app, update(AuditEvent).where(AuditEvent.seq == 4).values(summary="Nothing happened here"))
    report = verify(scenario.app)
    assert not report.ok and report.first_bad_seq == 4 and report.events_checked == 3
    assert "edited" in report.problem and report.event.startswith(f"#4 {original['event_type']}")
    result = cli_verify(scenario.app)
    assert result.exit_code == 1
    assert "audit trail broken at event 4" in result.output and "Nothing happened here" in result.output


def test_an_edited_row_with_its_hash_recomputed_breaks_the_link_of_the_next(scenario: Scenario) -> None:
    real_run(scenario)
    original = row(scenario.app, 4)
    with scenario.app.db.read() as s:
        event = s.get(AuditEvent, 4)
        assert event is not None
        event.summary = "Rewritten"
        new_hash = _event_hash(event)
        s.rollback()
    tamper(scenario.app, update(AuditEvent).where(AuditEvent.seq == 4).values(summary="Rewritten", hash=new_hash))
    report = verify(scenario.app)
    assert (report.ok, report.first_bad_seq) == (False, 5)
    assert "link" in report.problem and original["hash"] != new_hash


def test_a_deleted_row_is_named(scenario: Scenario) -> None:
    real_run(scenario)
    after = row(scenario.app, 6)
    tamper(scenario.app, delete(AuditEvent).where(AuditEvent.seq == 5))
    report = verify(scenario.app)
    assert not report.ok and report.first_bad_seq == 5
    assert "event 5 is missing" in report.problem and report.event.startswith(f"#6 {after['event_type']}")
    result = cli_verify(scenario.app)
    assert result.exit_code == 1 and "broken at event 5" in result.output


def test_the_last_rows_deleted_are_caught_by_the_chain_head(scenario: Scenario) -> None:
    count = real_run(scenario)
    tamper(scenario.app, delete(AuditEvent).where(AuditEvent.seq >= count - 1))
    report = verify(scenario.app)
    assert not report.ok and report.first_bad_seq == count - 1 and "removed" in report.problem


def test_two_swapped_rows_are_named(scenario: Scenario) -> None:
    real_run(scenario)
    third, fourth = row(scenario.app, 3), row(scenario.app, 4)
    tamper(
        scenario.app,
        update(AuditEvent).where(AuditEvent.seq == 3).values(**{k: fourth[k] for k in CONTENT}),
        update(AuditEvent).where(AuditEvent.seq == 4).values(**{k: third[k] for k in CONTENT}),
    )
    report = verify(scenario.app)
    assert not report.ok and report.first_bad_seq == 3 and "link" in report.problem
    assert report.event.startswith(f"#3 {fourth['event_type']}")
    result = cli_verify(scenario.app)
    assert result.exit_code == 1 and "broken at event 3" in result.output


def test_a_chain_rewritten_wholesale_fails_against_an_anchor_noted_earlier(scenario: Scenario) -> None:
    real_run(scenario)
    noted = verify(scenario.app)
    # Someone with database access edits event 2 and recomputes every later hash and the head.
    with scenario.app.db.read() as s:
        events = list(s.scalars(select(AuditEvent).order_by(AuditEvent.seq)))
        events[1].summary = "History rewritten"
        prev = events[0].hash
        rewritten = []
        for event in events[1:]:
            event.prev_hash = prev
            event.hash = prev = _event_hash(event)
            rewritten.append((event.seq, event.summary, event.prev_hash, event.hash))
        s.rollback()
    tamper(
        scenario.app,
        *[
            update(AuditEvent).where(AuditEvent.seq == seq).values(summary=summary, prev_hash=p, hash=h)
            for seq, summary, p, h in rewritten
        ],
        update(AuditChainHead).where(AuditChainHead.id == 1).values(last_hash=prev),
    )
    assert verify(scenario.app).ok  # the chain alone cannot tell
    report = verify(scenario.app, {noted.head_seq: noted.head_hash})
    assert not report.ok and report.first_bad_seq == noted.head_seq and "rewritten" in report.problem
    result = cli_verify(scenario.app, "--anchor", f"{noted.head_seq}:{noted.head_hash}")
    assert result.exit_code == 1 and "rewritten" in result.output
    bad = cli_verify(scenario.app, "--anchor", "nonsense")
    assert bad.exit_code == 1 and "is not SEQ:HASH" in bad.output


@pytest.mark.parametrize("statement", ["update", "delete"])
def test_the_database_refuses_to_change_audit_rows(scenario: Scenario, statement: str) -> None:
    real_run(scenario)
    assert guard_trigger_names_now(scenario.app)
    before = row(scenario.app, 2)
    change = (
        update(AuditEvent).where(AuditEvent.seq == 2).values(summary="x")
        if statement == "update"
        else delete(AuditEvent).where(AuditEvent.seq == 2)
    )
    with pytest.raises(exc.DBAPIError, match="append-only"), scenario.app.db.engine.begin() as conn:
        conn.execute(change)
    assert row(scenario.app, 2) == before and verify(scenario.app).ok


def guard_trigger_names_now(app: App) -> list[str]:
    with app.db.engine.connect() as conn:
        return guard_trigger_names(conn)


def test_on_postgresql_the_application_role_cannot_update_delete_truncate_or_lift_the_guard(
    scenario: Scenario,
) -> None:
    """A non-superuser role with every table privilege, as the application would run with in production."""
    if scenario.app.db.engine.dialect.name != "postgresql":
        pytest.skip("roles and TRUNCATE are PostgreSQL features; the SQLite triggers are tested above")
    real_run(scenario)
    before = row(scenario.app, 2)
    role = f"safeshare_app_{uuid.uuid4().hex[:8]}"
    with scenario.app.db.engine.begin() as conn:
        conn.execute(text(f'CREATE ROLE "{role}" NOLOGIN'))
        conn.execute(text(f'GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE ON ALL TABLES IN SCHEMA public TO "{role}"'))
    try:
        attempts = {
            "UPDATE audit_event SET summary = 'x' WHERE seq = 2": "append-only",
            "DELETE FROM audit_event WHERE seq = 2": "append-only",
            "TRUNCATE audit_event CASCADE": "append-only",
            "SET session_replication_role = replica": "permission denied",
            "ALTER TABLE audit_event DISABLE TRIGGER audit_event_append_only": "must be owner",
        }
        for sql, refusal in attempts.items():
            with pytest.raises(exc.DBAPIError, match=refusal), scenario.app.db.engine.begin() as conn:
                conn.execute(text(f'SET LOCAL ROLE "{role}"'))
                conn.execute(text(sql))
        with scenario.app.db.engine.begin() as conn:  # appending is still allowed to the role
            conn.execute(text(f'SET LOCAL ROLE "{role}"'))
            assert conn.execute(text("SELECT count(*) FROM audit_event")).scalar_one() >= 2
    finally:
        with scenario.app.db.engine.begin() as conn:
            conn.execute(text(f'DROP OWNED BY "{role}"'))
            conn.execute(text(f'DROP ROLE "{role}"'))
    assert row(scenario.app, 2) == before and verify(scenario.app).ok


def test_a_refused_access_is_an_audit_event_written_after_the_refusal(scenario: Scenario) -> None:
    case_id, _ = scenario.open_case(12)
    app = scenario.app
    with app.db.read() as s:
        olu = scenario.user(s, "olu")
        before = s.scalar(select(func.count()).select_from(AuditEvent))
    refusal = refusals_audited(app.db, app.clock, olu, f"view case {case_id}")
    with pytest.raises(NotFoundError), refusal, app.db.read() as s:
        require_case(s, olu, case_id)
    with app.db.read() as s:
        events = list(s.scalars(select(AuditEvent).order_by(AuditEvent.seq)))
    assert len(events) == (before or 0) + 1
    refused = events[-1]
    assert (refused.event_type, refused.actor_id, refused.case_id) == ("access_refused", olu.id, None)
    assert refused.detail["action"] == f"view case {case_id}" and "No case" in refused.detail["reason"]
    assert verify(app).ok


def _types(app: App) -> list[str]:
    with app.db.read() as s:
        return list(s.scalars(select(AuditEvent.event_type).order_by(AuditEvent.seq)))


def test_events_wait_for_the_commit_and_leave_with_a_rolled_back_savepoint(scenario: Scenario) -> None:
    """Events are chained and written as the transaction commits; one recorded inside a savepoint that
    rolls back goes with it, one inside a savepoint that is kept stays, and the chain still verifies."""
    app = scenario.app
    start = len(_types(app))
    with app.transaction() as s:
        record_event(s, app.clock, None, "kept_before", "before the savepoints")
        try:
            with s.begin_nested():
                record_event(s, app.clock, None, "dropped", "inside a savepoint that rolls back")
                raise RuntimeError("roll the savepoint back")
        except RuntimeError:
            pass
        with s.begin_nested():
            record_event(s, app.clock, None, "kept_nested", "inside a savepoint that is kept")
        assert s.scalar(select(func.count()).select_from(AuditEvent)) == start  # nothing written yet
    with pytest.raises(RuntimeError), app.transaction() as s:
        record_event(s, app.clock, None, "rolled_back", "in a transaction that fails")
        raise RuntimeError("roll everything back")
    assert _types(app)[start:] == ["kept_before", "kept_nested"]
    report = verify(app)
    assert report.ok and report.events_checked == start + 2


def test_a_reader_that_must_see_its_own_event_gets_it_written_first(scenario: Scenario) -> None:
    app = scenario.app
    with app.transaction() as s:
        record_event(s, app.clock, None, "seen", "visible to this transaction")
        write_pending(s)
        assert s.scalars(select(AuditEvent.event_type).order_by(AuditEvent.seq.desc())).first() == "seen"
        record_event(s, app.clock, None, "after", "written at commit")
    assert _types(app)[-2:] == ["seen", "after"]
    assert verify(app).ok


# The chain head witnessed outside the database (issue 15, item 6) -----------------------------------------

WITNESS_KEY = "k3y-for-tests-only-" + "x" * 20


@pytest.fixture
def witness(scenario: Scenario, tmp_path: Any) -> Any:
    from safeshare.core.audit_witness import Witness, attach

    kept = Witness(tmp_path / "audit-witness.log", (WITNESS_KEY.encode(),))
    attach(scenario.app.db.engine, kept)
    yield kept
    attach(scenario.app.db.engine, None)


def witness_env(witness: Any, **extra: str) -> dict[str, str]:
    return {"SAFESHARE_AUDIT_WITNESS_KEY": WITNESS_KEY, "SAFESHARE_AUDIT_WITNESS_FILE": str(witness.path), **extra}


def cut_tail(app: App, keep: int) -> None:
    """Delete every event after ``keep`` and rewrite the chain head to match, as a database user could."""
    last = row(app, keep)
    tamper(
        app,
        delete(AuditEvent).where(AuditEvent.seq > keep),
        update(AuditChainHead).where(AuditChainHead.id == 1).values(last_seq=keep, last_hash=last["hash"]),
    )


def test_cutting_the_tail_and_rewriting_the_head_fails_against_the_witness(scenario: Scenario, witness: Any) -> None:
    from safeshare.core.audit import verify_witnessed

    count = real_run(scenario)
    assert witness.read().latest.seq == count  # every commit's head was witnessed, signed
    cut_tail(scenario.app, count - 3)
    assert verify(scenario.app).ok  # the chain and its head alone cannot tell (the finding)
    with scenario.app.db.read() as s:
        report = verify_witnessed(s, witness)
    assert not report.ok and report.first_bad_seq == count - 2
    assert f"events {count - 2} to {count} were witnessed" in report.problem
    result = CliRunner().invoke(
        cli_app, ["audit", "verify", "--database-url", scenario.app.settings.database_url], env=witness_env(witness)
    )
    assert result.exit_code == 1 and f"events {count - 2} to {count}" in result.output, result.output


def test_the_cli_verifies_against_the_witness_by_default_and_says_so(scenario: Scenario, witness: Any) -> None:
    count = real_run(scenario)
    _register()
    result = CliRunner().invoke(
        cli_app, ["audit", "verify", "--database-url", scenario.app.settings.database_url], env=witness_env(witness)
    )
    assert result.exit_code == 0, result.output
    assert f"it last saw event {count}" in result.output


def test_a_witness_line_written_without_the_key_is_refused(scenario: Scenario, witness: Any) -> None:
    from safeshare.core.audit import verify_witnessed
    from safeshare.core.audit_witness import Witness

    count = real_run(scenario)
    forger = Witness(witness.path, (b"a-guessed-key-that-is-not-it",))
    with scenario.app.db.read() as s:
        head = s.get(AuditChainHead, 1)
        assert head is not None
        forger.append(count, head.last_hash, row(scenario.app, count)["occurred_at"])
        report = verify_witnessed(s, witness)
    assert not report.ok and "not genuine" in report.problem and "not configured" in report.problem


def test_a_rotated_key_still_verifies_the_lines_signed_before(scenario: Scenario, witness: Any) -> None:
    from safeshare.core.audit import verify_witnessed
    from safeshare.core.audit_witness import Witness, attach

    real_run(scenario)
    new_key = "a-new-key-after-rotation-" + "y" * 20
    rotated = Witness(witness.path, (new_key.encode(), WITNESS_KEY.encode()))
    attach(scenario.app.db.engine, rotated)
    scenario.open_case(12)  # more events, witnessed under the new key
    with scenario.app.db.read() as s:
        assert verify_witnessed(s, rotated).ok
        assert not verify_witnessed(s, Witness(witness.path, (new_key.encode(),))).ok  # old key dropped too soon
    result = CliRunner().invoke(
        cli_app,
        ["audit", "verify", "--database-url", scenario.app.settings.database_url],
        env=witness_env(witness, SAFESHARE_AUDIT_WITNESS_KEY=new_key, SAFESHARE_AUDIT_WITNESS_OLD_KEYS=WITNESS_KEY),
    )
    assert result.exit_code == 0, result.output


def test_a_witness_file_that_cannot_be_written_stops_start_up(scenario: Scenario, tmp_path: Any) -> None:
    from safeshare.core.audit_witness import Witness, attach
    from safeshare.core.errors import ConfigurationError

    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the folder should be")
    with pytest.raises(ConfigurationError, match="cannot be written"):
        attach(scenario.app.db.engine, Witness(blocked / "witness.log", (WITNESS_KEY.encode(),)))
