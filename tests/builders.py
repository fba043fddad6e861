"""Builders for test scenarios: a partnership of users, cases of children of a given age, and task helpers.

They call the same services people use, so a test reads like the procedure.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select

from safeshare.app import App
from safeshare.core.records import OpenTask, ProcessInstance, Role, User
from safeshare.services import cases, directory
from tasks import service

EXPLAINED = {
    "explained_what": "School attendance and health notes",
    "explained_how": "Secure email",
    "explained_why": "To plan support together",
    "explained_with_whom": "The school nursing service",
    "explained_when": "During this episode of work",
    # How consent given is signed and the copy given (ignored for other outcomes).
    "consent_signature": "verbal_with_witness",
    "witness_name": "Jo Witness, family support worker",
    "copy_given": "in_person",
    # What consent covers (R19): the kinds of information and the purposes (ignored unless given).
    "information_covered": ["education", "health", "concerns_about_harm"],
    "purposes_covered": ["plan_support", "health_care", "protect_from_harm"],
}


_CASE_NUMBERS = itertools.count(1)


def born_aged(age: int, today: date) -> date:
    """A date of birth making someone ``age`` today (birthday a month ago)."""
    month = today.month - 1 or 12
    year = today.year - age - (1 if today.month == 1 else 0)
    return date(year, month, min(today.day, 28))


@dataclass
class Scenario:
    app: App
    users: dict[str, int] = field(default_factory=dict)
    team_ids: dict[str, int] = field(default_factory=dict)

    @classmethod
    def create(cls, app: App) -> Scenario:
        scenario = cls(app)
        with app.transaction() as s:
            north = directory.create_team(s, "North", "Council")
            south = directory.create_team(s, "South", "Council")
            police = directory.create_team(s, "Police PPU", "Police")
            scenario.team_ids = {"north": north.id, "south": south.id, "police": police.id}
            make = directory.create_user
            scenario.users = {
                "pat": make(s, "pat", "Pat Practitioner", [Role.PRACTITIONER], team=north).id,
                "pip": make(s, "pip", "Pip Practitioner", [Role.PRACTITIONER], team=north).id,
                "max": make(s, "max", "Max Manager", [Role.MANAGER], team=north).id,
                "sue": make(s, "sue", "Sue Senior", [Role.SENIOR_MANAGER, Role.MANAGER], team=north).id,
                "olu": make(s, "olu", "Olu Other-team", [Role.PRACTITIONER], team=south).id,
                "mo": make(s, "mo", "Mo Other-manager", [Role.MANAGER], team=south).id,
                "priya": make(s, "priya", "Priya Police", [Role.POLICE_STAFF], team=police).id,
                "alex": make(s, "alex", "Alex Admin", [Role.ADMINISTRATOR]).id,
            }
        return scenario

    def user(self, session: Any, name: str) -> User:
        user = session.get(User, self.users[name])
        assert user is not None
        return user

    def open_case(self, age: int, *, parents: int = 1, by: str = "pat") -> tuple[int, dict[str, int]]:
        """A case for a child of ``age`` with ``parents`` people holding parental responsibility.

        A case is opened only for a child under 18, so an ``age`` of 18 or more is a case opened while the
        young person was 17 who has turned ``age`` since (as happens when work goes on past 18)."""
        today = self.app.clock.now().date()
        with self.app.transaction() as s:
            user = self.user(s, by)
            case = cases.open_case(
                self.app,
                s,
                user,
                reference=f"C-{age}-{next(_CASE_NUMBERS)}",
                title="Test case",
                child_name="Child Test",
                child_date_of_birth=born_aged(min(age, cases.ADULT_AGE - 1), today),
            )
            subject = cases.subject_of(s, case)
            subject.date_of_birth = born_aged(age, today)
            ids = {"case": case.id, "child": subject.id}
            for n in range(parents):
                ids[f"parent{n + 1}"] = cases.add_person(
                    self.app,
                    s,
                    user,
                    case.id,
                    full_name=f"Parent {n + 1}",
                    relationship_to_child="parent",
                    has_parental_responsibility=True,
                ).id
            return case.id, ids

    def start_episode(self, case_id: int, by: str = "pat") -> int:
        with self.app.transaction() as s:
            return cases.start_episode(self.app, s, self.user(s, by), case_id, "Assessment").id

    def open_tasks(self, instance_id: int) -> list[OpenTask]:
        with self.app.db.read() as s:
            return list(s.scalars(select(OpenTask).where(OpenTask.instance_id == instance_id)))

    def task(self, instance_id: int, spec: str) -> OpenTask:
        matches = [t for t in self.open_tasks(instance_id) if t.task_spec == spec]
        assert matches, f"no open task {spec}; open: {[t.task_spec for t in self.open_tasks(instance_id)]}"
        return matches[0]

    def complete(self, instance_id: int, spec: str, who: str, data: dict[str, Any]) -> ProcessInstance:
        task = self.task(instance_id, spec)
        with self.app.transaction() as s:
            return service.complete_task(self.app, s, self.user(s, who), task.task_id, data)

    def instance(self, instance_id: int) -> ProcessInstance:
        with self.app.db.read() as s:
            row = s.get(ProcessInstance, instance_id)
            assert row is not None
            return row
