"""Shared steps for the police scheme tests (CSOR, DVDS): start an application, move it stage by stage."""

from __future__ import annotations

from typing import Any

from safeshare.core.records import Role, SchemeApplication, Team
from safeshare.services import directory, schemes
from tests.builders import Scenario

CHECKS = {
    "checks": [
        {
            "source": "police_national_computer",
            "checked_by": "DC Priya Shah",
            "checked_on": "4 December 2026",
            "result": "convictions_found",
            "reference": "PNC/26/0412",
        },
        {
            "source": "childrens_services",
            "checked_by": "DC Priya Shah",
            "checked_on": "4 December 2026",
            "result": "nothing_found",
        },
    ],
    "risk_tool": "DASH",
    "crime_reported": False,
    "immediate_risk": False,
    "initial_risk_level": "medium",
    "initial_checks_summary": "PNC and local systems checked",
}
IDENTITY = {
    "identity_verified": True,
    "meeting_notes": "Met at the station; relationship of 8 months",
    "identity_documents": [
        {"document": "passport", "has_photo": True},
        {"document": "utility_bill", "has_photo": False},
    ],
}
RISK = {
    "relevant_convictions": True,
    "information_indicates_risk": True,
    "agencies_consulted": ["probation", "health"],
    "risk_level": "high",
    "risk_summary": "Two convictions for assault on former partners",
}
MEETING = {
    "recipient_identity_verified": True,
    "recipient_identity_documents": [
        {"document": "driving_licence", "has_photo": True},
        {"document": "bank_statement", "has_photo": False},
    ],
    "warning_given": True,
    "undertaking_signed": True,
    "information_disclosed": "Two convictions for assault on former partners (2018, 2021)",
    "support_offered": "Referred to the IDVA; safety plan agreed",
}
NO_DISCLOSURE = {
    "support_offered": "Contact details for the local domestic abuse service",
}


def start(scenario: Scenario, route: str, **overrides: Any) -> tuple[int, int]:
    """Police staff record an application; returns (application id, instance id)."""
    fields: dict[str, Any] = {
        "applicant": {"name": "Sam Taylor", "safe_contact": "mobile, texts only"},
        "subject": {"name": "Alex Reed", "date_of_birth": "1990-04-01"},
        "person_at_risk": {"name": "Sam Taylor"},
        "concern": "Partner has become controlling and threatened violence",
        "children": [],
    }
    if route == "csor":
        fields |= {
            "person_at_risk": None,
            "children": [{"name": "Lily Taylor", "age": 7}],
            "concern": "New partner has unsupervised access to my daughter",
        }
    if route == "right_to_know":
        fields |= {
            "applicant": {"agency": "Northfield Children's Social Care"},
            "person_at_risk": {"name": "Sam Taylor", "safe_contact": "through her GP surgery only"},
        }
    fields |= overrides
    with scenario.app.transaction() as s:
        application, instance = schemes.start_application(
            scenario.app, s, scenario.user(s, "priya"), route=route, **fields
        )
        return application.id, instance.id


def link_case(scenario: Scenario, app_id: int, case_id: int, confirm: bool = True) -> None:
    """R31: police staff ask by the case's reference; the case's team (its manager) confirms or not."""
    from safeshare.core.records import Case, SchemeCaseLink
    from safeshare.services import scheme_links

    with scenario.app.transaction() as s:
        case = s.get(Case, case_id)
        assert case is not None
        link = scheme_links.request_case_link(scenario.app, s, scenario.user(s, "priya"), app_id, case.reference)
        link_id = link.id
    with scenario.app.db.read() as s:
        link_row = s.get(SchemeCaseLink, link_id)
        assert link_row is not None and link_row.instance_id is not None
        instance_id = link_row.instance_id
    scenario.complete(instance_id, "confirm_case_link", "max", {"link_confirmed": confirm})


def add_supervisor(scenario: Scenario, username: str = "sian") -> None:
    """A police supervisor (also police staff), who gets the task when a time limit passes."""
    with scenario.app.transaction() as s:
        police = s.get(Team, scenario.team_ids["police"])
        user = directory.create_user(
            s, username, "DS Sian Lewis", [Role.POLICE_STAFF, Role.POLICE_SUPERVISOR], team=police
        )
        scenario.users[username] = user.id


def to_decision(
    scenario: Scenario, instance: int, identity: dict[str, Any] | None = None, risk: dict[str, Any] | None = None
) -> None:
    scenario.complete(instance, "initial_checks", "priya", CHECKS)
    if any(t.task_spec == "face_to_face" for t in scenario.open_tasks(instance)):  # right to know has none
        scenario.complete(instance, "face_to_face", "priya", identity or IDENTITY)
    scenario.complete(instance, "full_risk_assessment", "priya", risk or RISK)


def application(scenario: Scenario, application_id: int) -> SchemeApplication:
    with scenario.app.db.read() as s:
        row = s.get(SchemeApplication, application_id)
        assert row is not None
        s.expunge(row)
        return row
