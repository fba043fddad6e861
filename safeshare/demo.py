"""The realistic demo: three consent-seeking episodes driven through the real engine.

Everything goes through the same service functions the CLI, API and web UI
use, on a real database; only the clock is a demo clock, so the story can move
through a working day in a second.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import typer
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from safeshare.app import App
from safeshare.cli.printing import print_audit, print_consent
from safeshare.clock import FixedClock
from safeshare.demo_deadlines import run_deadline_scene
from safeshare.demo_procedure import run_procedure_scene
from safeshare.records import AuditEvent, Case, ConsentRecord, Document, Person, ProcessInstance, Role, User
from safeshare.services import accounts, cases, directory
from tasks import service

Echo = Callable[[str], None]


@dataclass
class DemoPeople:
    practitioner: int
    practitioner2: int
    manager: int
    senior_manager: int
    police: int
    admin: int
    other_team_practitioner: int


def seed_directory(session: Session) -> DemoPeople:
    """The demo partnership: two early-help teams, their managers, police staff and an administrator."""
    north = directory.create_team(session, "Northfield Early Help", "Northfield Council Children's Services")
    south = directory.create_team(session, "Southbank Family Support", "Southbank Council Children's Services")
    police = directory.create_team(session, "Public Protection Unit", "County Police")
    make = directory.create_user
    return DemoPeople(
        practitioner=make(session, "pat", "Pat Okafor", [Role.PRACTITIONER], team=north).id,
        practitioner2=make(session, "sam", "Sam Reid", [Role.PRACTITIONER], team=north).id,
        manager=make(session, "maria", "Maria Lopez", [Role.MANAGER], team=north).id,
        senior_manager=make(session, "simon", "Simon Hart", [Role.SENIOR_MANAGER, Role.MANAGER], team=north).id,
        police=make(session, "priya", "DC Priya Shah", [Role.POLICE_STAFF], team=police).id,
        admin=make(session, "alex", "Alex Admin", [Role.ADMINISTRATOR]).id,
        other_team_practitioner=make(session, "olu", "Olu Bakare", [Role.PRACTITIONER], team=south).id,
    )


class DemoRunner:
    """Drives the story and narrates it."""

    def __init__(self, app: App, clock: FixedClock, echo: Echo = typer.echo) -> None:
        self.app = app
        self.clock = clock
        self.echo = echo

    def user(self, session: Session, user_id: int) -> User:
        user = session.get(User, user_id)
        assert user is not None
        return user

    def do_next_task(self, user_id: int, case_id: int, data: dict[str, Any], note: str) -> ProcessInstance:
        """Take the user's next task on this case from their inbox and complete it, as they would."""
        self.clock.advance(timedelta(minutes=25))
        with self.app.transaction() as session:
            user = self.user(session, user_id)
            inbox = [t for t in service.my_tasks(session, user, self.clock.now()) if t.case_id == case_id]
            if not inbox:
                raise RuntimeError(f"demo: {user.display_name} has no task on case {case_id}")
            task = inbox[0]
            role = task.role.replace("_", " ")
            instance = service.complete_task(self.app, session, user, task.task_id, data)
            self.echo(f"  [{role}: {user.display_name}] {task.title}: {note}")
            return instance

    def open_case(
        self,
        practitioner_id: int,
        reference: str,
        title: str,
        child: str,
        born: date,
        family: list[tuple[str, str, bool]],
    ) -> tuple[int, dict[str, int]]:
        with self.app.transaction() as session:
            user = self.user(session, practitioner_id)
            case = cases.open_case(
                self.app, session, user, reference=reference, title=title, child_name=child, child_date_of_birth=born
            )
            ids = {"child": cases.subject_of(session, case).id}
            for name, relation, pr in family:
                ids[relation] = cases.add_person(
                    self.app,
                    session,
                    user,
                    case.id,
                    full_name=name,
                    relationship_to_child=relation,
                    has_parental_responsibility=pr,
                ).id
            age = cases.age_on(born, self.clock.now().date())
            self.echo(f"  [practitioner: {user.display_name}] opened case {reference} for {child}, aged {age}")
            return case.id, ids

    def start_episode(self, practitioner_id: int, case_id: int, purpose: str) -> int:
        with self.app.transaction() as session:
            instance = cases.start_episode(self.app, session, self.user(session, practitioner_id), case_id, purpose)
            self.echo(f"  [practitioner] started an episode of work: {purpose}; consent seeking begins")
            return instance.id

    def report_outcome(self, instance_id: int) -> None:
        with self.app.db.read() as session:
            row = session.get(ProcessInstance, instance_id)
            assert row is not None
            data = self.app.engine.load(session, row).data
            self.echo(
                f"  Decision (consent_authority.dmn): consent from {data.get('consent_from', '?')}"
                f" - {data.get('consent_basis', '')}"
            )
            self.echo(f"  Process outcome: {row.outcome}")
            for consent in session.scalars(select(ConsentRecord).where(ConsentRecord.instance_id == row.id)):
                print_consent(session, consent, "  ")
            for doc in session.scalars(
                select(Document).where(Document.case_id == row.case_id, Document.kind == "consent_form")
            ):
                self.echo(
                    f"  Written consent form: document {doc.id}, {len(doc.content_html)} bytes of HTML, "
                    f"sha256 {doc.sha256[:16]}..."
                )

    def print_audit_trail(self, case_id: int) -> None:
        with self.app.db.read() as session:
            case = session.get(Case, case_id)
            assert case is not None
            self.echo(f"  Audit trail of case {case.reference}:")
            print_audit(
                list(session.scalars(select(AuditEvent).where(AuditEvent.case_id == case_id).order_by(AuditEvent.seq))),
                "    ",
            )


EXPLANATION = {
    "explained_what": "Attendance, health and home-circumstances notes from this assessment",
    "explained_how": "By secure email and at the team-around-the-family meeting",
    "explained_why": "So the school nurse and the family hub can plan support together",
    "explained_with_whom": "School nursing service and Northfield Family Hub",
    "explained_when": "During this episode of early help, expected to last three months",
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
        "judged Amy not yet able to give informed consent (R4)",
    )
    runner.do_next_task(
        people.manager,
        case1,
        {
            "manager_agrees_competence": True,
            "competence_advice": "Agree; revisit as the work goes on and involve Amy in every conversation",
        },
        "advised on the competence judgement (R4)",
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
        "judged Ben competent to decide for himself (R3, R4)",
    )
    runner.do_next_task(
        people.manager,
        case2,
        {
            "manager_agrees_competence": True,
            "competence_advice": "Agree: his wish stands even though his father wants the referral made",
        },
        "advised: Ben's wish stands (R3)",
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
        },
        "Cara (16) gave consent herself; no competence judgement is needed (R2)",
    )
    runner.report_outcome(third)

    run_procedure_scene(app, clock, people, echo)  # P2 to P4 on Ben's case, and a DVDS application (issue #3)
    run_deadline_scene(app, clock, people, echo)  # a consultation left alone: reminded, escalated (issue #4)

    with app.db.read() as session:
        n_people = session.scalar(select(func.count()).select_from(Person)) or 0
    echo(f"\nDemo complete: 3 cases, {n_people} people, every step saved to {app.settings.database_url}")
    return people
