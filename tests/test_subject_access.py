"""Subject access requests end to end: recorded with identity checked, the one-month time limit (and its
extension) with a reminder and an escalation, a collated reply that withholds what the person may not be
given (R23, informants, third parties), the officer's sign-off, and the record of what was sent."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from safeshare.core.deadlines import subject_access_due
from safeshare.core.errors import DomainRuleError, FormValidationError, PermissionDeniedError
from safeshare.core.records import AuditEvent, Notification, RetentionItem, Role, SubjectAccessRequest
from safeshare.services import directory, retention, sharing, subject_access
from safeshare.services.anonymise import REMOVED
from tests.builders import Scenario
from workflows.timer_sweep import sweep_due_timers

SECRET = "Father has a conviction for assault (2019)"
OPEN = "Child seen by the health visitor; weight normal"


def test_the_month_ends_on_the_same_date_or_the_month_end_and_moves_past_weekends_and_holidays() -> None:
    assert subject_access_due(date(2026, 11, 2)) == date(2026, 12, 2)
    assert subject_access_due(date(2027, 1, 31)) == date(2027, 3, 1)  # 28 Feb 2027 is a Sunday
    assert subject_access_due(date(2028, 1, 31)) == date(2028, 2, 29)  # last day of February (a Tuesday)
    assert subject_access_due(date(2026, 1, 30)) == date(2026, 3, 2)  # 28 February 2026 is a Saturday
    assert subject_access_due(date(2026, 11, 25)) == date(2026, 12, 29)  # 25, 26 (holidays), 27, 28 Dec
    assert subject_access_due(date(2026, 11, 23), extended=True) == date(2027, 2, 23)


def _officer(scenario: Scenario) -> None:
    with scenario.app.transaction() as s:
        scenario.users["dana"] = directory.create_user(s, "dana", "Dana Officer", [Role.DATA_PROTECTION_OFFICER]).id


def _case_with_information(scenario: Scenario) -> int:
    case_id, _ = scenario.open_case(15)
    for details, person, restrictions in (
        (SECRET, "PC Shah", [{"code": "not_to_service_user"}]),
        (OPEN, "Nurse Bell", []),
    ):
        with scenario.app.transaction() as s:
            instance = sharing.start_information_received(scenario.app, s, scenario.user(s, "pat"), case_id).id
        answers = {
            "received_details": details,
            "provided_by_agency": "County Police" if restrictions else "Health visiting",
            "received_without_consent": False,
            "received_restrictions": restrictions,
            "provided_by_person": person,
        }
        scenario.complete(instance, "record_received", "pat", answers)
    return case_id


def _record(scenario: Scenario, **changes: object) -> tuple[int, int]:
    answers: dict[str, object] = {
        "requester_name": "Parent 1",
        "requester_relationship": "self",
        "subject_name": "Parent 1",
        "received_on": date(2026, 11, 20),
        "identity_checked_on": date(2026, 11, 23),
        "identity_evidence": "Passport and a council tax bill seen",
    } | changes
    with scenario.app.transaction() as s:
        request, instance = subject_access.record_request(scenario.app, s, scenario.user(s, "dana"), **answers)  # type: ignore[arg-type]
        return request.id, instance.id


def _told(scenario: Scenario) -> set[tuple[str, str]]:
    names = {v: k for k, v in scenario.users.items()}
    with scenario.app.db.read() as s:
        return {
            (n.template, names[n.recipient_user_id])
            for n in s.scalars(select(Notification))
            if n.template.startswith("subject_access")
        }


def _listed(scenario: Scenario) -> list[str]:
    retention.list_due_for_review(scenario.app)
    with scenario.app.db.read() as s:
        rows = s.scalars(select(RetentionItem).where(RetentionItem.kind == "subject_access_requests"))
        return [i.description for i in rows]


def _request(scenario: Scenario, sar_id: int) -> SubjectAccessRequest:
    with scenario.app.db.read() as s:
        row = s.get(SubjectAccessRequest, sar_id)
        assert row is not None
        return row


def test_only_the_officer_records_a_request_and_each_missing_answer_is_named(scenario: Scenario) -> None:
    _officer(scenario)
    with scenario.app.transaction() as s, pytest.raises(PermissionDeniedError):
        subject_access.record_request(
            scenario.app,
            s,
            scenario.user(s, "alex"),
            requester_name="A",
            requester_relationship="self",
            subject_name="A",
            received_on=date(2026, 11, 20),
            identity_checked_on=date(2026, 11, 20),
            identity_evidence="Passport",
        )
    with pytest.raises(FormValidationError) as refused:
        _record(
            scenario,
            requester_relationship="representative",
            identity_evidence=" ",
            received_on=date(2026, 11, 24),
            identity_checked_on=None,
        )
    assert refused.value.field_errors == {
        "authority": "Enter how the requester shows they may act for the person, for example a signed letter",
        "received_on": "The date the request was received must be today or in the past",
        "identity_checked_on": "Enter the date the requester's identity was confirmed",
        "identity_evidence": "Enter how the requester's identity was checked, for example passport seen",
    }
    with scenario.app.db.read() as s:
        assert s.scalars(select(SubjectAccessRequest)).all() == []


def test_a_request_is_reminded_escalated_extended_signed_off_and_sent(scenario: Scenario) -> None:
    _officer(scenario)
    _case_with_information(scenario)
    sar_id, instance = _record(scenario)
    request = _request(scenario, sar_id)
    assert request.due_on == date(2026, 12, 23)  # the month runs from the identity check, not the letter
    task = scenario.task(instance, "sign_off_subject_access")
    assert (task.role, task.team_id) == ("data_protection_officer", None)

    # The collation leaves out the restricted information and who gave the rest; the parent's details stay.
    with scenario.app.db.read() as s:
        collated = subject_access.collate(s, s.get(SubjectAccessRequest, sar_id))  # type: ignore[arg-type]
    text = repr(collated)
    assert SECRET not in text and "PC Shah" not in text and "Nurse Bell" not in text and OPEN in text
    reasons = [w["reason"] for w in collated["withheld"]]
    assert any("not to be disclosed to the person" in r for r in reasons)
    assert any("informant" in r for r in reasons) and any("third parties" in r for r in reasons)

    scenario.app.clock.advance(timedelta(days=23))  # type: ignore[attr-defined]
    sweep_due_timers(scenario.app)
    assert _told(scenario) == set()  # 16 December: not yet
    scenario.app.clock.advance(timedelta(days=1, hours=1))  # type: ignore[attr-defined]
    sweep_due_timers(scenario.app)
    assert _told(scenario) == {("subject_access_reminder", "dana")}  # 17 December, 09:00: a week before
    scenario.app.clock.advance(timedelta(days=6))  # type: ignore[attr-defined]
    sweep_due_timers(scenario.app)
    assert len(_told(scenario)) == 1  # 23 December, the day it is due: still allowed
    scenario.app.clock.advance(timedelta(days=1))  # type: ignore[attr-defined]
    sweep_due_timers(scenario.app)
    assert _told(scenario) == {
        ("subject_access_reminder", "dana"),
        ("subject_access_overdue", "dana"),
        ("subject_access_overdue", "alex"),
    }  # the day after it was due

    with pytest.raises(FormValidationError):
        scenario.complete(instance, "sign_off_subject_access", "dana", {"sar_decision": "extend"})
    scenario.complete(
        instance,
        "sign_off_subject_access",
        "dana",
        {"sar_decision": "extend", "extension_reason": "Records held by three teams over ten years"},
    )
    assert _request(scenario, sar_id).due_on == date(2027, 2, 23)
    with pytest.raises(DomainRuleError, match="extended only once"):
        scenario.complete(
            instance,
            "sign_off_subject_access",
            "dana",
            {"sar_decision": "extend", "extension_reason": "Still more records to find"},
        )
    with pytest.raises(DomainRuleError, match="Check each item withheld"):
        scenario.complete(
            instance, "sign_off_subject_access", "dana", {"sar_decision": "send", "withheld_checked": False}
        )
    scenario.complete(instance, "sign_off_subject_access", "dana", {"sar_decision": "send", "withheld_checked": True})
    signed = _request(scenario, sar_id)
    assert signed.status == "signed_off" and signed.reply_sha256 == subject_access.collation_digest(signed.reply or {})
    with pytest.raises(DomainRuleError, match="must be today or in the past"):
        scenario.complete(
            instance,
            "record_subject_access_sent",
            "dana",
            {"sent_on": "2027-12-01", "sent_method": "post", "sent_to": "Parent 1, 1 High St"},
        )
    today = scenario.app.clock.now().date()
    done = scenario.complete(
        instance,
        "record_subject_access_sent",
        "dana",
        {"sent_on": today.isoformat(), "sent_method": "post", "sent_to": "Parent 1, 1 High St"},
    )
    assert done.status == "completed"
    final = _request(scenario, sar_id)
    assert (final.status, final.sent_on, final.sent_method) == ("sent", today, "post")
    with scenario.app.db.read() as s:
        events = [e.event_type for e in s.scalars(select(AuditEvent)) if (e.detail or {}).get("sar_id") == sar_id]
    assert events == [
        "subject_access_requested",
        "subject_access_extended",
        "subject_access_signed_off",
        "subject_access_sent",
    ]


def test_a_request_is_anonymised_a_year_after_its_reply_once_the_officer_approves(scenario: Scenario) -> None:
    _officer(scenario)
    sar_id, instance = _record(scenario)
    scenario.complete(instance, "sign_off_subject_access", "dana", {"sar_decision": "send", "withheld_checked": True})
    today = scenario.app.clock.now().date().isoformat()
    scenario.complete(
        instance, "record_subject_access_sent", "dana", {"sent_on": today, "sent_method": "email", "sent_to": "p@x.uk"}
    )
    scenario.app.clock.advance(timedelta(days=300))  # type: ignore[attr-defined]
    assert _listed(scenario) == []
    scenario.app.clock.advance(timedelta(days=70))  # type: ignore[attr-defined]
    assert _listed(scenario) == ["Subject access request SAR-2026-0001, reply sent 23 November 2026"]
    with scenario.app.db.read() as s:
        pending = list(s.scalars(select(RetentionItem.id).where(RetentionItem.outcome == "pending")))
        review_id = s.scalars(select(RetentionItem.review_id)).first()
    assert review_id is not None
    with scenario.app.transaction() as s:
        retention.decide_review(
            scenario.app, s, scenario.user(s, "dana"), review_id, {i: retention.Decision(True, "") for i in pending}
        )
    gone = _request(scenario, sar_id)
    assert (gone.subject_name, gone.requester_name, gone.reply) == (REMOVED, REMOVED, None)
    assert gone.reference == "SAR-2026-0001" and gone.reply_sha256 and gone.sent_on is not None
