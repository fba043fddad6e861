"""A practitioner signs in and completes consent seeking in real headless Chromium; another team's
practitioner cannot open the case. Screenshots of each page go to test-output/screenshots/."""

from __future__ import annotations

from sqlalchemy import select

from safeshare.core.records import ConsentRecord
from tests.browser.conftest import Site, shoot


def test_practitioner_signs_in_and_completes_a_consent_task(site: Site) -> None:
    case_id, ids = site.scenario.open_case(12)
    instance = site.scenario.start_episode(case_id)
    site.scenario.complete(instance, "judge_competence", "pat",
                           {"child_competent": False, "competence_reasons": "Could not yet explain it"})
    site.scenario.complete(instance, "advise_on_competence", "max",
                           {"manager_agrees_competence": True, "competence_advice": "Agreed"})

    page = site.browser.new_context(viewport={"width": 1200, "height": 900}).new_page()
    page.goto(f"{site.base_url}/tasks")
    assert "/sign-in?next=/tasks" in page.url
    shoot(page, "01-sign-in")
    page.get_by_label("Username").fill("pat")
    page.get_by_label("Password", exact=True).fill("browser password 1")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{site.base_url}/tasks")
    assert page.get_by_text("Signed in as").is_visible()
    shoot(page, "02-my-tasks")

    page.get_by_role("link", name="Explain and seek consent").click()
    page.get_by_role("heading", name="Explain and seek consent").wait_for()
    page.get_by_label("Given with restrictions").check()
    page.get_by_role("button", name="Submit").click()
    page.locator(".govuk-error-summary").wait_for()
    assert page.locator("#explained_what-error").is_visible()
    shoot(page, "03-task-form-with-errors")

    page.get_by_label("What you explained will or could be shared").fill("School attendance and health notes")
    page.get_by_label("How it will be shared").fill("Secure email")
    page.get_by_label("Why it will be shared").fill("To plan support together")
    page.get_by_label("With whom it will be shared").fill("School nursing service")
    page.get_by_label("When it will be shared").fill("During this episode of work")
    page.locator("#understanding_confirmed").check()
    page.get_by_label("Parent 1 (parent)").check()
    page.locator("#recipients-0-agency").fill("School nursing service")
    kinds = page.get_by_role("group", name="What kinds of information did the person agree may be shared?")
    kinds.get_by_label("School attendance, learning and behaviour", exact=True).check()
    kinds.get_by_label("Health and development", exact=True).check()
    purposes = page.get_by_role("group", name="What did the person agree it may be shared for?")
    purposes.get_by_label("To provide health care", exact=True).check()
    page.get_by_label("Anything else the person asked for, in their words").fill("Not to be disclosed to service user")
    page.get_by_label("Verbal with witness").check()
    page.get_by_label("Who witnessed the consent?").fill("Jo Witness, family support worker")
    page.get_by_role("group", name="How was the person given their copy").get_by_label("In person").check()
    page.get_by_role("button", name="Submit").click()
    page.get_by_text("The process has finished.").wait_for()
    shoot(page, "04-task-done")

    page.get_by_role("link", name="open the case").click()
    page.get_by_role("heading", name="Consent records").wait_for()
    assert page.get_by_text("Restriction: Not to be disclosed to service user").first.is_visible()
    shoot(page, "05-case")
    with site.app.db.read() as s:
        record = s.scalars(select(ConsentRecord)).one()
        assert (record.outcome, record.consenting_person_id) == ("given_with_restrictions", ids["parent1"])
        assert record.restrictions == ["Not to be disclosed to service user"]
        assert record.scope == {"information": ["education", "health"], "purposes": ["health_care"]}

    page.goto(f"{site.base_url}/processes/{instance}/diagram")
    page.locator("#diagram[data-rendered='true']").wait_for(timeout=15000)
    assert page.locator("#diagram .djs-element.app-done").count() >= 3
    shoot(page, "06-diagram")


def test_a_user_without_access_cannot_open_another_teams_case(site: Site) -> None:
    case_id, _ = site.scenario.open_case(12)
    page = site.page_as("olu")
    response = page.goto(f"{site.base_url}/cases/{case_id}")
    assert response is not None and response.status == 404
    assert page.get_by_role("heading", name="Page not found").is_visible()
    assert "Test case" not in page.content()
    shoot(page, "07-other-teams-case-refused")
    page.goto(f"{site.base_url}/cases")
    assert page.get_by_text("You cannot see any cases").is_visible()


def test_manager_queue_and_admin_pages(site: Site) -> None:
    case_id, _ = site.scenario.open_case(12)
    instance = site.scenario.start_episode(case_id)
    site.scenario.complete(instance, "judge_competence", "pat",
                           {"child_competent": True, "competence_reasons": "Explained it all in her own words"})
    page = site.page_as("max")
    page.get_by_role("link", name="Manager queue").click()
    page.get_by_role("link", name="Advise on competence judgement").wait_for()
    shoot(page, "08-manager-queue")
    admin = site.page_as("alex")
    admin.get_by_role("link", name="Administration").click()
    admin.get_by_role("heading", name="Users and roles").wait_for()
    shoot(admin, "09-admin-users")
