"""Read services behind the people's interface: the cases a user may see, a manager's queue,
an instance's diagram state, and the administrator's lists.

They apply the same need-to-know rules as :mod:`safeshare.core.access`, so a page or
an API response can never show more than the CLI would.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from SpiffWorkflow.util.task import TaskState
from sqlalchemy import case, select
from sqlalchemy.orm import Session

from safeshare.core.access import require_case, require_role
from safeshare.core.audit import record_event
from safeshare.core.deadlines import policy_for
from safeshare.core.errors import ModelError, NotFoundError
from safeshare.core.records import Case, Notification, OpenTask, ProcessInstance, Role, SchemeApplication, Team, User

if TYPE_CHECKING:
    from safeshare.core.runtime import App

MANAGER_ROLES = {Role.MANAGER, Role.SENIOR_MANAGER}


def manager_queue(session: Session, user: User, now: datetime) -> list[OpenTask]:
    """Consultations and escalations waiting for the managers of the user's team, by deadline
    (overdue first, then soonest; undated last)."""
    require_role(user, Role.MANAGER, Role.SENIOR_MANAGER)
    roles = [r.value for r in user.roles & MANAGER_ROLES]
    overdue_first = case((OpenTask.due_at < now, 0), else_=1)
    undated_last = case((OpenTask.due_at.is_(None), 1), else_=0)
    return list(
        session.scalars(
            select(OpenTask)
            .where(OpenTask.team_id == user.team_id, OpenTask.role.in_(roles))
            .order_by(overdue_first, undated_last, OpenTask.due_at, OpenTask.created_at)
        )
    )


def is_escalation(task: OpenTask) -> bool:
    """An escalated consultation sits with a senior manager (R17)."""
    return task.role == Role.SENIOR_MANAGER.value or "escalat" in task.task_spec


def require_instance(session: Session, user: User, instance_id: int) -> ProcessInstance:
    """A process instance the user may see: through its case, or (police scheme records) as police staff."""
    instance = session.get(ProcessInstance, instance_id)
    hidden = NotFoundError(f"No process {instance_id} that you can see", "Check the number, or open it from a case")
    if instance is None:
        raise hidden
    if instance.case_id is not None:
        try:
            require_case(session, user, instance.case_id)
        except NotFoundError:
            raise hidden from None
    elif Role.POLICE_STAFF not in user.roles:
        raise hidden
    return instance


@dataclass(frozen=True)
class DiagramState:
    """An instance with its BPMN XML and which elements are done, current and overdue."""

    instance: ProcessInstance
    bpmn_xml: str
    done: list[str]
    current: list[str]
    overdue: list[str]
    names: dict[str, str]
    #: Named steps done, in the order they happened (a step done twice is listed twice).
    history: list[str] = field(default_factory=list)

    def named(self, ids: list[str]) -> list[str]:
        """Step names as people read them, for ids as the diagram knows them (unnamed elements left out:
        an id is never shown to people)."""
        return [self.names[i] for i in ids if self.names.get(i, i) != i]


def diagram_state(app: App, session: Session, user: User, instance_id: int) -> DiagramState:
    """The instance's diagram with its state; viewing it is written to the case's audit trail."""
    instance = require_instance(session, user, instance_id)
    path = app.models.bpmn_dir / f"{instance.process_id}.bpmn"
    if not path.is_file():
        raise ModelError(f"The diagram of {instance.process_id} is missing", "Restore the model file in bpmn/")
    workflow = app.engine.load(session, instance)
    done: set[str] = set()
    current: set[str] = set()
    names: dict[str, str] = {}
    finished: list[tuple[float, int, str]] = []  # (when it finished, its place in the tree, its id)
    for position, task in enumerate(workflow.get_tasks()):
        bpmn_id = getattr(task.task_spec, "bpmn_id", None)
        if not bpmn_id:
            continue
        names[bpmn_id] = str(getattr(task.task_spec, "bpmn_name", None) or bpmn_id)
        if task.has_state(TaskState.COMPLETED):
            done.add(bpmn_id)
            if getattr(task.task_spec, "bpmn_name", None):  # a named step people would recognise
                finished.append((float(task.last_state_change), position, bpmn_id))
        elif task.has_state(TaskState.READY | TaskState.WAITING | TaskState.STARTED):
            current.add(bpmn_id)
    # The order the steps happened in (issue 12): by when each finished, ties (one engine step) in tree order.
    history = [bpmn_id for _, _, bpmn_id in sorted(finished)]
    now = app.clock.now()
    overdue = {
        t.task_spec
        for t in session.scalars(select(OpenTask).where(OpenTask.instance_id == instance.id))
        if t.due_at is not None and t.due_at < now
    }
    record_event(
        session,
        app.clock,
        user,
        "process_viewed",
        f"{user.display_name} viewed the diagram of {instance.process_id} #{instance.id}",
        case_id=instance.case_id,
        detail={"instance_id": instance.id},
    )
    done_in_order = list(dict.fromkeys(i for i in history if i not in current))
    done_in_order += sorted(done - current - set(done_in_order))  # unnamed steps: marked, never listed
    return DiagramState(
        instance, path.read_text(), done_in_order, sorted(current), sorted(overdue), names, history
    )


def list_users(session: Session, actor: User) -> list[User]:
    require_role(actor, Role.ADMINISTRATOR)
    return list(session.scalars(select(User).order_by(User.username)))


def list_teams(session: Session, actor: User) -> list[Team]:
    require_role(actor, Role.ADMINISTRATOR)
    return list(session.scalars(select(Team).order_by(Team.name)))


def failed_notifications(session: Session, actor: User) -> list[Notification]:
    """Messages that could not be delivered after every retry: an administrator must act on them."""
    require_role(actor, Role.ADMINISTRATOR)
    return list(
        session.scalars(select(Notification).where(Notification.status == "failed").order_by(Notification.id.desc()))
    )


@dataclass(frozen=True)
class DeadlineSetting:
    kind: str
    urgency: str
    period: str


def deadline_settings(session: Session, actor: User) -> list[DeadlineSetting]:
    """The deadlines in force, by kind and urgency (R16, R32, R33)."""
    require_role(actor, Role.ADMINISTRATOR)
    policy = policy_for(session)
    return [
        DeadlineSetting(kind, "any" if urgency == "*" else urgency, period.describe())
        for kind, periods in sorted(policy.table.items())
        for urgency, period in periods.items()
    ]


def active_restrictions(session: Session, case_id: int | None) -> list[str]:
    """Restrictions on sharing that are in force on a case (R7, R23): shown on every page of the case."""
    if case_id is None:
        return []
    from safeshare.core.records import ConsentRecord, ReceivedInformation

    found: list[str] = []
    for record in session.scalars(
        select(ConsentRecord).where(ConsentRecord.case_id == case_id, ConsentRecord.status == "active")
    ):
        found.extend(r for r in record.restrictions if r not in found)
    for info in session.scalars(select(ReceivedInformation).where(ReceivedInformation.case_id == case_id)):
        for restriction in info.restrictions or []:
            text = str(restriction.get("text") or restriction.get("code"))
            if restriction.get("person"):
                text = f"{text}: {restriction['person']}"
            label = f"{text} (information from {info.provided_by_agency})"
            if label not in found:
                found.append(label)
    return found


def visible_case(session: Session, user: User, case_id: int | None) -> Case | None:
    """The case if the user may see it, else None (for labelling lists without raising)."""
    from safeshare.core.access import can_view_case

    if case_id is None:
        return None
    found = session.get(Case, case_id)
    return found if found is not None and can_view_case(session, user, found) else None


@dataclass(frozen=True)
class SchemeRow:
    """One police scheme application in the queue: its stage now and how it stands against its timescales."""

    application: SchemeApplication
    stage: str
    stage_due_at: datetime | None
    status: str  # overdue | due_soon | on_track | completed


DUE_SOON = timedelta(hours=24)


def police_queue(session: Session, user: User, now: datetime) -> list[SchemeRow]:
    """CSOR and DVDS applications by stage, with their timescale status (R32, R33); police staff only.

    Open applications come first, the most pressing (earliest stage or completion deadline) at the top.
    """
    from safeshare.services.schemes import list_applications

    rows: list[SchemeRow] = []
    for application in list_applications(session, user):
        tasks = (
            list(session.scalars(select(OpenTask).where(OpenTask.instance_id == application.instance_id)))
            if application.instance_id
            else []
        )
        dues = [t.due_at for t in tasks if t.due_at is not None]
        stage_due = min(dues) if dues else None
        if application.completed_at is not None or application.outcome is not None:
            status, stage = "completed", (application.outcome or "completed").replace("_", " ")
        else:
            stage = ", ".join(t.title for t in tasks) or "Waiting"
            nearest = min([d for d in (stage_due, application.completion_due_at) if d is not None])
            status = "overdue" if nearest < now else ("due_soon" if nearest - now <= DUE_SOON else "on_track")
        rows.append(SchemeRow(application, stage, stage_due, status))
    order = {"overdue": 0, "due_soon": 1, "on_track": 2, "completed": 3}
    return sorted(
        rows, key=lambda r: (order[r.status], r.stage_due_at or r.application.completion_due_at, r.application.id)
    )


def next_task_in(session: Session, user: User, instance_id: int, now: datetime) -> OpenTask | None:
    """The user's first task in a process they just started, so the interface can take them straight to it."""
    from tasks.service import my_tasks

    return next((t for t in my_tasks(session, user, now) if t.instance_id == instance_id), None)
