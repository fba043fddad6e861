"""Journeys in Debian's Chromium, each step by the role that does it and driven only through pages, typing what a
person would type; each asserts what the next person sees and the records written.

* Consent seeking on every path of "who may consent" (an adult, a young person of 16 or 17, a child under 16
  judged able to decide, a child judged not able: a parent then decides);
* a manager's advice: in time; and reminded, escalated, then given late by a senior manager (the test clock
  is moved on and the timer sweep run, as the other timer journeys do);
* information received with a restriction on it;
* a disclosure recorded on the consent, its recipient and the information it came from picked, not typed.

The case itself is opened by the test (the page to open a case is another piece of work).
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from playwright.sync_api import Page
from sqlalchemy import select

from safeshare.core.clock import FixedClock
from safeshare.core.records import ConsentRecord, Disclosure, ManagerAdvice, Notification, OpenTask, ReceivedInformation
from tests.browser.conftest import Site, enter_date_and_time, shoot
from tests.builders import EXPLAINED
from tests.conftest import START
from workflows.timer_sweep import sweep_due_timers

QUESTION = "Should we tell the school nurse about the bruising on his arm?"


def open_task(page: Page, site: Site, title: str) -> None:
    """From My tasks, the task by its title."""
    page.set_default_timeout(15_000)
    page.goto(f"{site.base_url}/tasks")
    page.get_by_role("link", name=title).first.click()
    page.get_by_role("heading", name=title, exact=True).wait_for()


def submit_and_wait(page: Page, title: str) -> None:
    page.get_by_role("button", name="Submit").click()
    page.get_by_text(f"{title}: done").wait_for()


def start_episode(page: Page, site: Site, case_id: int) -> None:
    page.set_default_timeout(15_000)
    page.goto(f"{site.base_url}/cases/{case_id}")
    page.get_by_label("What is the new episode of work for?").fill("Support at school")
    page.get_by_role("button", name="Start an episode").click()
    page.wait_for_url(f"{site.base_url}/tasks/*")


def explain(page: Page) -> None:
    page.get_by_label("What you explained will or could be shared").fill("School attendance and health notes")
    page.get_by_label("How it will be shared").fill("Secure email")
    page.get_by_label("Why it will be shared").fill("To plan support together")
    page.get_by_label("With whom it will be shared").fill("School nursing service")
    page.get_by_label("When it will be shared").fill("During this episode of work")
    page.get_by_role("group", name="Did the person understand?").get_by_label("Yes", exact=True).check()
    kinds = page.get_by_role("group", name="What kinds of information did the person agree may be shared?")
    kinds.get_by_label("School attendance, learning and behaviour", exact=True).check()
    purposes = page.get_by_role("group", name="What did the person agree it may be shared for?")
    purposes.get_by_label("To support the child's education", exact=True).check()


PATHS = [  # age, judged able to decide (None: not asked), who consents on the page, the person, consent_from
    pytest.param(19, None, "Child Test (the child)", "child", "adult", id="adult"),
    pytest.param(16, None, "Child Test (the child)", "child", "young_person", id="young-person"),
    pytest.param(12, True, "Child Test (the child)", "child", "child", id="child-able-to-decide"),
    pytest.param(12, False, "Parent 1 (parent)", "parent1", "person_with_pr", id="child-not-able-so-a-parent"),
]


@pytest.mark.parametrize(("age", "competent", "who", "person", "consent_from"), PATHS)
def test_consent_is_sought_from_whoever_may_give_it(
    site: Site, age: int, competent: bool | None, who: str, person: str, consent_from: str
) -> None:
    case_id, ids = site.scenario.open_case(age)
    name = f"30-p1-{consent_from}"
    pat = site.page_as("pat")
    start_episode(pat, site, case_id)
    if competent is not None:
        pat.get_by_role("heading", name="Judge the child's understanding").wait_for()
        judged = "Yes" if competent else "No"
        pat.get_by_role("group", name="Does the child understand enough").get_by_label(judged, exact=True).check()
        reasons = "She explained back what would be shared and why" if competent else "He could not yet say why"
        pat.get_by_label("Reasons for your judgement").fill(reasons)
        shoot(pat, f"{name}-1-judgement")
        submit_and_wait(pat, "Judge the child's understanding")

        max_ = site.page_as("max")  # the manager sees the judgement they advise on
        open_task(max_, site, "Advise on competence judgement")
        assert reasons in max_.get_by_test_id("context-1").inner_text()
        max_.get_by_role("group", name="Do you agree with the practitioner's judgement?").get_by_label(
            "Yes", exact=True).check()  # fmt: skip
        max_.get_by_label("Your advice").fill("Agreed: seen her at two visits")
        shoot(max_, f"{name}-2-manager-advice")
        submit_and_wait(max_, "Advise on competence judgement")
        open_task(pat, site, "Explain and seek consent")
    else:
        pat.get_by_role("heading", name="Explain and seek consent").wait_for()

    who_may = pat.locator("h2", has_text="Who may consent")
    who_may.wait_for()
    facts = pat.locator("main").inner_text()
    assert {"adult": "the person, an adult", "young_person": "the young person (16 or over)",
            "child": "the child, judged able to decide",
            "person_with_pr": "a person with parental responsibility"}[consent_from] in facts  # fmt: skip
    assert "(R2)" not in facts and "(R3)" not in facts
    assert ("The practitioner's judgement" in facts) == (competent is not None)  # asked only under 16
    explain(pat)
    pat.get_by_label("Refused", exact=True).check()
    pat.get_by_role("group", name="Who gave or refused consent").get_by_label(who).check()
    shoot(pat, f"{name}-3-seek-consent")
    submit_and_wait(pat, "Explain and seek consent")
    with site.app.db.read() as s:
        record = s.scalars(select(ConsentRecord).where(ConsentRecord.case_id == case_id)).one()
    assert (record.outcome, record.consent_from, record.consenting_person_id) == ("refused", consent_from, ids[person])
    pat.goto(f"{site.base_url}/cases/{case_id}")
    pat.get_by_role("heading", name="Consent records").wait_for()
    shoot(pat, f"{name}-4-case")


def ask_for_advice(site: Site, case_id: int, urgency: str = "standard") -> Page:
    pat = site.page_as("pat")
    pat.set_default_timeout(15_000)
    pat.goto(f"{site.base_url}/cases/{case_id}")
    pat.get_by_label("Ask a manager for advice").fill(QUESTION)
    pat.get_by_label("Urgency").select_option(urgency)
    pat.get_by_role("button", name="Ask for advice").click()
    pat.wait_for_url("**/*")
    return pat


def test_a_manager_advises_in_time_and_the_practitioner_sees_it(site: Site) -> None:
    case_id, _ = site.scenario.open_case(12)
    pat = ask_for_advice(site, case_id)
    max_ = site.page_as("max")
    open_task(max_, site, "Give advice on sharing")
    question = max_.get_by_test_id("context-1").inner_text()
    assert QUESTION in question and "Pat Practitioner" in question and "Standard" in question
    max_.get_by_role("button", name="Submit").click()  # nothing chosen: the errors name the question
    max_.locator(".govuk-error-summary").wait_for()
    summary = max_.locator(".govuk-error-summary").inner_text()
    assert "Select what you advise" in summary and "Enter the reasons for your advice" in summary
    assert "This field is required" not in summary
    shoot(max_, "40-p3-advice-errors")
    group = max_.get_by_role("group", name="What do you advise?")
    assert "should not" not in group.locator(".govuk-radios__item", has_text="Share").first.inner_text()
    group.get_by_label("Share", exact=True).check()
    max_.get_by_label("Your reasons").fill("The school nurse should see him this week")
    shoot(max_, "41-p3-advice-in-time")
    submit_and_wait(max_, "Give advice on sharing")
    pat.goto(f"{site.base_url}/cases/{case_id}")
    pat.get_by_text("The school nurse should see him this week").wait_for()
    shoot(pat, "42-p3-practitioner-sees-advice")
    with site.app.db.read() as s:
        advice = s.scalars(select(ManagerAdvice)).one()
    assert (advice.decision, advice.escalated, advice.within_deadline, advice.advised_by_id) == (
        "share",
        False,
        True,
        site.scenario.users["max"],
    )


def notices(site: Site, template: str, user: str) -> int:
    with site.app.db.read() as s:
        return len(
            s.scalars(
                select(Notification).where(
                    Notification.template == template, Notification.recipient_user_id == site.scenario.users[user]
                )
            ).all()
        )


def test_a_reminder_then_escalation_then_a_late_senior_manager(site: Site) -> None:
    case_id, _ = site.scenario.open_case(12)
    pat = ask_for_advice(site, case_id)
    clock = site.app.clock
    assert isinstance(clock, FixedClock)
    clock.advance(timedelta(days=1, hours=7))  # Tuesday 16:00: before the deadline, after the reminder time
    sweep_due_timers(site.app)
    assert notices(site, "task_reminder", "max") >= 1  # the manager is reminded (each channel)
    with site.app.db.read() as s:
        assert [t.task_spec for t in s.scalars(select(OpenTask))] == ["give_advice"]

    clock.advance(timedelta(hours=17, minutes=1))  # Wednesday 09:01: the manager's deadline has passed
    sweep_due_timers(site.app)
    with site.app.db.read() as s:
        assert [t.task_spec for t in s.scalars(select(OpenTask))] == ["give_escalated_advice"]
    assert notices(site, "consultation_escalated", "pat") >= 1  # the practitioner is told

    told = notices(site, "consultation_escalated", "sue")
    clock.advance(timedelta(days=1, minutes=1))  # Thursday: the senior manager's own deadline has passed too
    sweep_due_timers(site.app)
    assert notices(site, "consultation_escalated", "sue") > told  # told again; the task reissued with a new deadline
    sue = site.page_as("sue")
    open_task(sue, site, "Give escalated advice on sharing")
    main = sue.locator("main").inner_text()
    assert QUESTION in main and "What has happened so far" in main
    assert "No manager gave advice by the deadline" in main
    assert "Reminder sent to Max Manager" in main and "Told it was escalated: " in main
    assert "26 Nov 2026, 09:01 (passed: your advice is now late)" in main  # her deadline, not the reissue's
    shoot(sue, "43-p3-escalated-late")
    sue.get_by_role("group", name="What do you advise?").get_by_label("Seek consent first", exact=True).check()
    sue.get_by_label("Your reasons").fill("Ask his mother first: she has been open with us so far")
    submit_and_wait(sue, "Give escalated advice on sharing")
    with site.app.db.read() as s:
        advice = s.scalars(select(ManagerAdvice)).one()
        assert s.scalars(select(OpenTask)).all() == []
    assert (advice.decision, advice.escalated, advice.advised_by_id) == (
        "seek_consent_first",
        True,
        site.scenario.users["sue"],
    )
    # her lateness is measured against her own deadline (one working day after it escalated), not the reissue's
    first_senior_deadline = START + timedelta(days=3, minutes=1)
    assert (advice.due_at.replace(tzinfo=None), advice.within_deadline) == (
        first_senior_deadline.replace(tzinfo=None),
        False,
    )
    pat.goto(f"{site.base_url}/cases/{case_id}")
    pat.get_by_text("Ask his mother first: she has been open with us so far").wait_for()
    assert "after escalation, after the deadline" in pat.locator("main").inner_text()
    shoot(pat, "44-p3-practitioner-sees-late-advice")


def test_information_received_with_a_restriction(site: Site) -> None:
    case_id, _ = site.scenario.open_case(12)
    pat = site.page_as("pat")
    pat.set_default_timeout(15_000)
    pat.goto(f"{site.base_url}/cases/{case_id}")
    pat.get_by_role("button", name="Record information received").click()
    pat.get_by_role("heading", name="Record information received").wait_for()
    pat.get_by_role("button", name="Submit").click()
    pat.locator(".govuk-error-summary").wait_for()
    assert "Enter the information you received" in pat.locator(".govuk-error-summary").inner_text()
    pat.get_by_label("Information received").fill("Father has a conviction for assault in 2019")
    pat.get_by_label("Provided by (agency)").fill("Police")
    pat.get_by_label("Provided by (person)").fill("DC Shah")
    pat.get_by_role("group", name="Shared without consent?").get_by_label("Yes", exact=True).check()
    pat.get_by_label("Reasons given").fill("To protect the child from harm")
    restriction = "Not to be disclosed to the service user or their family"
    pat.locator("#received_restrictions-0-code").select_option(label=restriction)
    shoot(pat, "50-p4-information-received")
    submit_and_wait(pat, "Record information received")
    pat.goto(f"{site.base_url}/cases/{case_id}")
    pat.get_by_text("Father has a conviction for assault in 2019").wait_for()
    shoot(pat, "51-p4-case-with-restriction")
    with site.app.db.read() as s:
        received = s.scalars(select(ReceivedInformation)).one()
    assert (received.provided_by_agency, received.without_consent) == ("Police", True)
    assert [r["code"] for r in received.restrictions] == ["not_to_service_user"]


def test_a_disclosure_on_consent_picks_its_recipient_and_source(site: Site) -> None:
    case_id, ids = site.scenario.open_case(16)
    instance = site.scenario.start_episode(case_id)
    site.scenario.complete(instance, "seek_consent", "pat", {  # consent given (P1's journeys walk it in pages)
        **EXPLAINED, "understanding_confirmed": True, "consent_outcome": "given",
        "consenting_person_id": ids["child"], "recipients": [{"agency": "School nursing"}],
        "information_covered": ["education"], "purposes_covered": ["plan_support"]})  # fmt: skip
    pat = site.page_as("pat")
    pat.set_default_timeout(15_000)
    pat.goto(f"{site.base_url}/cases/{case_id}")
    pat.get_by_role("button", name="Record a disclosure").click()
    pat.get_by_role("heading", name="Record the disclosure").wait_for()
    recipient = pat.get_by_role("group", name="Which agency received it?")
    assert recipient.get_by_label("School nursing").count() == 1  # offered from the consent, not typed
    enter_date_and_time(pat, "When was the information shared?", datetime(2026, 11, 23, 8, 30))
    recipient.get_by_label("School nursing").check()
    pat.get_by_label("Who received it?").fill("Jo Patel, school nurse")
    pat.get_by_label("Secure email").check()
    pat.get_by_label("Why do they need it?").fill("So the school nurse can support him at school")
    pat.get_by_role("group", name="What was it shared for?").get_by_label(
        "To plan and provide support for the child and family", exact=True).check()  # fmt: skip
    items = pat.get_by_role("group", name="What was shared?")
    items.get_by_label("Information shared").first.fill("Attendance has dropped to 70% this term")
    items.get_by_label("What kind of information is it?").first.select_option(label="Police involvement and offending")
    items.get_by_label("Fact or opinion?").first.select_option(label="Fact")
    pat.get_by_role("button", name="Submit").click()
    summary = pat.locator(".govuk-error-summary")
    summary.wait_for()  # the consent covers school records, to plan support: the item is refused by name
    assert "Item 1, 'Attendance has dropped to 70% this term', is police involvement and offending, which the " \
        "consent does not cover" in summary.inner_text()  # fmt: skip
    shoot(pat, "59-p5-disclosure-item-outside-the-consent")
    with site.app.db.read() as s:
        assert s.scalars(select(Disclosure)).all() == []
    items = pat.get_by_role("group", name="What was shared?")
    items.get_by_label("What kind of information is it?").first.select_option(
        label="School attendance, learning and behaviour")  # fmt: skip
    shoot(pat, "60-p5-disclosure-form")
    submit_and_wait(pat, "Record the disclosure")
    pat.goto(f"{site.base_url}/cases/{case_id}")
    register = pat.get_by_test_id("disclosures")
    register.wait_for()
    assert "School nursing (Jo Patel, school nurse)" in register.inner_text()
    shoot(pat, "61-p5-disclosure-register")
    with site.app.db.read() as s:
        entry = s.scalars(select(Disclosure)).one()
    assert (entry.recipient_agency, entry.basis, entry.made_by_id) == (
        "School nursing",
        "consent",
        site.scenario.users["pat"],
    )
