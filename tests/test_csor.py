"""Child Sex Offender Disclosure Scheme (P6) through the real engine and task service."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from safeshare.core.errors import DomainRuleError
from safeshare.core.records import Document
from tests.builders import Scenario
from tests.scheme_steps import MEETING, NO_DISCLOSURE, RISK, application, start, to_decision

DECIDE = {
    "disclose": True,
    "necessary": True,
    "proportionate": True,
    "in_childs_interests": True,
    "recipient": "someone_else",
    "recipient_name": "Jo Taylor",
    "recipient_relationship": "parent",
    "recipient_best_placed": True,
    "tell_subject": False,
    "decision_reasons": "Convictions for offences against children; lives with Lily",
}


def test_r24_r37_csor_application_to_disclosure_to_the_parent_best_placed(scenario: Scenario) -> None:
    app_id, instance = start(scenario, "csor")
    to_decision(scenario, instance)
    scenario.complete(instance, "decide_disclosure", "priya", DECIDE)
    row = scenario.complete(instance, "disclosure_meeting", "priya", {**MEETING, "support_offered": "NSPCC leaflet"})
    assert (row.process_id, row.outcome) == ("csor_application", "disclosure_made")
    record = application(scenario, app_id)
    assert (record.scheme, record.outcome, record.reference[:5]) == ("csor", "disclosed", "CSOR-")
    assert record.children == [{"name": "Lily Taylor", "age": 7}]
    assert record.completion_due_at == record.received_at + timedelta(days=45)  # R33: 45 days
    with scenario.app.db.read() as s:
        kinds = [d.kind for d in s.scalars(select(Document).order_by(Document.id))]
        assert kinds == ["confidentiality_undertaking", "csor_disclosure_record"]


def test_r24_an_application_must_name_the_children(scenario: Scenario) -> None:
    with pytest.raises(DomainRuleError, match=r"each child .*\(R24\)"):
        start(scenario, "csor", children=[])


def test_r25_r37_a_disclosure_only_to_the_person_best_placed_and_in_the_childs_interests(scenario: Scenario) -> None:
    app_id, instance = start(scenario, "csor")
    to_decision(scenario, instance)
    with pytest.raises(DomainRuleError, match=r"best placed to protect the child.*\(R37\)"):
        scenario.complete(instance, "decide_disclosure", "priya", {**DECIDE, "recipient_best_placed": False})
    with pytest.raises(DomainRuleError, match=r"in the child's interests \(R25\)"):
        scenario.complete(instance, "decide_disclosure", "priya", {**DECIDE, "in_childs_interests": False})
    assert application(scenario, app_id).decision is None


def test_r37_presumption_to_disclose_needs_full_reasons_to_depart_from(scenario: Scenario) -> None:
    app_id, instance = start(scenario, "csor")
    to_decision(scenario, instance)
    with pytest.raises(DomainRuleError, match=r"presumption to disclose.*\(R37\)"):
        scenario.complete(
            instance, "decide_disclosure", "priya", {**DECIDE, "disclose": False, "decision_reasons": "Not this time"}
        )
    reasons = "The subject has left the household and has no further access to Lily"
    scenario.complete(
        instance, "decide_disclosure", "priya", {**DECIDE, "disclose": False, "decision_reasons": reasons}
    )
    row = scenario.complete(instance, "communicate_no_disclosure", "priya", NO_DISCLOSURE)
    assert row.outcome == "no_disclosure"
    record = application(scenario, app_id)
    assert record.outcome == "not_disclosed" and record.decision["decision_reasons"] == reasons


def test_r33_csor_outcome_after_45_days_needs_an_exceptional_delay_reason(scenario: Scenario) -> None:
    _, instance = start(scenario, "csor")
    to_decision(scenario, instance, risk={**RISK, "relevant_convictions": False})
    scenario.complete(instance, "decide_disclosure", "priya", {**DECIDE, "disclose": False})
    scenario.app.clock.advance(timedelta(days=46))
    with pytest.raises(DomainRuleError, match=r"time limit.*\(R33\)"):
        scenario.complete(instance, "communicate_no_disclosure", "priya", NO_DISCLOSURE)
    row = scenario.complete(
        instance,
        "communicate_no_disclosure",
        "priya",
        {**NO_DISCLOSURE, "exceptional_delay_reason": "Awaiting MAPPA meeting minutes"},
    )
    assert row.outcome == "no_disclosure"
