"""Retention: what is past its keeping period is listed for the data protection officer by the Prefect flow,
approved items are removed (content redacted, events keeping their hashes so the audit trail still
verifies), a hold stops removal, and a removal that fails half-way removes nothing."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from safeshare.app import App
from safeshare.core.audit import REDACTED_SUMMARY, record_event, verify_chain
from safeshare.core.config import Settings
from safeshare.core.errors import ConfigurationError, PermissionDeniedError, SafeshareError
from safeshare.core.records import (
    AuditEvent,
    Case,
    CompletedTask,
    ConsentRecord,
    Disclosure,
    DisclosureItem,
    Document,
    Person,
    ProcessInstance,
    ReceivedInformation,
    RetentionItem,
    Role,
    SchemeApplication,
    SignInAttempt,
)
from safeshare.services import directory, retention
from safeshare.services.anonymise import REMOVED
from safeshare.services.retention import Decision
from safeshare.services.retention_schedule import load_schedule, with_years
from tests.builders import Scenario
from tests.scheme_steps import MEETING as SCHEME_MEETING
from tests.scheme_steps import start as start_application
from tests.scheme_steps import to_decision
from tests.test_disclosure import DISCLOSED, consent_given, receive, start_p4
from tests.test_dvds import DECIDE

YEARS_TO_25TH_BIRTHDAY_OF_A_16_YEAR_OLD = timedelta(days=9 * 366)


@pytest.fixture
def dpo(app: App, scenario: Scenario) -> int:
    with app.transaction() as s:
        return directory.create_user(s, "dana", "Dana Officer", [Role.DATA_PROTECTION_OFFICER]).id


def a_full_case(scenario: Scenario) -> int:
    """A 16-year-old's case with consent (and its form), a disclosure and information received."""
    case_id = consent_given(scenario)
    scenario.complete(start_p4(scenario, case_id), "enter_disclosure", "pat", DISCLOSED)
    receive(scenario, case_id)
    return case_id


def decide_all(app: App, dpo: int, review_id: int, *, keep: dict[str, str] | None = None) -> None:
    keep = keep or {}
    with app.transaction() as s:
        review = s.get(retention.RetentionReview, review_id)
        assert review is not None
        decisions = {
            i.id: Decision(remove=i.record_key not in keep, reason=keep.get(i.record_key, "")) for i in review.items
        }
        retention.decide_review(app, s, s.get(directory.User, dpo), review_id, decisions)  # type: ignore[arg-type]


def items(app: App) -> list[tuple[str, str, str]]:
    with app.db.read() as s:
        return [(i.kind, i.record_key, i.outcome) for i in s.scalars(select(RetentionItem).order_by(RetentionItem.id))]


def case_items(app: App) -> list[tuple[str, str, str]]:
    return [i for i in items(app) if i[0] == "case_records"]


