"""The police pages around an application: its documents, stage history and timescale in words; ending it
at any stage with a reason and a letter; the queue filtered by scheme, stage and overdue (issue 14)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from safeshare.app import App
from safeshare.core.records import AuditEvent, Document, OpenTask, ProcessInstance, WaitingTimer
from safeshare.services import accounts, scheme_access
from tests import scheme_steps
from tests.builders import Scenario
from tests.test_csor import DECIDE as CSOR_DECIDE
from tests.test_dvds import DECIDE
from tests.test_web_ui import PASSWORD, csrf_of, sign_in
from tests.webkit import WebKit, make_webkit


@pytest.fixture
def web(app: App, scenario: Scenario) -> WebKit:
    kit = make_webkit(app, scenario)
    with app.transaction() as s:
        accounts.set_password(app, s, None, scenario.user(s, "priya"), PASSWORD)
    return kit


def test_the_application_page_lists_documents_history_and_the_timescale_in_words(web: WebKit) -> None:
    app_id, instance = scheme_steps.start(web.scenario, "right_to_ask")
    scheme_steps.to_decision(web.scenario, instance)
    web.scenario.complete(instance, "decide_disclosure", "priya", DECIDE)
    client = sign_in(web, "priya")
    page = client.get(f"/schemes/{app_id}").text
    assert "On track: 28 days left to finish" in page
    assert "Undertaking of confidentiality, to sign at the meeting" in page  # the paper to take to the meeting
    history = page.split("What has happened", 1)[1]
    for stage in (
        "Application received",
        "Initial checks and risk assessment",
        "Face-to-face meeting with the applicant",
        "Full risk assessment with partner agencies",
        "Decision forum: decide on disclosure",
    ):
        assert stage in history
    assert "Priya Police" in history and "(R" not in page
    web.app.clock.advance(timedelta(days=30))
    assert "Overdue: the time limit passed on" in client.get(f"/schemes/{app_id}").text


def test_an_application_is_withdrawn_at_any_stage_with_its_reason_and_a_letter(web: WebKit) -> None:
    app_id, instance = scheme_steps.start(web.scenario, "csor")
    web.scenario.complete(instance, "initial_checks", "priya", scheme_steps.CHECKS)
    client = sign_in(web, "priya")
    csrf = csrf_of(client.get(f"/schemes/{app_id}/close").text)
    refused = client.post(f"/schemes/{app_id}/close", data={"csrf_token": csrf, "who": "applicant_withdrew"})
    assert refused.status_code == 422 and "Why is it ending?" in refused.text
    done = client.post(
        f"/schemes/{app_id}/close",
        data={
            "csrf_token": csrf,
            "who": "applicant_withdrew",
            "reason": "You told us on 25 November that you have separated and no longer need an answer.",
        },
        follow_redirects=True,
    )
    assert done.status_code == 200 and "Withdrawn by the applicant" in done.text
    record = scheme_steps.application(web.scenario, app_id)
    assert (record.status, record.outcome) == ("closed", "withdrawn")
    with web.app.db.read() as s:
        row = s.get(ProcessInstance, instance)
        assert row is not None and (row.status, row.outcome) == ("completed", "withdrawn")
        assert s.scalars(select(OpenTask).where(OpenTask.instance_id == instance)).all() == []
        assert all(
            t.fired_at is not None for t in s.scalars(select(WaitingTimer).where(WaitingTimer.instance_id == instance))
        )
        letter = s.scalars(select(Document).where(Document.kind == "scheme_closure_letter")).one()
        assert "no longer want us to go on" in " ".join(letter.content_html.split())
    again = client.post(
        f"/schemes/{app_id}/close",
        data={"csrf_token": csrf, "who": "police_closed", "reason": "A second closure must be refused"},
    )
    assert again.status_code == 409


def test_the_police_queue_filters_by_scheme_stage_and_overdue(web: WebKit) -> None:
    csor, _ = scheme_steps.start(web.scenario, "csor")
    _, rta_instance = scheme_steps.start(web.scenario, "right_to_ask")
    web.scenario.complete(rta_instance, "initial_checks", "priya", scheme_steps.CHECKS)
    client = sign_in(web, "priya")
    every = client.get("/queues/police").text
    assert "CSOR-2026-0001" in every and "DVDS-2026-0001" in every
    only_csor = client.get("/queues/police", params={"scheme": "csor"}).text
    assert "CSOR-2026-0001" in only_csor and "DVDS-2026-0001" not in only_csor
    at_meeting = client.get("/queues/police", params={"stage": "Face-to-face meeting with the applicant"}).text
    assert "DVDS-2026-0001" in at_meeting and "CSOR-2026-0001" not in at_meeting
    assert "No applications match the filters." in client.get("/queues/police", params={"overdue": "yes"}).text
    web.app.clock.advance(timedelta(hours=25))  # the CSOR initial checks are now overdue; the DVDS meeting is not
    overdue = client.get("/queues/police", params={"overdue": "yes"}).text
    assert "CSOR-2026-0001" in overdue and "DVDS-2026-0001" not in overdue
    assert f"/schemes/{csor}" in overdue


def test_the_stage_history_says_what_happened_at_each_meeting_and_decision(web: WebKit) -> None:
    """R27, R34: a re-arranged meeting and a refusal to sign read as such, not as two identical stage names."""
    app_id, instance = scheme_steps.start(web.scenario, "csor")
    web.scenario.complete(instance, "initial_checks", "priya", scheme_steps.CHECKS)
    web.scenario.complete(
        instance,
        "face_to_face",
        "priya",
        {
            "identity_verified": False,
            "meeting_notes": "She had no document with a photo",
            "next_step": "rearrange",
            "rearranged_for": "14 December, Northfield station",
        },
    )
    web.scenario.complete(instance, "face_to_face", "priya", scheme_steps.IDENTITY)
    web.scenario.complete(instance, "full_risk_assessment", "priya", scheme_steps.RISK)
    web.scenario.complete(instance, "decide_disclosure", "priya", CSOR_DECIDE)
    web.scenario.complete(instance, "disclosure_meeting", "priya", scheme_steps.MEETING | {"undertaking_signed": False})
    page = sign_in(web, "priya").get(f"/schemes/{app_id}").text
    assert '<span class="govuk-caption-l">CSOR</span>' in page  # not "CSOR csor"
    history = page.split("What has happened", 1)[1]
    assert (
        "Face-to-face meeting with the applicant: applicant&#39;s identity not verified; meeting re-arranged "
        "(14 December, Northfield station)"
    ) in history
    assert "Face-to-face meeting with the applicant: applicant&#39;s identity verified" in history
    assert "Police decision on disclosure: decided to disclose" in history
    assert "they would not sign the undertaking, so nothing was disclosed yet" in history


def test_a_police_task_shows_the_application_it_decides_on(web: WebKit) -> None:
    """The officer deciding sees what the application says (who asked, about whom, who is at risk, the concern)
    beside the form, with the date of birth in words and a way to the whole application. The summary is read
    for police staff only: anyone else is never given it, even if a page asked for it."""
    app_id, instance = scheme_steps.start(web.scenario, "right_to_ask")
    scheme_steps.to_decision(web.scenario, instance)
    with web.app.db.read() as s:
        task = s.scalars(select(OpenTask).where(OpenTask.instance_id == instance)).one()
        assert scheme_access.application_of_instance(s, web.scenario.user(s, "pat"), instance) is None
    client = sign_in(web, "priya")
    page = client.get(f"/tasks/{task.task_id}").text
    shown = page.split("The application", 1)[1].split("Your answer", 1)[0]
    for fact in ("Sam Taylor", "Alex Reed", "1 April 1990", "Partner has become controlling and threatened violence",
                 "On track: 28 days left to finish"):
        assert fact in shown
    assert "1990-04-01" not in page
    assert f"Police application {scheme_steps.application(web.scenario, app_id).reference}" in page
    assert f'href="/schemes/{app_id}"' in page
    client.get(f"/schemes/{app_id}")
    with web.app.db.read() as s:  # both reads of the application are on record: the task page and the page itself
        views = s.scalars(select(AuditEvent).where(AuditEvent.event_type == "scheme_application_viewed")).all()
        assert [(v.actor_id, v.detail["application_id"]) for v in views] == [(web.scenario.users["priya"], app_id)] * 2
