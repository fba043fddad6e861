"""In real headless Chromium, a referral to children's social care (P9, R41) and a request from another
agency (P10, R46), each step by the person who does it: the practitioner refers from the case page and acts
at once on immediate risk, no manager first; when children's social care has not responded in one working
day a manager follows it up; the practitioner records the team's acknowledgement and decision; the
chronology shows it all. An agency's request is recorded from the case page and answered on consent.
Questions are found by what they say on the page, never by field names."""

from __future__ import annotations

from datetime import datetime, timedelta

from playwright.sync_api import Locator, Page
from sqlalchemy import select

from safeshare.core.records import AgencyRequest, Disclosure, Referral
from tests.browser.conftest import Site, enter_date_and_time, shoot
from tests.test_disclosure import consent_given
from workflows.timer_sweep import sweep_due_timers


def question(page: Page, legend: str) -> Locator:
    return page.get_by_role("group", name=legend)


def submit(page: Page) -> None:
    page.get_by_role("button", name="Submit").click()


def open_task(page: Page, site: Site, title: str) -> None:
    page.goto(f"{site.base_url}/tasks")
    page.get_by_role("link", name=title).first.click()
    page.get_by_role("heading", name=title).wait_for()


def when(site: Site) -> datetime:
    return site.app.clock.now()


def test_a_referral_on_immediate_risk_escalated_then_decided(site: Site) -> None:
    case_id, _ = site.scenario.open_case(9)
    pat = site.page_as("pat")
    pat.set_default_timeout(10_000)
    pat.goto(f"{site.base_url}/cases/{case_id}")
    refer = question(pat, "Refer to children's social care: is a child at immediate risk of harm now?")
    refer.get_by_label("Yes", exact=True).check()
    shoot(pat, "60-referral-from-the-case-page")
    pat.get_by_role("button", name="Refer to children's social care").click()
    pat.get_by_role("heading", name="Act now: the child is at immediate risk").wait_for()
    assert "call the police on 999" in pat.content()
    question(pat, "Did you call the police on 999?").get_by_label("Yes", exact=True).check()
    question(pat, "Did you tell children's social care's duty team?").get_by_label("Yes", exact=True).check()
    pat.get_by_label("What did you do, and when?").fill("Called 999 at 09:02, police attending; duty team told 09:10")
    shoot(pat, "61-referral-act-now")
    submit(pat)
    pat.get_by_text("Act now: the child is at immediate risk: done").wait_for()

    open_task(pat, site, "Make the referral to children's social care")
    pat.get_by_label("What is your concern?").fill("Child found alone at night with bruising; says dad hit her")
    pat.get_by_label("Which children's social care team did you refer to?").fill("Northfield front door")
    pat.get_by_label("Who did you speak to or send it to?").fill("Sam Lee, duty social worker")
    question(pat, "How did you make the referral?").get_by_label("By phone").check()
    enter_date_and_time(pat, "When did you make the referral?", when(site))
    question(pat, "Did the family consent to the referral?").get_by_label("No, consent was not sought").check()
    pat.get_by_label("Why are you referring without consent?").fill("Asking the father could put her at more risk")
    question(pat, "Did you tell the team that consent was refused or not sought?").get_by_label(
        "Yes", exact=True
    ).check()
    shoot(pat, "62-referral-made-without-consent")
    submit(pat)
    pat.get_by_text("Make the referral to children's social care: done").wait_for()
    with site.app.db.read() as s:
        referral = s.scalars(select(Referral)).one()
        disclosure = s.get(Disclosure, referral.disclosure_id)
        assert disclosure is not None and disclosure.basis == "without_consent"
    assert referral.immediate_risk and referral.immediate_actions is not None

    site.app.clock.advance(timedelta(hours=25))  # a working day passes with no word from the team
    sweep_due_timers(site.app)
    maxm = site.page_as("max")
    maxm.set_default_timeout(10_000)
    open_task(maxm, site, "Follow up the late response from children's social care")
    maxm.get_by_label("What did you do?").fill("Rang the front-door team manager; it is being screened now")
    shoot(maxm, "63-referral-late-manager-follows-up")
    submit(maxm)
    maxm.get_by_text("Follow up the late response from children's social care: done").wait_for()

    open_task(pat, site, "Record that children's social care acknowledged the referral")
    enter_date_and_time(pat, "When did the team acknowledge the referral?", when(site))
    pat.get_by_label("Who acknowledged it?").fill("Sam Lee, duty social worker")
    submit(pat)
    pat.get_by_text("acknowledged the referral: done").wait_for()
    open_task(pat, site, "Record children's social care's decision")
    question(pat, "What did children's social care decide?").get_by_label("A strategy discussion").check()
    enter_date_and_time(pat, "When did they decide?", when(site))
    pat.get_by_label("Who told you the decision?").fill("Sam Lee, duty social worker")
    pat.get_by_label("What happens next?").fill("Strategy discussion with police this afternoon")
    shoot(pat, "64-referral-decision")
    submit(pat)
    pat.get_by_text("Record children's social care's decision: done").wait_for()

    pat.goto(f"{site.base_url}/cases/{case_id}")
    pat.get_by_role("link", name="Chronology: every significant event on this case, in date order").click()
    table = pat.get_by_test_id("chronology")
    table.wait_for()
    text = table.inner_text()
    for event in (
        "Immediate risk: acted at once",
        "Information shared without consent",
        "Referral to children's social care",
        "Manager followed up the late response",
        "Referral acknowledged",
        "Children's social care decided: A strategy discussion",
    ):
        assert event in text
    shoot(pat, "65-chronology")


