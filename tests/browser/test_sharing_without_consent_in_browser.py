"""In real headless Chromium, the practitioner's side of sharing without consent, as people do it:
deciding on a listed reason, on a public-interest judgement, or asking a manager first when unsure (the
practitioner then decides), and recording a disclosure after a decision to share.

Questions are found by what they say on the page (their label or legend), never by field names. The
decision page uses the form engine's checkbox groups (lists of choices), fieldsets (a question with parts)
and reveals; the disclosure page uses only questions every engine draws.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page
from sqlalchemy import select

from safeshare.core.records import Disclosure, ManagerAdvice, OpenTask, ShareDecision
from tests.browser.conftest import Site, enter_date_and_time, shoot
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
    scenario.complete(
        instance,
        "judge_competence",
        "pat",
        {"child_competent": True, "competence_reasons": "Explained it all back clearly"},
    )
    scenario.complete(
        instance, "advise_on_competence", "max", {"manager_agrees_competence": True, "competence_advice": "Agreed"}
    )
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
    # the test clock says 09:00
    enter_date_and_time(page, "When was the information shared?", datetime(2026, 11, 23, 11, 30))
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
    enter_date_and_time(page, "When was the information shared?", datetime(2026, 11, 23, 9, 0))
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


# -- every route (issue 12): each listed reason, the law (a statute or a court order), the practitioner's other
# -- decisions, and "unsure", which always goes to a manager ------------------------------------------------

REASONS = {  # the procedure's list (a) to (f), as the page words them, and as recorded; (g) has its own journey
    "harm_to_child": HARM,
    "serious_harm_to_adult": "Not sharing may result in serious harm to an adult",
    "crime_committed": "Not sharing may result in a crime being committed",
    "crime_undetected": "Not sharing may result in a crime not being detected, including where seeking consent "
    "might interfere with an investigation",
    "lacks_understanding_to_withhold": "The young person does not have the understanding to withhold consent, so "
    "cannot override a parent's consent",
    "can_override_parental_refusal": "The young person has the understanding to override a parent's refusal",
}
LAW = "A statutory duty or court order requires the information to be shared"


def task_titles(page: Page, site: Site) -> list[str]:
    """The titles of the open tasks on the signed-in person's My tasks page."""
    page.goto(f"{site.base_url}/tasks")
    return [t.strip() for t in page.locator("main table a").all_inner_texts()]


def decision_on_case_page(page: Page, site: Site, case_id: int) -> str:
    page.goto(f"{site.base_url}/cases/{case_id}")
    shown = page.locator("[data-testid^='share-decision-']")
    shown.wait_for()
    return shown.inner_text()


@needs_choice_lists_and_parts
@pytest.mark.parametrize("ground", list(REASONS))
def test_each_listed_reason_leads_to_recording_the_disclosure(site: Site, ground: str) -> None:
    case_id = refused_consent(site.scenario)
    pat = site.page_as("pat")
    open_decision(pat)
    decide_to_share(pat)
    pat.get_by_label(REASONS[ground], exact=True).check()
    if ground == "crime_undetected":
        shoot(pat, f"29-share-decision-reason-{ground}")
    submit(pat)
    pat.get_by_text("Decide whether to share without consent: done").wait_for()
    made = the_decision(site)
    assert (made.outcome, made.grounds, made.public_interest, made.legal_basis) == ("share", [ground], None, None)
    assert made.recipients == [{"agency": "School nursing"}] and made.manager_advice_id is None
    with site.app.db.read() as s:
        assert s.scalars(select(ManagerAdvice)).all() == []  # not unsure: nobody else was asked
    assert "Record the disclosure" in task_titles(pat, site)  # what the practitioner does next
    shown = decision_on_case_page(pat, site, case_id)
    assert REASONS[ground] in shown and "Share without consent" in shown and "Public interest" not in shown
    if ground == "crime_undetected":
        shoot(pat, f"30-case-decision-reason-{ground}")


LEGAL_BASES = {
    "statute": ("A statutory duty", {"The statute and section, or the order's reference": "Children Act 1989 s47"}),
    "court_order": ("A court order", {
        "The statute and section, or the order's reference": "ZW26C00412",
        "Which court made the order?": "Family Court at Leeds",
    }),
}  # fmt: skip


