"""Bad input in the page, as issue 12 names it, in Debian's Chromium: a choice the page did not offer (the page
changed in the browser, as an attacker or a stale page would send it), a list longer than the form allows, a
date in the future where it cannot be, an answer too short. Each time the error summary ("There is a problem")
names the question in words and links to it, the answers typed are still there, and nothing is written.

(An empty answer, an answer too short in the share decision and an adult's date of birth for a child's case are
walked in test_sharing_without_consent_in_browser.py, test_journeys_in_browser.py and
test_case_records_in_browser.py.)"""

from __future__ import annotations

from datetime import timedelta

from playwright.sync_api import Page
from sqlalchemy import func, select

from safeshare.core.records import AuditEvent, CompletedTask, ConsentRecord
from tests import scheme_steps
from tests.browser.conftest import Site, choose, shoot
from tests.webkit import READS

NOTES = "Met at the station; relationship of 8 months; two children at home"


def summary_links(page: Page) -> dict[str, str]:
    """The error summary's entries: words -> where each links."""
    page.get_by_role("heading", name="There is a problem").wait_for()
    links = page.locator(".govuk-error-summary__list a")
    return {links.nth(i).inner_text(): str(links.nth(i).get_attribute("href")) for i in range(links.count())}


def written(site: Site) -> tuple[int, int, int]:
    """(completed tasks, consent records, audit events other than views): the same before and after means nothing
    was written (reading a case or an application is written to the trail whatever the answer)."""
    with site.app.db.read() as s:
        return (s.scalar(select(func.count()).select_from(CompletedTask)) or 0,
                s.scalar(select(func.count()).select_from(ConsentRecord)) or 0,
                s.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.event_type.not_in(READS)))
                or 0)  # fmt: skip


def test_a_choice_not_offered_and_more_documents_than_the_form_allows_are_refused(site: Site) -> None:
    application_id, instance = scheme_steps.start(site.scenario, "right_to_ask")
    site.scenario.complete(instance, "initial_checks", "priya", scheme_steps.CHECKS)
    reference = scheme_steps.application(site.scenario, application_id).reference
    page = site.page_as("priya")
    page.set_default_timeout(15_000)
    page.get_by_role("link", name="Police queue").click()
    page.get_by_role("link", name=reference).click()
    page.get_by_role("link", name="Face-to-face meeting with the applicant").click()
    page.get_by_role("heading", name="Face-to-face meeting with the applicant").wait_for()
    assert page.locator("#identity_documents .app-row").count() == 4  # the form's limit: no more rows drawn

    choose(page, "Was the applicant's identity verified?", "Yes")
    for row, document in enumerate(["Passport", "Utility bill", "Bank statement", "Birth certificate"]):
        if row >= 2:  # the rows after the two open at first are opened one at a time
            page.get_by_role("button", name="Add another document").click()
        page.locator(f"#identity_documents-{row}-document").select_option(label=document)
        page.get_by_role("group", name="Has a photo?").nth(row).get_by_label("Yes" if row == 0 else "No").check()
    page.get_by_label("What happened at the meeting?").fill("Met")  # too short
    page.evaluate("""() => {  // the page changed in the browser: a fifth document, and a kind not offered
        const form = document.querySelector('main form[method="post"]')
        for (const [name, value] of [['identity_documents-4-document', 'passport'],
                                     ['identity_documents-4-has_photo', 'yes']]) {
            const input = document.createElement('input')
            Object.assign(input, {type: 'hidden', name, value})
            form.appendChild(input)
        }
        const forged = document.querySelector('#identity_documents-1-document option:checked')
        forged.value = 'forged_letter'
    }""")
    before = written(site)
    page.get_by_role("button", name="Submit").click()

    links = summary_links(page)
    assert links == {
        "Identity documents seen: Document 2: Select an answer to “Document” from the list":
            "#identity_documents-1-document",
        "Add no more than 4 documents to “Identity documents seen”": "#identity_documents",
        "Your answer to “What happened at the meeting?” must be 10 characters or more": "#meeting_notes",
    }, links
    assert "This field is required" not in page.locator("main").inner_text()
    assert page.get_by_label("What happened at the meeting?").input_value() == "Met"  # the answers typed are kept
    assert page.locator("#identity_documents-2-document").input_value() == "bank_statement"
    assert page.locator("#identity_documents-4-document").input_value() == "passport"  # the extra row, shown
    assert page.get_by_role("group", name="Has a photo?").nth(0).get_by_label("Yes").is_checked()
    assert written(site) == before
    assert scheme_steps.application(site.scenario, application_id).identity_check is None
    assert [t.task_spec for t in site.scenario.open_tasks(instance)] == ["face_to_face"]
    shoot(page, "bad-input-01-choice-not-offered-and-too-many-documents")

    too_short = "Your answer to “What happened at the meeting?” must be 10 characters or more"
    page.get_by_role("link", name=too_short).click()
    assert page.evaluate("document.activeElement.id") == "meeting_notes"