def test_a_case_past_the_25th_birthday_is_listed_then_anonymised_and_the_trail_still_verifies(
    app: App, scenario: Scenario, dpo: int
) -> None:
    case_id = a_full_case(scenario)
    young_case, _ = scenario.open_case(10)
    assert retention.list_due_for_review(app) is None  # nothing is due yet
    app.clock.advance(YEARS_TO_25TH_BIRTHDAY_OF_A_16_YEAR_OLD)  # type: ignore[attr-defined]
    review = retention.list_due_for_review(app)
    assert review is not None
    month = f"{app.clock.now() - YEARS_TO_25TH_BIRTHDAY_OF_A_16_YEAR_OLD:%Y-%m}"
    assert items(app) == [("case_records", str(case_id), "pending"), ("notifications", month, "pending")]
    with app.db.read() as s:
        description = s.scalars(select(RetentionItem).where(RetentionItem.kind == "case_records")).one().description
        assert "25th birthday" in description and "Child Test" not in description
        case_events = s.scalar(select(func.count()).where(AuditEvent.case_id == case_id)) or 0
    assert case_events > 5

    decide_all(app, dpo, review.id)
    assert items(app) == [("case_records", str(case_id), "removed"), ("notifications", month, "removed")]
    with app.db.read() as s:
        case = s.get(Case, case_id)
        assert case is not None and case.title == REMOVED
        people = s.scalars(select(Person).where(Person.case_id == case_id)).all()
        assert {p.full_name for p in people} == {REMOVED} and all(p.date_of_birth is None for p in people)
        consent = s.scalars(select(ConsentRecord).where(ConsentRecord.case_id == case_id)).one()
        assert consent.recipients == [] and consent.explanation == {} and consent.outcome == "given"
        disclosure = s.scalars(select(Disclosure)).one()
        assert disclosure.recipient_agency == "School nursing" and disclosure.recipient_contact is None
        assert {i.content for i in s.scalars(select(DisclosureItem))} == {REMOVED}
        assert s.scalars(select(ReceivedInformation)).one().details == REMOVED
        for document in s.scalars(select(Document).where(Document.case_id == case_id)):
            assert "Child Test" not in document.content_html and "removed under the retention" in document.content_html
        for instance in s.scalars(select(ProcessInstance).where(ProcessInstance.case_id == case_id)):
            assert "Oakfield" not in instance.state_json and "School attendance" not in instance.state_json
        assert all(t.data == {} for t in s.scalars(select(CompletedTask)))
        events = s.scalars(select(AuditEvent).where(AuditEvent.case_id == case_id)).all()
        assert len(events) == case_events
        assert all(e.redacted_at is not None and e.summary.startswith(REDACTED_SUMMARY) for e in events)
        assert all(e.detail == {} for e in events)
        vouching = s.scalars(select(AuditEvent).where(AuditEvent.event_type == "audit_redacted")).one()
        assert set(vouching.detail["events"]) == {str(e.seq) for e in events}
        assert "keeping period ended" in vouching.detail["reason"]
        young = s.get(Case, young_case)
        assert young is not None and young.title == "Test case"  # not due, untouched
        report = verify_chain(s)
        assert report.ok, report.problem
    assert retention.list_due_for_review(app) is None  # removed once, never listed again


def test_verify_fails_when_content_is_removed_without_a_recorded_redaction(app: App, scenario: Scenario) -> None:
    """The guard lets a redaction through; the chain still insists a later event vouches for it."""
    with app.transaction() as s:
        record_event(s, app.clock, None, "note", "Something about a family")
    with app.db.engine.begin() as conn:
        conn.execute(
            AuditEvent.__table__.update()
            .where(AuditEvent.seq == 1)
            .values(summary="hidden", redacted_at=app.clock.now())
        )
    with app.db.read() as s:
        report = verify_chain(s)
    assert not report.ok and report.first_bad_seq == 1
    assert "no later event records that removal" in report.problem


def test_the_database_still_refuses_any_other_change_to_an_audit_event(app: App, scenario: Scenario) -> None:
    with app.transaction() as s:
        record_event(s, app.clock, None, "note", "Original")
    table = AuditEvent.__table__
    for values in ({"summary": "edited"}, {"summary": "x", "redacted_at": app.clock.now(), "hash": "0" * 64}):
        with pytest.raises(Exception, match="append-only"), app.db.engine.begin() as conn:
            conn.execute(table.update().where(table.c.seq == 1).values(**values))
    with app.db.engine.begin() as conn:
        conn.execute(table.update().where(table.c.seq == 1).values(summary="r", redacted_at=app.clock.now()))
    with pytest.raises(Exception, match="append-only"), app.db.engine.begin() as conn:  # once only
        conn.execute(table.update().where(table.c.seq == 1).values(summary="again", redacted_at=app.clock.now()))
    with pytest.raises(Exception, match="append-only"), app.db.engine.begin() as conn:
        conn.execute(table.delete().where(table.c.seq == 1))


def test_a_hold_stops_listing_and_a_hold_placed_after_listing_stops_removal(
    app: App, scenario: Scenario, dpo: int
) -> None:
    first = a_full_case(scenario)
    second, _ = scenario.open_case(16)
    app.clock.advance(YEARS_TO_25TH_BIRTHDAY_OF_A_16_YEAR_OLD)  # type: ignore[attr-defined]
    with app.transaction() as s:
        officer = s.get(directory.User, dpo)
        assert officer is not None
        with pytest.raises(SafeshareError, match="Say why"):
            retention.place_hold(app, s, officer, "case_records", str(first), "  ")
        retention.place_hold(app, s, officer, "case_records", str(first), "Care proceedings under way")
    review = retention.list_due_for_review(app)
    assert review is not None
    assert case_items(app) == [("case_records", str(second), "pending")]
    with app.transaction() as s:
        retention.place_hold(app, s, s.get(directory.User, dpo), "case_records", str(second), "Complaint")  # type: ignore[arg-type]
    decide_all(app, dpo, review.id)
    assert case_items(app) == [("case_records", str(second), "held")]
    with app.db.read() as s:
        assert {c.title for c in s.scalars(select(Case))} == {"Test case"}
        assert s.scalars(select(AuditEvent).where(AuditEvent.event_type == "retention_held")).one()
    with app.transaction() as s:
        hold = retention.holds_in_place(s)[0]
        retention.lift_hold(app, s, s.get(directory.User, dpo), hold.id, "Proceedings ended")  # type: ignore[arg-type]
    assert retention.list_due_for_review(app) is not None
    assert ("case_records", str(first), "pending") in case_items(app)


