"""The demo's procedure scene: Ben's refusal leads to sharing without consent, and a DVDS application.

Ben (14, competent) refused consent in the consent scene, so his episode's consent
seeking is waiting in P2. Here his practitioner records ground (a) but is unsure,
so a manager is consulted (P3) and answers within the deadline; the share is then
recorded item by item (P4). Then police staff take a DVDS right-to-ask application
through every stage to an in-person disclosure (P7). Everything goes through the
task service, as people would.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from rules.sharing import ground_label
from safeshare.core.clock import FixedClock
from safeshare.core.records import Case, Disclosure, ManagerAdvice, ProcessInstance, SchemeApplication, ShareDecision
from safeshare.core.runtime import App
from safeshare.demo.runner import DemoPeople, DemoRunner, Echo
from safeshare.services import schemes
from safeshare.services.task_context import ADVICE, DECISION
from tasks import service

BEN_CASE = "NF-2026-0158"


#: Whether the recipient was told if the person consented, in words.
TOLD = {True: "recipient told whether the person consented", False: "recipient not told whether the person consented"}


def police_task(runner: DemoRunner, police_id: int, data: dict[str, Any], note: str) -> None:
    """Police staff take their next scheme task (scheme tasks belong to no case) and complete it."""
    runner.clock.advance(timedelta(minutes=25))
    with runner.app.transaction() as session:
        officer = runner.user(session, police_id)
        inbox = [t for t in service.my_tasks(session, officer, runner.clock.now()) if t.case_id is None]
        if not inbox:
            raise RuntimeError(f"demo: {officer.display_name} has no scheme task")
        service.complete_task(runner.app, session, officer, inbox[0].task_id, data)
        runner.echo(f"  [police staff: {officer.display_name}] {inbox[0].title}: {note}")


def run_procedure_scene(app: App, clock: FixedClock, people: DemoPeople, echo: Echo) -> None:
    """Continue Ben's case through P2, P3 and P4, then run one DVDS right-to-ask application (P7)."""
    runner = DemoRunner(app, clock, echo)
    with app.db.read() as session:
        case = session.scalar(select(Case).where(Case.reference == BEN_CASE))
        assert case is not None, "the consent scene creates Ben's case first"
        case_id = case.id
        consent_instance = session.scalar(
            select(ProcessInstance.id).where(
                ProcessInstance.case_id == case_id, ProcessInstance.process_id == "consent_seeking"
            )
        )
    echo("\n== Case 2 continued: sharing Ben's information without consent ==")
    runner.do_next_task(
        people.practitioner2,
        case_id,
        {
            "in_doubt": True,
            "urgency": "urgent",
            "question": "Is the harm to Ben from his caring role enough to share against his refusal?",
            "grounds": ["harm_to_child"],
            "decision_reasons": "Ben is exhausted and missing school; not sharing may harm him",
        },
        "thinks not sharing may harm Ben but is unsure, so asked a manager for advice",
    )
    runner.do_next_task(
        people.manager,
        case_id,
        {
            "advice_decision": "share",
            "advice_reasons": "Ben's welfare overrides his refusal; share only the caring role and attendance",
        },
        "advised sharing, with reasons, within the one-working-day deadline",
    )
    runner.do_next_task(
        people.practitioner2,
        case_id,
        {
            "in_doubt": False,
            "practitioner_decision": "share",
            "grounds": ["harm_to_child"],
            "weighing": {
                "if_shared": "Ben gets a young carers assessment; he may feel his wishes were ignored",
                "if_not_shared": "Ben keeps caring alone most nights and falls further behind at school",
                "proportionate": True,
            },
            "share_recipients": [{"agency": "Northfield Young Carers Service", "contact": "Duty worker"}],
            "what_to_share": "That Ben cares for his father most nights and is missing school",
            "share_information": ["family_and_home", "education"],
            "share_purposes": ["assess_needs"],
            "decision_reasons": "Ben is exhausted and missing school; not sharing may harm him. Manager agrees.",
        },
        "decided to share, having weighed the risk of not sharing",
    )
    runner.do_next_task(
        people.practitioner2,
        case_id,
        {
            "made_at": runner.clock.now().isoformat(timespec="minutes"),
            "recipient_agency": "Northfield Young Carers Service",
            "recipient_contact": "Duty worker",
            "disclosure_method": "secure_email",
            "disclosure_purpose": "Assessment of Ben's caring role",
            "disclosure_purpose_kind": "assess_needs",
            "disclosed_items": [
                {"content": "Ben cares for his father most nights", "kind": "fact",
                 "information_kind": "family_and_home"},
                {"content": "Attendance 68% this half-term", "kind": "fact", "information_kind": "education"},
                {"content": "Ben seems exhausted and withdrawn", "kind": "opinion",
                 "information_kind": "family_and_home"},
            ],
            "recipient_told_consent_status": True,
        },
        "recorded the disclosure item by item and told the service Ben had refused consent",
    )
    assert consent_instance is not None
    runner.report_outcome(consent_instance)
    with app.db.read() as session:
        decision = session.scalars(select(ShareDecision).where(ShareDecision.case_id == case_id)).one()
        advice = session.get(ManagerAdvice, decision.manager_advice_id) if decision.manager_advice_id else None
        echo(
            f"  Share decision {decision.id}: {DECISION.get(decision.outcome, decision.outcome)}, because: "
            f"{'; '.join(ground_label(g) for g in decision.grounds)}. {decision.reasons}"
        )
        if advice is not None:
            echo(
                f"  Manager advice {advice.id}: {ADVICE.get(advice.decision, advice.decision)} "
                f"({'within' if advice.within_deadline else 'after'}"
                f" the deadline){', after it was escalated' if advice.escalated else ', not escalated'}"
            )
        for entry in session.scalars(select(Disclosure).where(Disclosure.case_id == case_id)):
            echo(
                f"  Disclosure register entry {entry.id}: to {entry.recipient_agency} by "
                f"{entry.method.replace('_', ' ')}, {entry.basis.replace('_', ' ')}, "
                f"{TOLD.get(bool(entry.recipient_told_consent_status), '')}"
            )
            for item in entry.items:
                echo(f"    - [{item.kind}] {item.content}")

    echo("\n== A DVDS right-to-ask application (P7), police staff only ==")
    with app.transaction() as session:
        officer = runner.user(session, people.police)
        application, _ = schemes.start_application(
            app,
            session,
            officer,
            route="right_to_ask",
            applicant={"name": "Dana Wells", "safe_contact": "work email only"},
            subject={"name": "Lee Carter", "date_of_birth": "1988-09-12"},
            person_at_risk={"name": "Dana Wells"},
            concern="New partner checks her phone and has threatened her",
        )
        app_id, reference = application.id, application.reference
        officer_name, today = officer.display_name, clock.now().strftime("%-d %B %Y")
        echo(
            f"  [police staff: {officer.display_name}] recorded application {reference}; "
            f"complete by {application.completion_due_at:%d %B %Y}"
        )
    police = people.police
    police_task(
        runner,
        police,
        {
            "checks": [
                {"source": "police_national_computer", "checked_by": officer_name, "checked_on": today,
                 "result": "convictions_found"},
                {"source": "local_police_systems", "checked_by": officer_name, "checked_on": today,
                 "result": "information_found"},
            ],
            "crime_reported": False,
            "immediate_risk": False,
            "risk_tool": "DASH",
            "initial_risk_level": "medium",
            "initial_checks_summary": "PNC and local systems checked",
        },
        "initial checks within 24 hours",
    )
    clock.advance(timedelta(days=3))
    police_task(
        runner,
        police,
        {
            "identity_verified": True,
            "meeting_notes": "Met Dana at the station",
            "identity_documents": [
                {"document": "passport", "has_photo": True},
                {"document": "bank_statement", "has_photo": False},
            ],
        },
        "verified Dana's identity with two documents, one with a photo",
    )
    police_task(
        runner,
        police,
        {
            "relevant_convictions": True,
            "information_indicates_risk": True,
            "agencies_consulted": ["probation", "health"],
            "risk_level": "high",
            "risk_summary": "Two convictions for assault on former partners",
        },
        "full risk assessment with partner agencies",
    )
    police_task(
        runner,
        police,
        {
            "forum": "marac",
            "meeting_date": clock.now().date().isoformat(),  # the forum met today; its decision follows
            "attendees": [
                {"name": "DC Priya Shah", "agency": "Police"},
                {"name": "Ruth Adebayo", "agency": "IDVA service"},
                {"name": "Tom Fry", "agency": "Probation"},
            ],
            "disclose": True,
            "lawful": True,
            "necessary": True,
            "proportionate": True,
            "pressing_need": "She plans to move in with him",
            "recipient": "person_at_risk",
            "safety_plan": "IDVA referral and MARAC safety plan",
            "decision_reasons": "Convictions for violence against former partners",
        },
        "MARAC decided: lawful, necessary, proportionate; safety plan",
    )
    police_task(
        runner,
        police,
        {
            "recipient_identity_verified": True,
            "recipient_identity_documents": [
                {"document": "passport", "has_photo": True},
                {"document": "bank_statement", "has_photo": False},
            ],
            "warning_given": True,
            "undertaking_signed": True,
            "information_disclosed": "Two convictions for assault on former partners",
            "support_offered": "IDVA contact and safety plan agreed",
        },
        "disclosed in person with the warning; Dana signed the undertaking",
    )
    with app.db.read() as session:
        done = session.get(SchemeApplication, app_id)
        assert done is not None
        echo(
            f"  Application {reference}: outcome {done.outcome}; the undertaking was printed before the meeting "
            "and signed there, and the disclosure record kept"
        )
