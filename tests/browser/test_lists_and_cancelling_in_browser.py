"""In real headless Chromium (issue 12): a practitioner whose share was refused cancels the process left waiting,
with a reason, and the case shows who cancelled it and why; people find cases by a child's name (another team
finds nothing); the tasks list and the audit trail filter in words, with views folded away; and the diagram
keeps its labels readable and lists the steps done in the order they happened."""

from __future__ import annotations

from playwright.sync_api import Page
from sqlalchemy import select

from safeshare.core.records import OpenTask
from safeshare.services import cases
from tests.browser.conftest import Site, shoot
from tests.test_disclosure import consent_given, start_p4


def _no_sideways_scroll(page: Page) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth"))


def test_a_refused_share_is_cancelled_with_its_reason_and_the_case_says_so(site: Site) -> None:
    case_id = consent_given(site.scenario)
    instance = start_p4(site.scenario, case_id)  # the school then refused to take the information

    pat = site.page_as("pat")
    pat.get_by_label("Kind of work").select_option("disclosure_record")
    pat.get_by_role("button", name="Filter").click()
    assert pat.locator("[data-testid=task-list]").get_by_role("link", name="Record the disclosure").count() == 1
    shoot(pat, "lists-01-tasks-filtered-by-kind-of-work")

    pat.goto(f"{site.base_url}/cases/{case_id}")
    pat.get_by_role("link", name=f"Cancel it (disclosure record #{instance})").click()
    pat.get_by_role("heading", name="Cancel disclosure record").wait_for()
    pat.get_by_role("button", name="Cancel disclosure record").click()  # no reason given
    pat.get_by_text("There is a problem").wait_for()
    assert pat.locator(".govuk-error-summary").get_by_role("link", name="Enter the reason for cancelling").count() == 1
    shoot(pat, "lists-02-cancel-without-a-reason")
    pat.get_by_label("Why is it no longer needed?").fill("The school refused to take the information")
    pat.get_by_role("button", name="Cancel disclosure record").click()
    pat.wait_for_url(f"{site.base_url}/cases/{case_id}?cancelled={instance}#processes")
    said = pat.locator(f"[data-testid=cancelled-{instance}]").inner_text()
    assert "cancelled by Pat Practitioner" in said and "The school refused to take the information" in said
    shoot(pat, "lists-03-case-shows-the-cancellation")
    with site.app.db.read() as s:
        assert not s.scalars(select(OpenTask).where(OpenTask.instance_id == instance)).all()

    max_ = site.page_as("max")  # the team's manager reads it on the trail, views folded away
    max_.goto(f"{site.base_url}/cases/{case_id}")
    max_.get_by_role("link", name="See the whole audit trail, filter it, and see who viewed the case").click()
    trail = max_.locator("[data-testid=audit]").inner_text()
    assert "Disclosure record cancelled by Pat Practitioner" in trail and "viewed case" not in trail
    assert "not listed" in max_.locator("[data-testid=folded-views]").inner_text()
    shoot(max_, "lists-04-audit-trail-views-folded")
    max_.get_by_label("Kind of event").select_option("views")
    max_.get_by_role("button", name="Show").click()
    assert "Max Manager viewed case" in max_.locator("[data-testid=audit]").inner_text()
    shoot(max_, "lists-05-audit-trail-views")


def test_cases_are_found_by_a_childs_name_only_by_those_who_may_see_them(site: Site) -> None:
    with site.app.transaction() as s:
        for n, name in enumerate(["Amy Lane", "Ben Moss", "Cara Lane"]):
            cases.open_case(
                site.app,
                s,
                site.scenario.user(s, "pat"),
                reference=f"NOR-2026-{n:03}",
                title="Support plan",
                child_name=name,
                child_date_of_birth=site.app.clock.now().date().replace(year=2014),
            )
    max_ = site.page_as("max")
    max_.get_by_role("link", name="Cases").first.click()
    max_.get_by_label("Search by case reference or a person's name").fill("lane")
    max_.get_by_role("button", name="Search").click()
    found = max_.locator("[data-testid=case-list]").inner_text()
    assert "Amy Lane" in found and "Cara Lane" in found and "Ben Moss" not in found
    shoot(max_, "lists-06-case-search")

    olu = site.page_as("olu")  # another team: the same search finds nothing
    olu.goto(f"{site.base_url}/cases?q=lane")
    assert "No cases you can see match" in olu.locator("[data-testid=no-results]").inner_text()
    shoot(olu, "lists-07-case-search-other-team")

    olu.goto(f"{site.base_url}/cases?page=two")
    olu.get_by_text("Enter a page number, such as 2").first.wait_for()
    shoot(olu, "lists-08-bad-page-number")


def test_the_diagram_is_readable_and_lists_the_steps_in_the_order_they_happened(site: Site) -> None:
    case_id = consent_given(site.scenario)
    pat = site.page_as("pat")
    pat.goto(f"{site.base_url}/cases/{case_id}")
    pat.get_by_role("link", name="Consent seeking #").first.click()
    diagram = pat.locator("[data-testid=diagram]")
    pat.locator("[data-testid=diagram][data-rendered=true]").wait_for()
    assert float(diagram.get_attribute("data-scale") or 0) >= 0.9
    steps = pat.locator("[data-testid=done-steps] li").all_inner_texts()
    assert steps[0] == "Episode of work begins" and steps[-1] == "Consent recorded"
    assert steps.index("Explain and seek consent") < steps.index("Record consent outcome")
    shoot(pat, "lists-09-diagram")

    narrow = site.browser.new_context(viewport={"width": 320, "height": 800}).new_page()
    narrow.goto(f"{site.base_url}/sign-in")
    narrow.get_by_label("Username").fill("pat")
    narrow.get_by_label("Password", exact=True).fill("browser password 1")
    narrow.get_by_role("button", name="Sign in").click()
    narrow.wait_for_url(f"{site.base_url}/tasks")
    narrow.goto(pat.url)
    narrow.locator("[data-testid=diagram][data-rendered=true]").wait_for()
    assert float(narrow.locator("[data-testid=diagram]").get_attribute("data-scale") or 0) >= 0.9
    box = narrow.locator("[data-testid=diagram-scroll]")
    assert box.evaluate("b => b.scrollWidth > b.clientWidth")  # the diagram scrolls in its own box
    assert _no_sideways_scroll(narrow)  # the page itself does not
    shoot(narrow, "lists-10-diagram-320px")