def test_a_removal_that_fails_half_way_removes_nothing(app: App, scenario: Scenario, dpo: int) -> None:
    first = a_full_case(scenario)
    second, _ = scenario.open_case(16)
    with app.transaction() as s:
        s.add(SignInAttempt(username="pat", succeeded=False, attempted_at=app.clock.now(), remote_address=None))
    app.clock.advance(YEARS_TO_25TH_BIRTHDAY_OF_A_16_YEAR_OLD)  # type: ignore[attr-defined]
    review = retention.list_due_for_review(app)
    assert review is not None
    assert {k for k, _, _ in items(app)} == {"case_records", "notifications", "sign_in_attempts"}
    scenario.start_episode(second)  # work starts again on the second case after the listing
    with pytest.raises(SafeshareError, match="work in progress"):
        decide_all(app, dpo, review.id)
    with app.db.read() as s:
        assert {c.title for c in s.scalars(select(Case))} == {"Test case"}
        assert s.scalar(select(func.count()).select_from(SignInAttempt)) == 1
        assert s.scalar(select(func.count()).where(AuditEvent.redacted_at.is_not(None))) == 0
        assert {o for _, _, o in items(app)} == {"pending"}
    decide_all(app, dpo, review.id, keep={str(second): "Work has started again"})
    month = f"{app.clock.now() - YEARS_TO_25TH_BIRTHDAY_OF_A_16_YEAR_OLD:%Y-%m}"
    assert sorted(items(app)) == [
        ("case_records", str(first), "removed"),
        ("case_records", str(second), "kept"),
        ("notifications", month, "removed"),
        ("sign_in_attempts", month, "removed"),
    ]
    with app.db.read() as s:
        assert s.scalar(select(func.count()).select_from(SignInAttempt)) == 0
        assert verify_chain(s).ok


def test_old_audit_events_notifications_and_sign_in_attempts_by_month(app: App, scenario: Scenario, dpo: int) -> None:
    with app.transaction() as s:
        record_event(s, app.clock, None, "note", "A system event long ago")
        s.add(SignInAttempt(username="pat", succeeded=True, attempted_at=app.clock.now(), remote_address="10.0.0.1"))
    app.clock.advance(timedelta(days=6 * 366))  # type: ignore[attr-defined]
    with app.transaction() as s:
        s.add(SignInAttempt(username="pat", succeeded=True, attempted_at=app.clock.now(), remote_address="10.0.0.2"))
    review = retention.list_due_for_review(app)
    assert review is not None
    kinds = {k for k, _, _ in items(app)}
    assert {"audit", "sign_in_attempts"} <= kinds
    with app.db.read() as s:
        audit_item = s.scalars(select(RetentionItem).where(RetentionItem.kind == "audit")).one()
        assert audit_item.description.startswith("Audit events from November 2026")
    keep = {k: "Needed for an inquiry" for kind, k, _ in items(app) if kind not in ("audit", "sign_in_attempts")}
    decide_all(app, dpo, review.id, keep=keep)
    with app.db.read() as s:
        old = s.scalars(select(AuditEvent).where(AuditEvent.seq == 1)).one()
        assert old.redacted_at is not None and old.summary.startswith(REDACTED_SUMMARY)
        assert [a.remote_address for a in s.scalars(select(SignInAttempt))] == ["10.0.0.2"]
        assert verify_chain(s).ok


