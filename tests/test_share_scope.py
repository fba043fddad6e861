"""What is shared is checked item by item against what the consent or the decision covers (R19, R20; issue 13
item 3): each item is a kind of information and each share has a purpose, chosen from lists, compared with
the kinds and purposes the consent (or the decision to share without consent) names. Through the task
service, the automated answer to another agency and a referral on consent."""

from __future__ import annotations

from typing import Any, cast

import pytest
from sqlalchemy import func, select

from rules.scope import scope_is_named, share_within_scope
from safeshare.core.errors import DomainRuleError, FormValidationError
from safeshare.core.records import AuditEvent, ConsentRecord, Disclosure, Notification, Referral
from safeshare.services import referrals, sharing
from tests.builders import EXPLAINED, Scenario
from tests.test_agency_request import ASK, answer
from tests.test_disclosure import DISCLOSED, consent_given, start_p4
from tests.test_share_without_consent import DECISION, start_p2
from tests.test_share_without_consent import DISCLOSED as WITHOUT_CONSENT

POLICE_ITEM = {"content": "Father arrested for assault last week", "kind": "fact",
               "information_kind": "police_and_offending"}  # fmt: skip


def count(scenario: Scenario, model: type) -> int:
    with scenario.app.db.read() as s:
        return s.scalar(select(func.count()).select_from(model)) or 0


def refused(scenario: Scenario, instance: int, spec: str, data: dict[str, Any], match: str) -> None:
    """The share is refused with ``match``; nothing is written, the task stays open."""
    before = (count(scenario, Disclosure), count(scenario, AuditEvent), count(scenario, Notification))
    with pytest.raises(DomainRuleError, match=match):
        scenario.complete(instance, spec, "pat", data)
    assert (count(scenario, Disclosure), count(scenario, AuditEvent), count(scenario, Notification)) == before
    assert spec in [t.task_spec for t in scenario.open_tasks(instance)]


def test_r19_r20_each_item_is_checked_against_the_kinds_of_information_the_consent_covers(
    scenario: Scenario,
) -> None:
    """The consent covers school, health and concerns about harm: an item about police involvement is refused,
    naming the item, whatever its words; retyping the words as something milder does not change its kind."""
    case_id = consent_given(scenario)
    instance = start_p4(scenario, case_id)
    items = [*DISCLOSED["disclosed_items"], POLICE_ITEM]
    refused(scenario, instance, "enter_disclosure", {**DISCLOSED, "disclosed_items": items},
            r"Item 3, 'Father arrested for assault last week', is police involvement and offending, which the "
            r"consent does not cover \(it covers: school attendance, learning and behaviour; health and development; "
            r"concerns about harm or neglect\) \(R19\)")  # fmt: skip
    retyped = {**POLICE_ITEM, "content": "Some family news"}
    refused(
        scenario,
        instance,
        "enter_disclosure",
        {**DISCLOSED, "disclosed_items": [retyped]},
        r"Item 1, 'Some family news', is police involvement and offending",
    )
    scenario.complete(instance, "enter_disclosure", "pat", DISCLOSED)
    with scenario.app.db.read() as s:
        entry = s.scalars(select(Disclosure)).one()
        assert entry.purpose_kind == "health_care"
        assert [i.information_kind for i in entry.items] == ["education", "health"]


def test_r19_a_share_for_a_purpose_the_consent_does_not_cover_is_refused(scenario: Scenario) -> None:
    case_id = consent_given(scenario)
    instance = start_p4(scenario, case_id)
    refused(
        scenario,
        instance,
        "enter_disclosure",
        {**DISCLOSED, "disclosure_purpose_kind": "prevent_or_detect_crime"},
        r"The consent does not cover sharing 'to prevent or detect crime' \(it covers: to plan and provide "
        r"support for the child and family; to provide health care; to protect the child or others from harm\)",
    )
    # The words of the purpose are the practitioner's; only the choice is compared.
    with pytest.raises(FormValidationError, match="disclosure_purpose_kind"):
        scenario.complete(instance, "enter_disclosure", "pat",
                          {k: v for k, v in DISCLOSED.items() if k != "disclosure_purpose_kind"})  # fmt: skip
    assert count(scenario, Disclosure) == 0


