"""The demo's cast and narrator, shared by its scenes (``demo``, ``demo_procedure``, ``demo_deadlines``).

A module of its own so the scenes can use it without importing ``demo``, which runs them:
the scenes and the story that strings them together no longer import each other.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import typer
from sqlalchemy import select
from sqlalchemy.orm import Session

from safeshare.cli.printing import print_audit, print_consent
from safeshare.core.clock import FixedClock
from safeshare.core.records import AuditEvent, Case, ConsentRecord, Document, ProcessInstance, Role, User
from safeshare.core.runtime import App
from safeshare.services import cases, directory
from safeshare.services.task_context import CONSENT_FROM
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
            who = CONSENT_FROM.get(str(data.get("consent_from")))
            if who:
                basis = re.sub(r" \(R\d+(?:, R\d+)*\)", "", str(data.get("consent_basis", "")))  # rule ids: code only
                self.echo(f"  Decision (consent_authority.dmn): consent from {who} - {basis}")
            else:
                self.echo("  Decision (consent_authority.dmn): who may consent is not decided yet")
            outcome = (row.outcome or "").replace("_", " ") or "not finished yet"
            self.echo(f"  Process outcome: {outcome}")
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