@needs_choice_lists_and_parts
@pytest.mark.parametrize("kind", list(LEGAL_BASES))
def test_the_law_requires_sharing_the_person_is_told_then_it_is_recorded(site: Site, kind: str) -> None:
    """Ground (g) names the statute or the court order; the practitioner must then tell the person (where
    possible) before recording the disclosure the law requires."""
    case_id = refused_consent(site.scenario)
    pat = site.page_as("pat")
    open_decision(pat)
    decide_to_share(pat)
    pat.get_by_label(LAW, exact=True).check()
    law = question(pat, "The statutory duty or court order")
    law.get_by_label(LEGAL_BASES[kind][0], exact=True).check()
    for label, text in LEGAL_BASES[kind][1].items():
        law.get_by_label(label).fill(text)
    if kind == "court_order":  # the date it was made is left out: asked for beside the question, answers kept
        submit(pat)
        summary = pat.locator(".govuk-error-summary")
        summary.wait_for()
        assert "Enter the date the order was made" in summary.inner_text()
        law = question(pat, "The statutory duty or court order")
        assert law.get_by_label("Which court made the order?").input_value() == "Family Court at Leeds"
        assert pat.get_by_label(LAW, exact=True).is_checked()
        with site.app.db.read() as s:
            assert s.scalars(select(ShareDecision)).all() == []  # nothing written
        shoot(pat, "31-share-decision-court-order-without-its-date")
        fill_date(law, "When was the order made?", "2026-11-20")
    shoot(pat, f"32-share-decision-{kind}")
    submit(pat)
    pat.get_by_text("Decide whether to share without consent: done").wait_for()
    made = the_decision(site)
    assert (made.outcome, made.grounds) == ("must_share", ["statutory_duty_or_court_order"])
    assert made.legal_basis is not None and made.legal_basis["kind"] == kind
    if kind == "court_order":
        assert (made.legal_basis["court"], made.legal_basis["made_on"]) == ("Family Court at Leeds", "2026-11-20")
    assert "Tell the person before the information is shared" in task_titles(pat, site)  # next, not the disclosure
    shown = decision_on_case_page(pat, site, case_id)
    assert "Share: the law requires it" in shown
    assert (
        "Children Act 1989 s47"
        if kind == "statute"
        else "Court order ZW26C00412, made by Family Court at Leeds on 20 November 2026"
    ) in shown

    pat.get_by_role("link", name="My tasks").click()
    pat.get_by_role("link", name="Tell the person before the information is shared").click()
    told = question(pat, "Have you told the person what will be shared, why and with whom?")
    told.get_by_label("Yes", exact=True).check()
    pat.get_by_label("How were they told, or why not?").fill("By phone to his mother and to him, on 23 November")
    shoot(pat, f"33-tell-the-person-{kind}")
    submit(pat)
    pat.get_by_text("Tell the person before the information is shared: done").wait_for()
    with site.app.db.read() as s:
        assert s.get(ShareDecision, made.id).informed_outcome == "told"  # type: ignore[union-attr]
    assert "Record the disclosure" in task_titles(pat, site)
    assert "Yes, before the information was shared" in decision_on_case_page(pat, site, case_id)


def fill_date(scope: Locator, legend: str, iso: str) -> None:
    """A date question: one date box, or GOV.UK's day, month and year boxes."""
    year, month, day = iso.split("-")
    group = scope.get_by_role("group", name=legend)
    if group.count():
        group.get_by_label("Day").fill(day)
        group.get_by_label("Month").fill(month)
        group.get_by_label("Year").fill(year)
    else:
        scope.get_by_label(legend).fill(iso)