def test_r19_a_share_without_consent_stays_inside_what_the_decision_covers(scenario: Scenario) -> None:
    """The decision covers concerns about harm and health, to protect the child: school records are refused."""
    case_id, _ = scenario.open_case(14)
    instance = start_p2(scenario, case_id)
    scenario.complete(instance, "decide_grounds", "pat", {**DECISION, "grounds": ["harm_to_child"]})
    with scenario.app.db.read() as s:
        assert s.scalars(select(sharing.ShareDecision)).one().scope == {
            "information": ["concerns_about_harm", "health"], "purposes": ["protect_from_harm"]}  # fmt: skip
    school = {"content": "Attendance 71% this term", "kind": "fact", "information_kind": "education"}
    refused(scenario, instance, "enter_disclosure",
            {**WITHOUT_CONSENT, "disclosed_items": [*cast(list[Any], WITHOUT_CONSENT["disclosed_items"]), school]},
            r"Item 3, 'Attendance 71% this term', is school attendance, learning and behaviour, which the decision "
            r"to share without consent does not cover")  # fmt: skip
    refused(
        scenario,
        instance,
        "enter_disclosure",
        {**WITHOUT_CONSENT, "disclosure_purpose_kind": "plan_support"},
        r"The decision to share without consent does not cover sharing 'to plan and provide support",
    )
    scenario.complete(instance, "enter_disclosure", "pat", WITHOUT_CONSENT)
    assert count(scenario, Disclosure) == 1


def test_r19_consent_and_a_decision_must_say_what_they_cover(scenario: Scenario) -> None:
    """Nothing is covered by default: consent given names the kinds of information and the purposes, and so
    does a decision to share without consent; the step itself refuses them too (not only the form)."""
    case_id, ids = scenario.open_case(16)
    instance = scenario.start_episode(case_id)
    given = {**EXPLAINED, "understanding_confirmed": True, "consent_outcome": "given",
             "consenting_person_id": ids["child"], "recipients": [{"agency": "School nursing"}]}  # fmt: skip
    with pytest.raises(FormValidationError) as form:
        scenario.complete(instance, "seek_consent", "pat", {**given, "information_covered": [], "purposes_covered": []})
    assert {"information_covered", "purposes_covered"} <= set(form.value.field_errors)
    assert count(scenario, ConsentRecord) == 0
    assert [b.field for b in scope_is_named([], ["health_care"], ("a", "b"))] == ["a"]
    assert [b.field for b in scope_is_named(["health"], ["not_a_purpose"], ("a", "b"))] == ["b"]
    assert scope_is_named(["health"], ["health_care"], ("a", "b")) == []
    case2, _ = scenario.open_case(14)
    p2 = start_p2(scenario, case2)
    with pytest.raises(FormValidationError) as decided:
        scenario.complete(p2, "decide_grounds", "pat",
                          {**DECISION, "grounds": ["harm_to_child"], "share_information": []})  # fmt: skip
    assert "share_information" in decided.value.field_errors


def test_r19_a_consent_recorded_before_its_scope_was_asked_covers_nothing(scenario: Scenario) -> None:
    """A consent in force from before kinds and purposes were recorded: a share on it is refused with what to
    do, not let through because its scope is unknown."""
    case_id = consent_given(scenario)
    with scenario.app.transaction() as s:
        s.scalars(select(ConsentRecord)).one().scope = None
    instance = start_p4(scenario, case_id)
    refused(
        scenario,
        instance,
        "enter_disclosure",
        DISCLOSED,
        r"The consent does not say what information it covers or what for \(R19\)",
    )
    assert share_within_scope("the consent", None, "health_care", [])[0].hint.startswith("Seek consent again")


def test_r19_an_answer_to_another_agency_stays_inside_the_consent(scenario: Scenario) -> None:
    case_id = consent_given(scenario)
    with scenario.app.transaction() as s:
        instance = referrals.start_agency_request(scenario.app, s, scenario.user(s, "pat"), case_id, **ASK).id
    with pytest.raises(DomainRuleError, match=r"Item 1, 'Attendance 71% this term', is police involvement"):
        answer(scenario, instance, answer_information_kind="police_and_offending")
    assert count(scenario, Disclosure) == 0
    answer(scenario, instance)
    with scenario.app.db.read() as s:
        entry = s.scalars(select(Disclosure)).one()
        assert (entry.purpose_kind, entry.items[0].information_kind) == ("plan_support", "education")


def test_r19_a_referral_on_consent_needs_a_consent_covering_concerns_about_harm(scenario: Scenario) -> None:
    """The referral shares a concern about harm to protect the child: a consent that covers neither is not
    enough; a referral without consent (its own ground) is still possible."""
    from tests.test_referral import refer, start

    case_id, ids = scenario.open_case(16)
    episode = scenario.start_episode(case_id)
    scenario.complete(episode, "seek_consent", "pat", {
        **EXPLAINED, "understanding_confirmed": True, "consent_outcome": "given", "consenting_person_id": ids["child"],
        "recipients": [{"agency": "Northfield Children's Services front door"}], "information_covered": ["education"],
        "purposes_covered": ["education_support"]})  # fmt: skip
    instance = start(scenario, case_id)
    wrong = r"consent does not cover sharing 'to protect the child or others from harm' \(it covers: to support"
    with pytest.raises(DomainRuleError, match=wrong):
        refer(scenario, instance, referral_consent="given")
    assert count(scenario, Referral) == 0 and count(scenario, Disclosure) == 0
