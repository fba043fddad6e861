"""In real headless Chromium, the practitioner's side of sharing without consent, as people do it:
deciding on a listed reason, on a public-interest judgement, or asking a manager first when unsure (the
practitioner then decides), and recording a disclosure after a decision to share.

Questions are found by what they say on the page (their label or legend), never by field names. The
decision page uses the form engine's checkbox groups (lists of choices), fieldsets (a question with parts)
and reveals; the disclosure page uses only questions every engine draws.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page
from sqlalchemy import select

from safeshare.records import Disclosure, ManagerAdvice, OpenTask, ShareDecision
from tests.browser.conftest import Site, shoot
from tests.builders import EXPLAINED, Scenario
from web.forms import build_fields

DECISION_FORM = Path(__file__).resolve().parents[2] / "bpmn" / "forms" / "decide_share_without_consent.schema.json"


def _engine_draws_the_decision_form() -> bool:
    """Whether the form engine draws a list of choices as checkboxes and a question with parts as its parts
    (the decision form needs both); the engine that does not yet draws them as text boxes."""
    kinds = {f.name: f.kind for f in build_fields(json.loads(DECISION_FORM.read_text(encoding="utf-8")))}
    return kinds.get("grounds") != "string_list" and kinds.get("weighing") != "text"


needs_choice_lists_and_parts = pytest.mark.skipif(
    not _engine_draws_the_decision_form(),
    reason="the form engine does not yet draw checkbox groups and questions with parts (the form-engine work)",
)

HARM = "Not sharing may result in harm to the child or young person"
WEIGHING = {
    "What might happen if the information is shared?": "The school nurse can check on him; his mother may be upset",
    "What might happen if it is not shared?": "Further injuries may go unnoticed for weeks",
}


def refused_consent(scenario: Scenario) -> int:
    """A competent 15-year-old refuses consent: his consent seeking waits on the decision. Returns the case id."""
    case_id, ids = scenario.open_case(15)
    instance = scenario.start_episode(case_id)
    scenario.complete(instance, "judge_competence", "pat",
                      {"child_competent": True, "competence_reasons": "Explained it all back clearly"})
    scenario.complete(instance, "advise_on_competence", "max",
                      {"manager_agrees_competence": True, "competence_advice": "Agreed"})
    scenario.complete(instance, "seek_consent", "pat", {
        **EXPLAINED, "understanding_confirmed": True, "consent_outcome": "refused",
        "consenting_person_id": ids["child"]})  # fmt: skip
    return case_id


def question(page: Page, legend: str) -> Locator:
    """A question drawn as a group (yes/no, choices, a list or a question with parts), by its legend."""
    return page.get_by_role("group", name=legend)


def open_decision(page: Page) -> None:
    page.set_default_timeout(10_000)
    page.get_by_role("link", name="Decide whether to share without consent").click()
    page.get_by_role("heading", name="Decide whether to share without consent").wait_for()


def decide_to_share(page: Page) -> None:
    """Not unsure; share; the weighing, one recipient, what and why (the basis is chosen by the caller)."""
    question(page, "Are you unsure whether to share?").get_by_label("No", exact=True).check()
    question(page, "What have you decided?").get_by_label("Share", exact=True).check()
    for label, text in WEIGHING.items():
        page.get_by_label(label).fill(text)
    question(page, "Is sharing in proportion to the need").get_by_label("Yes", exact=True).check()
    question(page, "Who would receive it?").get_by_label("Agency").first.fill("School nursing")
    page.get_by_label("What would be shared?").fill("Bruising seen on both arms on two visits")
    question(page, "What kinds of information would be shared?").get_by_label(
        "Concerns about harm or neglect", exact=True).check()  # fmt: skip
    question(page, "What would it be shared for?").get_by_label(
        "To protect the child or others from harm", exact=True).check()  # fmt: skip
    page.get_by_label("Why?").fill("Unexplained injuries to a 15-year-old: a concern about significant harm")


def submit(page: Page) -> None:
    page.get_by_role("button", name="Submit").click()


def the_decision(site: Site) -> ShareDecision:
    with site.app.db.read() as s:
        return s.scalars(select(ShareDecision)).one()


@needs_choice_lists_and_parts
def test_a_practitioner_shares_without_consent_on_a_listed_reason(site: Site) -> None:
    refused_consent(site.scenario)
    page = site.page_as("pat")
    open_decision(page)
    decide_to_share(page)
    page.get_by_label(HARM).check()
    shoot(page, "20-share-decision-on-a-reason")
    submit(page)
    page.get_by_text("Decide whether to share without consent: done").wait_for()
    made = the_decision(site)
    assert (made.outcome, made.grounds, made.decided_by_id) == ("share", ["harm_to_child"], site.scenario.users["pat"])
    assert made.weighing is not None and made.weighing["proportionate"] is True


@needs_choice_lists_and_parts
def test_a_practitioner_shares_in_the_public_interest_when_no_reason_fits(site: Site) -> None:
    refused_consent(site.scenario)
    page = site.page_as("pat")
    open_decision(page)
    decide_to_share(page)
    submit(page)  # no reason chosen and no judgement yet: the page asks for it beside the question
    page.locator(".govuk-error-summary").wait_for()
    assert "Make a public-interest judgement" in page.locator(".govuk-error-summary").inner_text()
    shoot(page, "21-share-decision-asks-for-a-public-interest-judgement")
    page.get_by_label("To protect children or other people from harm").check()
    page.get_by_label("Why is sharing justified in the public interest?").fill(
        "Two facts to the school nurse are a small intrusion against a real risk of further injury"
    )
    shoot(page, "22-share-decision-public-interest")
    submit(page)
    page.get_by_text("Decide whether to share without consent: done").wait_for()
    made = the_decision(site)
    assert (made.outcome, made.grounds) == ("share", [])
    assert made.public_interest is not None and made.public_interest["interests"] == ["protect_from_harm"]


@needs_choice_lists_and_parts
def test_an_unsure_practitioner_asks_a_manager_then_decides(site: Site) -> None:
    case_id = refused_consent(site.scenario)
    pat = site.page_as("pat")
    open_decision(pat)
    question(pat, "Are you unsure whether to share?").get_by_label("Yes", exact=True).check()
    question(pat, "How urgent is the concern?").get_by_label("Urgent", exact=True).check()
    pat.get_by_label("What do you want to ask the manager?").fill("Is the bruising enough to share against his wish?")
    pat.get_by_label("Why?").fill("Unexplained injuries, but he says they happened at football")
    shoot(pat, "23-share-decision-unsure")
    submit(pat)
    pat.get_by_text("Decide whether to share without consent: done").wait_for()

    max_ = site.page_as("max")
    max_.get_by_role("link", name="Give advice on sharing").click()
    question(max_, "What do you advise?").get_by_label("Share", exact=True).check()
    max_.get_by_label("Your reasons").fill("The pattern of injuries needs the school nurse's eyes on him")
    shoot(max_, "24-manager-advises")
    submit(max_)
    max_.get_by_text("Give advice on sharing: done").wait_for()
    with site.app.db.read() as s:
        assert s.scalars(select(ShareDecision)).all() == []  # the manager advised; nothing is decided yet

    pat.goto(f"{site.base_url}/cases/{case_id}")
    pat.get_by_text("The pattern of injuries needs the school nurse's eyes on him").wait_for()  # the advice
    pat.goto(f"{site.base_url}/tasks")
    open_decision(pat)
    decide_to_share(pat)
    pat.get_by_label(HARM).check()
    shoot(pat, "25-share-decision-after-advice")
    submit(pat)
    pat.get_by_text("Decide whether to share without consent: done").wait_for()
    made = the_decision(site)
    with site.app.db.read() as s:
        advice = s.scalars(select(ManagerAdvice)).one()
    assert (made.decided_by_id, made.manager_advice_id) == (site.scenario.users["pat"], advice.id)


def test_a_disclosure_is_recorded_after_a_decision_to_share(site: Site) -> None:
    case_id = refused_consent(site.scenario)
    with site.app.db.read() as s:  # the decision is the other journeys' subject: made here through the task service
        instance = s.scalars(select(OpenTask.instance_id).where(OpenTask.task_spec == "decide_grounds")).one()
    site.scenario.complete(instance, "decide_grounds", "pat", {
        "in_doubt": False, "practitioner_decision": "share", "grounds": ["harm_to_child"],
        "weighing": {"if_shared": "The nurse can check on him", "if_not_shared": "Injuries may go unnoticed",
                     "proportionate": True},
        "share_recipients": [{"agency": "School nursing"}], "what_to_share": "Bruising seen on two visits",
        "share_information": ["concerns_about_harm"], "share_purposes": ["protect_from_harm"],
        "decision_reasons": "A concern about significant harm"})  # fmt: skip

    page = site.page_as("pat")
    page.get_by_role("link", name="Record the disclosure").click()
    page.get_by_role("heading", name="Record the disclosure").wait_for()
    page.get_by_label("When was the information shared?").fill("2026-11-23T11:30")  # the test clock says 09:00
    question(page, "Which agency received it?").get_by_label("School nursing").check()  # from the decision
    page.get_by_label("Who received it?").fill("Jo Patel, school nurse")
    page.get_by_label("Secure email").check()
    page.get_by_label("Why do they need it?").fill("So the school nurse can check on him")
    purpose = question(page, "What was it shared for?")
    purpose.get_by_label("To protect the child or others from harm", exact=True).check()
    items = question(page, "What was shared?")
    items.get_by_label("Information shared").first.fill("Bruising seen on both arms on 20 and 23 November")
    items.get_by_label("What kind of information is it?").first.select_option(label="Concerns about harm or neglect")
    items.get_by_label("Fact or opinion?").first.select_option(label="Fact")
    question(page, "Did you tell the recipient that consent was refused or not sought?").get_by_label(
        "Yes", exact=True
    ).check()
    submit(page)
    page.locator(".govuk-error-summary").wait_for()  # in the future: refused, in plain words
    assert "must be now or in the past" in page.locator(".govuk-error-summary").inner_text()
    shoot(page, "26-disclosure-time-in-the-future")
    page.get_by_label("When was the information shared?").fill("2026-11-23T09:00")
    shoot(page, "27-disclosure-form")
    submit(page)
    page.get_by_text("Record the disclosure: done").wait_for()
    page.goto(f"{site.base_url}/cases/{case_id}")
    register = page.get_by_test_id("disclosures")
    register.wait_for()
    assert "School nursing (Jo Patel, school nurse)" in register.inner_text()
    shoot(page, "28-case-disclosure-register")
    with site.app.db.read() as s:
        entry = s.scalars(select(Disclosure)).one()
    assert (entry.made_by_id, entry.recorded_by_id) == (site.scenario.users["pat"], site.scenario.users["pat"])
    assert entry.recipient_contact == "Jo Patel, school nurse" and entry.basis == "without_consent"
