"""The realistic demo: three consent-seeking episodes driven through the real engine.

Everything goes through the same service functions the CLI, API and web UI
use, on a real database; only the clock is a demo clock, so the story can move
through a working day in a second.
"""

from __future__ import annotations

from datetime import date

import typer
from sqlalchemy import func, select

from safeshare.app import App
from safeshare.core.clock import FixedClock
from safeshare.core.records import Person
from safeshare.demo.deadlines import run_deadline_scene
from safeshare.demo.procedure import run_procedure_scene
from safeshare.demo.runner import DemoPeople, DemoRunner, Echo, seed_directory
from safeshare.services import accounts

EXPLANATION = {
    "explained_what": "Attendance, health and home-circumstances notes from this assessment",
    "explained_how": "By secure email and at the team-around-the-family meeting",
    "explained_why": "So the school nurse and the family hub can plan support together",
    "explained_with_whom": "School nursing service and Northfield Family Hub",
    "explained_when": "During this episode of early help, expected to last three months",
    "information_covered": ["education", "health", "family_and_home"],
    "purposes_covered": ["plan_support", "health_care", "education_support"],
}


def run_demo(app: App, clock: FixedClock, echo: Echo = typer.echo) -> DemoPeople:
    """Seed the partnership and run the three consent stories; returns the demo users' ids."""
    runner = DemoRunner(app, clock, echo)
    with app.transaction() as session:
        people = seed_directory(session)
    accounts.give_demo_passwords(app)  # so each demo user can sign in to the web UI (README: Web UI and API)

    echo("\n== Case 1: Amy, 12, not yet able to decide; her mother consents, with a restriction ==")
    case1, fam1 = runner.open_case(
        people.practitioner,
        "NF-2026-0141",
        "Early help: school attendance",
        "Amy Clarke",
        date(2014, 3, 2),
        [("Joanne Clarke", "mother", True), ("Darren Clarke", "father", True)],
    )
    first = runner.start_episode(people.practitioner, case1, "Early help assessment")
    runner.do_next_task(
        people.practitioner,
        case1,
        {
            "child_competent": False,
            "competence_reasons": "Amy could not yet explain who would see the information or what might follow",
        },
        "judged Amy not yet able to give informed consent",
    )
    runner.do_next_task(
        people.manager,
        case1,
        {
            "manager_agrees_competence": True,
            "competence_advice": "Agree; revisit as the work goes on and involve Amy in every conversation",
        },
        "advised on the competence judgement",
    )
    runner.do_next_task(
        people.practitioner,
        case1,
        {
            **EXPLANATION,
            "understanding_confirmed": True,
            "consent_outcome": "given_with_restrictions",
            "consenting_person_id": fam1["mother"],
            "consent_signature": "verbal_with_witness",
            "witness_name": "Sam Patel, family support worker",
            "copy_given": "post",
            "recipients": [
                {"agency": "School nursing service", "contact": "Northfield Academy school nurse"},
                {"agency": "Northfield Family Hub"},
            ],
            "restriction_choices": [
                {"kind": "not_to_person", "person": "Darren Clarke's employer"},
                {"kind": "not_to_agency", "agency": "Probation Service"},
            ],
        },
        "explained, confirmed understanding, recorded Joanne Clarke's written consent with a restriction",
    )
    runner.report_outcome(first)
    runner.print_audit_trail(case1)

    echo("\n== Case 2: Ben, 14, judged competent, refuses consent against his father's wish ==")
    case2, fam2 = runner.open_case(
        people.practitioner2,
        "NF-2026-0158",
        "Family support: young carer",
        "Ben Hughes",
        date(2012, 6, 14),
        [("Mark Hughes", "father", True)],
    )
    second = runner.start_episode(people.practitioner2, case2, "Young carers assessment")
    runner.do_next_task(
        people.practitioner2,
        case2,
        {
            "child_competent": True,
            "competence_reasons": "Ben explained in his own words what would be shared, with whom and why",
        },
        "judged Ben competent to decide for himself",
    )
    runner.do_next_task(
        people.manager,
        case2,
        {
            "manager_agrees_competence": True,
            "competence_advice": "Agree: his wish stands even though his father wants the referral made",
        },
        "advised: Ben's wish stands",
    )
    runner.do_next_task(
        people.practitioner2,
        case2,
        {
            **EXPLANATION,
            "understanding_confirmed": True,
            "consent_outcome": "refused",
            "consenting_person_id": fam2["child"],
        },
        "Ben refused consent; his father's wish does not override him",
    )
    runner.report_outcome(second)
    echo("  Next: sharing without consent is considered only if a ground in R10 applies.")

    echo("\n== Case 3: Cara, 16, consents for herself without her parents ==")
    case3, fam3 = runner.open_case(
        people.practitioner,
        "NF-2026-0163",
        "Early help: emotional wellbeing",
        "Cara Young",
        date(2010, 1, 20),
        [("Helen Young", "mother", True)],
    )
    third = runner.start_episode(people.practitioner, case3, "Wellbeing support")
    runner.do_next_task(
        people.practitioner,
        case3,
        {
            **EXPLANATION,
            "understanding_confirmed": True,
            "consent_outcome": "given",
            "consenting_person_id": fam3["child"],
            "consent_signature": "typed_name",
            "signed_name": "Cara Young",
            "signed_on": clock.now().date().isoformat(),
            "copy_given": "email",
            "recipients": [{"agency": "CAMHS single point of access"}],
            "information_covered": ["health", "family_and_home"],
            "purposes_covered": ["assess_needs", "health_care"],
        },
        "Cara (16) gave consent herself; no competence judgement is needed",
    )
    runner.report_outcome(third)

    run_procedure_scene(app, clock, people, echo)  # P2 to P4 on Ben's case, and a DVDS application (issue #3)
    run_deadline_scene(app, clock, people, echo)  # a consultation left alone: reminded, escalated (issue #4)

    with app.db.read() as session:
        n_people = session.scalar(select(func.count()).select_from(Person)) or 0
    echo(f"\nDemo complete: 3 cases, {n_people} people, every step saved to {app.settings.database_url}")
    return people