def test_a_kind_of_information_not_offered_and_a_signature_dated_in_the_future_are_refused(site: Site) -> None:
    case_id, ids = site.scenario.open_case(19)
    site.scenario.start_episode(case_id)
    page = site.page_as("pat")
    page.set_default_timeout(15_000)
    page.get_by_role("link", name="Explain and seek consent").first.click()
    page.get_by_role("heading", name="Explain and seek consent").wait_for()
    page.get_by_label("What you explained will or could be shared").fill("School attendance and health notes")
    page.get_by_label("How it will be shared").fill("Secure email")
    page.get_by_label("Why it will be shared").fill("To plan support together")
    page.get_by_label("With whom it will be shared").fill("School nursing service")
    page.get_by_label("When it will be shared").fill("During this episode of work")
    page.locator("#understanding_confirmed").check()
    page.get_by_label("Given", exact=True).check()
    page.get_by_role("group", name="Who gave or refused consent").get_by_label("Child Test (the child)").check()
    page.locator("#recipients-0-agency").fill("School nursing service")
    kinds = page.get_by_role("group", name="What kinds of information did the person agree may be shared?")
    school = kinds.get_by_label("School attendance, learning and behaviour", exact=True)
    school.check()
    health = kinds.get_by_label("Health and development", exact=True)
    health.evaluate("box => { box.value = 'everything_on_file' }")  # a choice the page never offered
    health.check()
    purposes = page.get_by_role("group", name="What did the person agree it may be shared for?")
    purposes.get_by_label("To provide health care", exact=True).check()
    page.get_by_label("Typed name").check()
    page.get_by_label("Their name, as they typed it").fill("Child Test")
    tomorrow = site.app.clock.now().date() + timedelta(days=1)
    signed = page.get_by_role("group", name="The date they signed")
    signed.get_by_label("Day").fill(str(tomorrow.day))
    signed.get_by_label("Month").fill(str(tomorrow.month))
    signed.get_by_label("Year").fill(str(tomorrow.year))
    page.get_by_role("group", name="How was the person given their copy").get_by_label("In person").check()
    before = written(site)
    page.get_by_role("button", name="Submit").click()

    links = summary_links(page)
    kinds_words = "Select answers to “What kinds of information did the person agree may be shared?” from the list"
    assert links == {kinds_words: "#information_covered"}, links
    signed = page.get_by_role("group", name="The date they signed")  # the answers typed are kept
    assert signed.get_by_label("Day").input_value() == str(tomorrow.day)
    assert page.get_by_label("Their name, as they typed it").input_value() == "Child Test"
    kinds = page.get_by_role("group", name="What kinds of information did the person agree may be shared?")
    assert kinds.get_by_label("School attendance, learning and behaviour", exact=True).is_checked()
    assert page.get_by_label("Why it will be shared").input_value() == "To plan support together"
    assert written(site) == before
    shoot(page, "bad-input-02-kind-of-information-not-offered")

    kinds.get_by_label("Health and development", exact=True).check()  # the page's own choice this time
    page.get_by_role("button", name="Submit").click()  # the shape is right: the rules see the date
    links = summary_links(page)
    assert links == {"The date they signed must be today or in the past": "#signed_on-day"}, links
    signed = page.get_by_role("group", name="The date they signed")
    assert signed.get_by_label("Year").input_value() == str(tomorrow.year)
    assert written(site) == before
    shoot(page, "bad-input-03-signed-in-the-future")

    today = site.app.clock.now().date()
    signed.get_by_label("Day").fill(str(today.day))
    signed.get_by_label("Month").fill(str(today.month))
    signed.get_by_label("Year").fill(str(today.year))
    page.get_by_role("button", name="Submit").click()
    page.get_by_text("Explain and seek consent: done").wait_for()
    with site.app.db.read() as s:
        record = s.scalars(select(ConsentRecord).where(ConsentRecord.case_id == case_id)).one()
    assert record.scope["information"] == ["education", "health"]
    assert record.consenting_person_id == ids["child"]