def test_a_police_application_is_reviewed_ten_years_after_it_ended(app: App, scenario: Scenario, dpo: int) -> None:
    app_id, instance = start_application(scenario, "right_to_ask")
    to_decision(scenario, instance)
    scenario.complete(instance, "decide_disclosure", "priya", DECIDE)
    scenario.complete(instance, "disclosure_meeting", "priya", SCHEME_MEETING)
    app.clock.advance(timedelta(days=9 * 365))  # type: ignore[attr-defined]
    assert retention.list_due_for_review(app) is None or all(k != "police_scheme_records" for k, _, _ in items(app))
    app.clock.advance(timedelta(days=400))  # type: ignore[attr-defined]
    review = retention.list_due_for_review(app)
    assert review is not None
    assert ("police_scheme_records", str(app_id), "pending") in items(app)
    keep = {k: "Kept" for kind, k, _ in items(app) if kind != "police_scheme_records"}
    with app.db.read() as s:
        named = list(
            s.scalars(select(AuditEvent.seq).where(AuditEvent.detail["application_id"].as_integer() == app_id))
        )
    assert len(named) > 3
    decide_all(app, dpo, review.id, keep=keep)
    with app.db.read() as s:
        record = s.get(SchemeApplication, app_id)
        assert record is not None
        assert record.applicant == {} and record.subject == {} and record.decision is None
        assert (record.route, record.outcome) == ("right_to_ask", "disclosed")
        docs = s.scalars(select(Document).where(Document.source_record_id == app_id, Document.case_id.is_(None)))
        assert all("Alex Reed" not in d.content_html for d in docs)
        events = s.scalars(select(AuditEvent).where(AuditEvent.seq.in_(named))).all()
        assert all(e.redacted_at is not None and e.detail == {} for e in events)
        assert verify_chain(s).ok


def test_only_the_data_protection_officer_signs_off(app: App, scenario: Scenario, dpo: int) -> None:
    scenario.open_case(16)
    app.clock.advance(YEARS_TO_25TH_BIRTHDAY_OF_A_16_YEAR_OLD)  # type: ignore[attr-defined]
    review = retention.list_due_for_review(app)
    assert review is not None
    with app.transaction() as s, pytest.raises(PermissionDeniedError, match="data protection officer"):
        retention.decide_review(app, s, scenario.user(s, "alex"), review.id, {})
    with app.transaction() as s, pytest.raises(SafeshareError, match="Decide every record"):
        retention.decide_review(app, s, s.get(directory.User, dpo), review.id, {})  # type: ignore[arg-type]
    item_id = review.item_ids[0]
    with app.transaction() as s, pytest.raises(SafeshareError, match="no reason"):
        retention.decide_review(app, s, s.get(directory.User, dpo), review.id, {item_id: Decision(False)})  # type: ignore[arg-type]


@pytest.mark.usefixtures("prefect_api")
def test_the_prefect_flow_lists_due_records(app: App, scenario: Scenario) -> None:
    from workflows import flows

    scenario.open_case(16)
    app.clock.advance(YEARS_TO_25TH_BIRTHDAY_OF_A_16_YEAR_OLD)  # type: ignore[attr-defined]
    flows.configure(app)
    try:
        result = asyncio.run(flows.retention_review())
    finally:
        flows.configure(None)
    assert result["listed"] == 1 and result["review_id"] is not None
    assert items(app)[0][0] == "case_records"


def test_the_schedule_is_configurable_and_checked(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "retention.json"
    path.write_text(json.dumps({"notifications": 1, "consent": 7}))
    schedule = load_schedule(Settings.from_env({"SAFESHARE_RETENTION_FILE": str(path)}).retention_file)
    assert schedule["notifications"].years == 1 and schedule["consent"].years == 7
    assert schedule["case_records"].years == 25
    assert all(rule.source for rule in schedule.values())
    with pytest.raises(ConfigurationError, match="not a kind of record"):
        with_years({"emails": 3})
    with pytest.raises(ConfigurationError, match="whole number"):
        with_years({"audit": 0})
    with pytest.raises(ConfigurationError, match="whole number"):
        with_years({"audit": None})


def test_the_command_prints_the_schedule_and_lists_due_records(app: App, scenario: Scenario, database_url: str) -> None:
    from typer.testing import CliRunner

    from safeshare.cli import _register
    from safeshare.cli import app as cli

    _register()
    runner = CliRunner()
    printed = runner.invoke(cli, ["retention", "schedule"])
    assert (
        printed.exit_code == 0
        and "Children's case records: kept 25 years from the child's date of birth" in printed.output
    )
    assert "Management of Police Information" in printed.output
    listed = runner.invoke(cli, ["retention", "list-due", "--database-url", database_url])
    assert listed.exit_code == 0, listed.output
    assert "Nothing new is past its keeping period." in listed.output
