"""Each share records its data-protection basis beside the procedure's ground (R47, issue 13 item 8): UK GDPR
Article 6, Article 9 and, where that needs one, the DPA 2018 Schedule 1 condition; defaults offered from the
ground; shown on the register (page, API, export). Driven through the task service and the pages."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from rules.data_protection import DataProtectionBasis, data_protection_basis_complete, default_basis
from safeshare.core.errors import DomainRuleError
from safeshare.core.records import Disclosure
from safeshare.services import accounts, exports
from safeshare.services.exports import ExportQuery
from tests.builders import Scenario
from tests.test_disclosure import DISCLOSED as WITH_CONSENT
from tests.test_disclosure import consent_given, start_p4
from tests.test_share_without_consent import COURT_ORDER, DECISION, DISCLOSED, count, start_p2
from tests.test_web_ui import PASSWORD, sign_in
from tests.webkit import make_webkit

SAFEGUARDING = {
    "article_6": "public_task",
    "article_9": "substantial_public_interest",
    "schedule_1": "safeguarding",
}


def entry(scenario: Scenario) -> Disclosure:
    with scenario.app.db.read() as s:
        return s.scalars(select(Disclosure)).one()


def shared_without_consent(scenario: Scenario, grounds: list[str], **extra: object) -> int:
    """A share without consent decided on ``grounds``; returns the instance waiting for the register entry."""
    case_id, _ = scenario.open_case(14)
    instance = start_p2(scenario, case_id)
    scenario.complete(instance, "decide_grounds", "pat", {**DECISION, "grounds": grounds, **extra})
    return instance


def test_r47_the_basis_offered_from_a_crime_ground_is_recorded_and_shown_on_the_register(scenario: Scenario) -> None:
    """R47: left empty, the register entry records the basis offered from the ground (a crime: Schedule 1
    paragraph 10), marked as the default, and the register shows it in words (API and export)."""
    instance = shared_without_consent(scenario, ["crime_undetected"])
    scenario.complete(instance, "enter_disclosure", "pat", DISCLOSED)
    recorded = entry(scenario).data_protection
    assert recorded == {
        "article_6": "public_task",
        "article_9": "substantial_public_interest",
        "schedule_1": "preventing_unlawful_acts",
        "from_defaults": True,
    }
    web = make_webkit(scenario.app, scenario)
    register = web.get("pat", f"/api/cases/{entry(scenario).case_id}/disclosures").json()["disclosures"]
    words = register[0]["data_protection_basis"]
    assert "Article 6(1)(e)" in words and "Article 9(2)(g)" in words and "paragraph 10" in words
    with scenario.app.db.read() as s:
        rows, _ = exports.disclosure_rows(s, scenario.user(s, "pat"), ExportQuery(kind="disclosures"))
    assert rows[0]["data_protection_basis"] == words


def test_r47_a_court_order_is_offered_a_legal_obligation_and_the_courts(scenario: Scenario) -> None:
    instance = shared_without_consent(scenario, ["statutory_duty_or_court_order"], legal_basis=COURT_ORDER)
    scenario.complete(instance, "inform_individual", "pat", {"inform_outcome": "told", "inform_note": "By phone"})
    scenario.complete(instance, "enter_disclosure", "pat", DISCLOSED)
    assert entry(scenario).data_protection == {
        "article_6": "legal_obligation",
        "article_9": "legal_claims_or_courts",
        "schedule_1": None,
        "from_defaults": True,
    }


def test_r47_a_share_without_consent_cannot_rest_on_consent_and_nothing_is_written(scenario: Scenario) -> None:
    """R47: consent as the data-protection basis of a share made without consent is refused; so is an Article 9
    condition with a Schedule 1 condition that does not go with it. Nothing reaches the register."""
    instance = shared_without_consent(scenario, ["harm_to_child"])
    with pytest.raises(DomainRuleError, match="cannot have consent as its data-protection basis"):
        scenario.complete(instance, "enter_disclosure", "pat", {**DISCLOSED, "article_6_basis": "consent"})
    with pytest.raises(DomainRuleError, match="Schedule 1 condition that goes with"):
        scenario.complete(
            instance,
            "enter_disclosure",
            "pat",
            {**DISCLOSED, "article_9_condition": "health_or_social_care", "schedule_1_condition": "safeguarding"},
        )
    assert count(scenario, Disclosure) == 0
    scenario.complete(
        instance,
        "enter_disclosure",
        "pat",
        {**DISCLOSED, "article_6_basis": "vital_interests", "article_9_condition": "health_or_social_care"},
    )
    assert entry(scenario).data_protection == {
        "article_6": "vital_interests",
        "article_9": "health_or_social_care",
        "schedule_1": "health_or_social_care",
        "from_defaults": False,
    }


def test_r47_a_share_with_consent_may_choose_consent_and_is_otherwise_offered_safeguarding(
    scenario: Scenario,
) -> None:
    case_id = consent_given(scenario)
    instance = start_p4(scenario, case_id)
    scenario.complete(
        instance,
        "enter_disclosure",
        "pat",
        {**WITH_CONSENT, "article_6_basis": "consent", "article_9_condition": "explicit_consent"},
    )
    assert entry(scenario).data_protection == {
        "article_6": "consent",
        "article_9": "explicit_consent",
        "schedule_1": None,
        "from_defaults": False,
    }
    assert default_basis(()) == DataProtectionBasis(**SAFEGUARDING)


def test_r47_the_case_page_shows_the_basis_on_the_register(scenario: Scenario) -> None:
    instance = shared_without_consent(scenario, ["harm_to_child"])
    scenario.complete(instance, "enter_disclosure", "pat", DISCLOSED)
    web = make_webkit(scenario.app, scenario)
    with scenario.app.transaction() as s:
        accounts.set_password(scenario.app, s, None, scenario.user(s, "pat"), PASSWORD)
    page = sign_in(web, "pat").get(f"/cases/{entry(scenario).case_id}").text
    assert "Data protection basis" in page
    assert "Schedule 1, paragraph 18: safeguarding of children and of individuals at risk" in page


def test_r47_rule_unit() -> None:
    ok = DataProtectionBasis("public_task", "no_special_category", None)
    assert data_protection_basis_complete(ok, with_consent=False) == []
    missing = DataProtectionBasis("public_task", "substantial_public_interest", None)
    assert [b.field for b in data_protection_basis_complete(missing, with_consent=False)] == ["schedule_1_condition"]
    needless = DataProtectionBasis("public_task", "no_special_category", "safeguarding")
    assert [b.field for b in data_protection_basis_complete(needless, with_consent=True)] == ["schedule_1_condition"]
    consent = DataProtectionBasis("public_task", "explicit_consent", None)
    assert [b.field for b in data_protection_basis_complete(consent, with_consent=False)] == ["article_9_condition"]
    assert data_protection_basis_complete(consent, with_consent=True) == []
    assert default_basis(["statutory_duty_or_court_order"], "statute").schedule_1 == "statutory_purposes"