REQUEST_QUESTIONS = ("Which agency is asking?", "Who at the agency?", "What do they need it for?",
                     "What lawful basis do they give?", "What are they asking for?")


def another_agency_asks(site: Site, request: tuple[str, ...], screenshot: str = "") -> Page:
    """On a case with consent given, the practitioner records another agency's request from the case page (the
    answers to ``REQUEST_QUESTIONS``, in order), and is taken to the task of answering it."""
    case_id = consent_given(site.scenario)
    pat = site.page_as("pat")
    pat.set_default_timeout(10_000)
    pat.goto(f"{site.base_url}/cases/{case_id}")
    asks = pat.get_by_role("group", name="Another agency asks for")  # the case page also has "Ask another agency for"
    for label, answer in zip((*REQUEST_QUESTIONS, "By when do they need the answer?"), (*request, "2026-11-25"),
                             strict=True):
        asks.get_by_label(label).fill(answer)
    if screenshot:
        shoot(pat, screenshot)
    pat.get_by_role("button", name="Record the request", exact=True).click()
    pat.get_by_role("heading", name="Answer the request from another agency").wait_for()
    return pat


def say_when_and_submit(pat: Page, site: Site, screenshot: str) -> None:
    """The answer's last question, the page as it stands, then the answer sent."""
    enter_date_and_time(pat, "When did you answer or decline?", when(site))
    shoot(pat, screenshot)
    submit(pat)
    pat.get_by_text("Answer the request from another agency: done").wait_for()


def test_another_agency_asks_and_the_practitioner_answers_on_consent(site: Site) -> None:
    asked = ("School nursing", "Oakfield school nurse", "To plan a health assessment before the review",
             "The consent we hold; Children Act 2004 s.11", "Attendance this term")
    pat = another_agency_asks(site, asked, "66-request-from-another-agency")
    question(pat, "Will you answer the request?").get_by_label("Answer the request").check()
    declining = pat.get_by_label("Why are you declining the request?")
    told = question(pat, "Did you tell the agency that consent was refused or not sought?")
    assert declining.is_hidden() and told.is_hidden()  # each is asked only where it applies
    assert pat.get_by_label("What are you sharing?").is_visible()
    basis = question(pat, "On what basis are you answering?")
    basis.get_by_label("A recorded decision to share without consent covers this agency").check()
    told.wait_for()  # answering without consent asks whether the agency was told
    basis.get_by_label("The consent in force names this agency").check()
    assert told.is_hidden()
    pat.get_by_label("What are you sharing?").fill("Attendance 71% this term")
    question(pat, "Is what you share fact or opinion?").get_by_label("Fact", exact=True).check()
    question(pat, "What kind of information are you sharing?").get_by_label(
        "School attendance, learning and behaviour", exact=True).check()  # fmt: skip
    question(pat, "What are you sharing it for?").get_by_label(
        "To plan and provide support for the child and family", exact=True).check()  # fmt: skip
    question(pat, "How did you send the answer?").get_by_label("Secure email").check()
    say_when_and_submit(pat, site, "67-request-answered")
    with site.app.db.read() as s:
        request = s.scalars(select(AgencyRequest)).one()
        assert request.outcome == "answered" and request.disclosure_id is not None
        disclosure = s.get(Disclosure, request.disclosure_id)
        assert disclosure is not None and disclosure.recipient_agency == "School nursing"


def test_the_practitioner_declines_another_agencys_request_and_says_why(site: Site) -> None:
    asked = ("Oakfield Housing Association", "Tenancy officer", "To review the family's tenancy",
             "Legitimate interests", "Whether the family is known to children's services")
    pat = another_agency_asks(site, asked)
    question(pat, "Will you answer the request?").get_by_label("Decline the request").check()
    pat.get_by_label("Why are you declining the request?").fill(
        "A tenancy review is not a purpose the consent covers, and it does not need this information")
    assert question(pat, "On what basis are you answering?").is_hidden()  # the answer's questions are not asked
    say_when_and_submit(pat, site, "68-request-declined")
    with site.app.db.read() as s:
        request = s.scalars(select(AgencyRequest)).one()
        assert (request.outcome, request.disclosure_id) == ("declined", None)
        assert request.outcome_note is not None and request.outcome_note.startswith("A tenancy review")
        assert s.scalars(select(Disclosure)).all() == []