@needs_choice_lists_and_parts
@pytest.mark.parametrize(
    ("choice", "outcome", "shown"),
    [
        ("Do not share", "not_shared", "Do not share"),
        ("Seek consent first", "seek_consent_first", "Seek consent first"),
    ],
)
def test_deciding_not_to_share_or_to_seek_consent_first(site: Site, choice: str, outcome: str, shown: str) -> None:
    case_id = refused_consent(site.scenario)
    pat = site.page_as("pat")
    open_decision(pat)
    question(pat, "Are you unsure whether to share?").get_by_label("No", exact=True).check()
    question(pat, "What have you decided?").get_by_label(choice, exact=True).check()
    pat.get_by_label("Why?").fill("He has been open with us; his mother can be asked on Monday")
    submit(pat)
    pat.get_by_text("Decide whether to share without consent: done").wait_for()
    made = the_decision(site)
    assert (made.outcome, made.grounds, made.public_interest, made.recipients) == (outcome, [], None, [])
    assert "Record the disclosure" not in task_titles(pat, site)  # nothing is shared, so nothing to record
    page_text = decision_on_case_page(pat, site, case_id)
    assert shown in page_text and "He has been open with us" in page_text
    assert "Public interest" not in page_text and "Reasons for sharing without consent" not in page_text
    shoot(pat, f"34-case-decision-{outcome}")


@needs_choice_lists_and_parts
@pytest.mark.parametrize(
    ("urgency", "hours"), [("Immediate risk", 2), ("Urgent", 24), ("Standard", 48)]
)  # fmt: skip
def test_unsure_always_goes_to_a_manager_even_with_a_reason_ticked(site: Site, urgency: str, hours: int) -> None:
    """Whatever else the practitioner ticked, "unsure" asks a manager first, by the urgency's deadline;
    nothing is decided until the practitioner decides after the advice."""
    case_id = refused_consent(site.scenario)
    pat = site.page_as("pat")
    open_decision(pat)
    question(pat, "Are you unsure whether to share?").get_by_label("Yes", exact=True).check()
    question(pat, "How urgent is the concern?").get_by_label(urgency, exact=True).check()
    pat.get_by_label("What do you want to ask the manager?").fill("Is a second bruise enough to share?")
    question(pat, "What have you decided?").get_by_label("Share", exact=True).check()
    pat.get_by_label(HARM, exact=True).check()
    pat.get_by_label("Why?").fill("He says it was football; the school says he is withdrawn")
    submit(pat)
    pat.get_by_text("Decide whether to share without consent: done").wait_for()
    with site.app.db.read() as s:
        assert s.scalars(select(ShareDecision)).all() == []  # no decision yet, whatever was ticked
        advice_task = s.scalars(select(OpenTask).where(OpenTask.task_spec == "give_advice")).one()
    assert advice_task.due_at is not None
    due_in = advice_task.due_at.replace(tzinfo=None) - site.app.clock.now().replace(tzinfo=None)
    assert due_in == timedelta(hours=hours)  # the manager's deadline, by the urgency
    assert "Give advice on sharing" not in task_titles(pat, site)  # it is the manager's, not hers

    max_ = site.page_as("max")
    max_.get_by_role("link", name="Give advice on sharing").click()
    main = max_.locator("main").inner_text()
    assert "Is a second bruise enough to share?" in main and urgency in main  # the question, in words
    if urgency == "Immediate risk":
        shoot(max_, "35-manager-asked-about-an-immediate-risk")
    max_.goto(f"{site.base_url}/cases/{case_id}")
    assert "None recorded" in max_.locator("main").inner_text()  # no decision shown on the case either


@needs_choice_lists_and_parts
def test_a_too_short_reason_is_asked_for_again_with_the_answers_kept(site: Site) -> None:
    """Bad input: the reasons in too few words; the error names the question, the answers stay, nothing is written."""
    refused_consent(site.scenario)
    pat = site.page_as("pat")
    open_decision(pat)
    decide_to_share(pat)
    pat.get_by_label(HARM, exact=True).check()
    pat.get_by_label("Why?").fill("Bruises")
    submit(pat)
    summary = pat.locator(".govuk-error-summary")
    summary.wait_for()
    said = summary.inner_text()
    assert "Your answer to “Why?” must be 10 characters or more" in said, said  # the question, by its words
    assert summary.get_by_role("link", name="Your answer to “Why?” must be 10 characters or more").get_attribute(
        "href") == "#decision_reasons"
    assert pat.get_by_label(HARM, exact=True).is_checked() and pat.get_by_label("Why?").input_value() == "Bruises"
    with site.app.db.read() as s:
        assert s.scalars(select(ShareDecision)).all() == []
    shoot(pat, "36-share-decision-reasons-too-short")
