"""Recording disclosures (P4) and information received (P5) through the real engine and task service."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from rules.consent import share_respects_restrictions
from safeshare.core.errors import DomainRuleError, FormValidationError
from safeshare.core.records import AuditEvent, ConsentRecord, Disclosure, Notification, ReceivedInformation
from safeshare.services import sharing
from safeshare.services.sharing import Audience
from tests.builders import EXPLAINED, Scenario

ITEMS = [
    {"content": "Attendance 71% this term", "kind": "fact", "information_kind": "education"},
    {"content": "Seems tired and withdrawn in class", "kind": "opinion", "information_kind": "health"},
]
DISCLOSED = {
    "made_at": "2026-11-23T09:00",
    "recipient_agency": "School nursing",
    "recipient_contact": "Oakfield school nurse",
    "disclosure_method": "secure_email",
    "disclosure_purpose": "To plan health support at school",
    "disclosure_purpose_kind": "health_care",
    "disclosed_items": ITEMS,
}


def count(scenario: Scenario, model: type) -> int:
    with scenario.app.db.read() as s:
        return s.scalar(select(func.count()).select_from(model)) or 0


def consent_given(
    scenario: Scenario, restrictions: list[str] | None = None, choices: list[dict[str, str]] | None = None
) -> int:
    """A 16-year-old consents to sharing with the school nursing service and Oakfield School (with
    ``restrictions`` in her words, or ``choices`` of restriction)."""
    case_id, ids = scenario.open_case(16)
    instance = scenario.start_episode(case_id)
    scenario.complete(
        instance,
        "seek_consent",
        "pat",
        {
            **EXPLAINED,
            "understanding_confirmed": True,
            "consent_outcome": "given_with_restrictions" if restrictions or choices else "given",
            "consenting_person_id": ids["child"],
            "recipients": [{"agency": "School nursing"}, {"agency": "Oakfield School"}],
            **({"restrictions": restrictions} if restrictions else {}),
            **({"restriction_choices": choices} if choices else {}),
        },
    )
    return case_id


def start_p4(scenario: Scenario, case_id: int) -> int:
    with scenario.app.transaction() as s:
        return sharing.start_disclosure(scenario.app, s, scenario.user(s, "pat"), case_id).id


def test_r21_disclosure_with_consent_is_registered_item_by_item(scenario: Scenario) -> None:
    """R21, R20, R6: when, who, to whom, how and what; each item fact or opinion; a notice is queued."""
    case_id = consent_given(scenario)
    instance = start_p4(scenario, case_id)
    row = scenario.complete(instance, "enter_disclosure", "pat", DISCLOSED)
    assert (row.status, row.outcome) == ("completed", "disclosure_recorded")
    with scenario.app.db.read() as s:
        entry = s.scalars(select(Disclosure)).one()
        assert (entry.basis, entry.recipient_agency, entry.method) == ("consent", "School nursing", "secure_email")
        assert entry.made_by_id == scenario.users["pat"] and entry.made_at == scenario.app.clock.now()
        assert entry.consent_record_id is not None and entry.share_decision_id is None
        assert [(i.content, i.kind) for i in entry.items] == [(i["content"], i["kind"]) for i in ITEMS]
        notes = s.scalars(select(Notification).where(Notification.template == "disclosure_made")).all()
        assert {n.context["recipient"]["name"] for n in notes} == {"Pat Practitioner", "Max Manager", "Sue Senior"}
        assert s.scalars(select(AuditEvent).where(AuditEvent.event_type == "disclosure_recorded")).one()


def test_r6_share_to_a_recipient_the_consent_does_not_name_is_refused(scenario: Scenario) -> None:
    case_id = consent_given(scenario)
    instance = start_p4(scenario, case_id)
    before = count(scenario, AuditEvent)
    with pytest.raises(DomainRuleError, match=r"does not name Youth Offending Service .*\(R6\)"):
        scenario.complete(
            instance, "enter_disclosure", "pat", {**DISCLOSED, "recipient_agency": "Youth Offending Service"}
        )
    assert count(scenario, Disclosure) == 0 and count(scenario, AuditEvent) == before
    assert count(scenario, Notification) == 0
    assert [t.task_spec for t in scenario.open_tasks(instance)] == ["enter_disclosure"]


def test_r7_a_restriction_on_the_consent_blocks_a_share_that_breaks_it(scenario: Scenario) -> None:
    """R7: a restriction chosen on the consent (a named person, an agency) blocks every share to them, by
    the recipient's agency or the person who receives it; a note in the person's words naming someone too."""
    case_id = consent_given(
        scenario,
        ["Not to be shared with the Oakfield head teacher"],
        [{"kind": "not_to_person", "person": "Darren Clarke"},
         {"kind": "not_to_agency", "agency": "Probation Service"}],
    )
    instance = start_p4(scenario, case_id)
    blocked = pytest.raises(DomainRuleError, match=r"restricts this share: 'Not to be shared with Darren Clarke' \(R")
    with blocked:
        scenario.complete(instance, "enter_disclosure", "pat", {**DISCLOSED, "recipient_contact": "Darren Clarke"})
    head = {**DISCLOSED, "recipient_agency": "Oakfield School", "recipient_contact": "Oakfield head teacher"}
    with pytest.raises(DomainRuleError, match=r"'Not to be shared with the Oakfield head teacher' \(R7\)"):
        scenario.complete(instance, "enter_disclosure", "pat", head)
    assert count(scenario, Disclosure) == 0
    scenario.complete(instance, "enter_disclosure", "pat", {**DISCLOSED, "restrictions_respected": True})
    assert count(scenario, Disclosure) == 1
    assert share_respects_restrictions([{"kind": "not_to_agency", "agency": "Probation Service"}], [],
                                       "Probation Service", "", True)[0].rule_id == "R7"


def test_r7_a_restriction_that_contradicts_a_named_recipient_is_refused_with_the_consent(scenario: Scenario) -> None:
    """R7: "not to police" on a consent that names the police is a contradiction: refused when the consent is
    recorded, with a message saying which, not overridden later by ticking "restrictions checked"."""
    case_id, ids = scenario.open_case(16)
    instance = scenario.start_episode(case_id)
    consent = {**EXPLAINED, "understanding_confirmed": True, "consent_outcome": "given_with_restrictions",
               "consenting_person_id": ids["child"], "recipients": [{"agency": "Police"}, {"agency": "CAMHS"}]}
    for restriction in ({"restrictions": ["not to police"]},
                        {"restriction_choices": [{"kind": "not_to_agency", "agency": "police"}]}):
        with pytest.raises(FormValidationError) as refused:
            scenario.complete(instance, "seek_consent", "pat", {**consent, **restriction})
        assert "agreed to sharing with Police but also asked" in refused.value.field_errors["restriction_choices"]
    with pytest.raises(FormValidationError) as refused:  # a restriction chosen without its detail
        scenario.complete(instance, "seek_consent", "pat",
                          {**consent, "restriction_choices": [{"kind": "not_to_person"}]})
    assert set(refused.value.field_errors) == {"restriction_choices.0.person"}
    with scenario.app.db.read() as s:
        assert s.scalar(select(func.count()).select_from(ConsentRecord)) == 0


def test_r7_not_to_the_person_themselves_is_passed_on_with_every_share(scenario: Scenario) -> None:
    case_id = consent_given(scenario, choices=[{"kind": "not_to_the_person_themselves"}])
    instance = start_p4(scenario, case_id)
    scenario.complete(instance, "enter_disclosure", "pat", DISCLOSED)
    with scenario.app.db.read() as s:
        assert s.scalars(select(Disclosure)).one().restrictions_on_use == [
            "Not to be disclosed to the person themselves"
        ]
        consent = s.scalars(select(ConsentRecord)).one()
    assert consent.restrictions == ["Not to be shared with the person themselves"]
    assert consent.restriction_choices == [{"kind": "not_to_the_person_themselves"}]


def test_r7_a_restriction_the_system_cannot_read_needs_a_person_to_confirm_it(scenario: Scenario) -> None:
    case_id = consent_given(scenario, ["Only the health parts, please"])
    instance = start_p4(scenario, case_id)
    with pytest.raises(DomainRuleError, match=r"need a person to check: Only the health parts.*\(R7\)"):
        scenario.complete(instance, "enter_disclosure", "pat", DISCLOSED)
    assert count(scenario, Disclosure) == 0
    scenario.complete(instance, "enter_disclosure", "pat", {**DISCLOSED, "restrictions_respected": True})
    assert count(scenario, Disclosure) == 1


def test_r20_every_item_must_be_marked_fact_or_opinion(scenario: Scenario) -> None:
    case_id = consent_given(scenario)
    instance = start_p4(scenario, case_id)
    with pytest.raises(FormValidationError, match="kind"):
        scenario.complete(
            instance, "enter_disclosure", "pat", {**DISCLOSED, "disclosed_items": [{"content": "Unmarked item"}]}
        )
    assert count(scenario, Disclosure) == 0


# ---------------------------------------------------------------- P5 information received

RECEIVED = {
    "received_details": "Father has a conviction for assault (2019)",
    "provided_by_agency": "Police",
    "provided_by_person": "PC Shah",
    "received_without_consent": True,
    "reasons_given": "Risk to the child (ground a)",
    "received_restrictions": [{"code": "not_to_service_user"}, {"code": "no_onward_sharing"}],
}


def receive(scenario: Scenario, case_id: int) -> int:
    with scenario.app.transaction() as s:
        instance = sharing.start_information_received(scenario.app, s, scenario.user(s, "pat"), case_id).id
    row = scenario.complete(instance, "record_received", "pat", RECEIVED)
    assert (row.status, row.outcome) == ("completed", "information_recorded")
    with scenario.app.db.read() as s:
        return s.scalars(select(ReceivedInformation)).one().id


def test_r23_information_received_is_recorded_with_its_restrictions(scenario: Scenario) -> None:
    case_id = consent_given(scenario)
    info_id = receive(scenario, case_id)
    with scenario.app.db.read() as s:
        info = s.get(ReceivedInformation, info_id)
        assert info is not None
        assert (info.provided_by_agency, info.without_consent, info.reasons_given) == (
            "Police",
            True,
            "Risk to the child (ground a)",
        )
        assert [r["code"] for r in info.restrictions] == ["not_to_service_user", "no_onward_sharing"]
        assert sharing.may_disclose(info, Audience("service_user"))[0] is False
        assert sharing.may_disclose(info, Audience("staff"))[0] is True
        pat = s.get(type(scenario.user(s, "pat")), scenario.users["pat"])
        assert pat is not None
        assert sharing.received_information_for(s, pat, case_id, Audience("service_user")) == []
        assert [r.id for r in sharing.received_information_for(s, pat, case_id)] == [info_id]


def test_r23_restricted_received_information_cannot_be_shared_on(scenario: Scenario) -> None:
    case_id = consent_given(scenario)
    info_id = receive(scenario, case_id)
    instance = start_p4(scenario, case_id)
    item = {"content": "Father has a conviction for assault", "kind": "fact", "information_kind": "concerns_about_harm",
            "received_information_id": info_id}
    with pytest.raises(DomainRuleError, match=r"may not be shared outside this agency \(R23\)"):
        scenario.complete(instance, "enter_disclosure", "pat", {**DISCLOSED, "disclosed_items": [item]})
    assert count(scenario, Disclosure) == 0
