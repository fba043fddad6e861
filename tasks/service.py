"""The human-task service: inboxes, a task with its form, claim, complete, reassign.

Every interface (CLI, API, web UI) calls these functions. They check who is
acting, validate the form, advance the engine, and record what happened, all
inside the caller's transaction.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import TYPE_CHECKING, Any

from sqlalchemy import Select, and_, bindparam, case, exists, insert, or_, select
from sqlalchemy.orm import Session

from notifications.outbox import enqueue, task_message_context
from rules import enforce_on_form
from rules.forms import form_breaches
from safeshare.core.access import TEAM_ROLES, can_view_case
from safeshare.core.audit import record_event
from safeshare.core.errors import ConflictError, DomainRuleError, NotFoundError, PermissionDeniedError
from safeshare.core.records import Case, CompletedTask, OpenTask, ProcessInstance, Role, SafeguardingLead, Team, User
from safeshare.core.records.base import Base
from tasks.forms import validate_form

if TYPE_CHECKING:
    from safeshare.core.runtime import App


#: What to do about a task id that names nothing open: said in words every interface can act on (an API
#: client is never told to run a command-line program).
TASK_LIST_HINT = "Open your task list to see what is waiting for you"
#: Roles a task goes to when its deadline passes unanswered (P3's senior manager, a scheme's supervisor).
ESCALATION_ROLES = (Role.SENIOR_MANAGER.value, Role.POLICE_SUPERVISOR.value)
_TASK_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")

#: Roles whose tasks belong to no case and no team: the police schemes' (police records, R32, R33).
POLICE_ROLES = (Role.POLICE_STAFF.value, Role.POLICE_SUPERVISOR.value, Role.DATA_PROTECTION_OFFICER.value)


#: The tasks a team's designated safeguarding lead may take for the team's cases, beyond their own role's:
#: the advice on a competence judgement (R4's "other relevant person"), and nothing else a manager does.
LEAD_TASKS = ("advise_on_competence",)


def _may_lead(roles: Any, *, has_team: bool) -> bool:
    """Whether the user could be a team's designated safeguarding lead (a team member with a team role)."""
    return has_team and bool(set(roles) & TEAM_ROLES)


def _is_police(roles: Any) -> bool:
    """Whether the user holds a role whose tasks belong to no team (see ``POLICE_ROLES``)."""
    return any(role.value in POLICE_ROLES for role in roles)


def _inbox_clause(
    user_id: Any, roles: Any, team_id: Any, *, police: bool, has_team: bool, may_lead: bool = False
) -> Any:
    """Assigned to the user, or unassigned for one of their roles in their team (police staff also
    take police tasks that belong to no team); and, for the team's designated safeguarding lead, the
    team's unassigned ``LEAD_TASKS``. The values may be literals or bound parameters."""
    team_scope = OpenTask.team_id == team_id if has_team else OpenTask.team_id.is_(None)
    if police:
        team_scope = or_(team_scope, and_(OpenTask.role.in_(POLICE_ROLES), OpenTask.team_id.is_(None)))
    clauses = [
        OpenTask.assignee_id == user_id,
        and_(OpenTask.assignee_id.is_(None), OpenTask.role.in_(roles), team_scope),
    ]
    if may_lead:
        named = exists().where(
            SafeguardingLead.team_id == OpenTask.team_id,
            SafeguardingLead.user_id == user_id,
            SafeguardingLead.ended_at.is_(None),
        )
        clauses.append(
            and_(
                OpenTask.assignee_id.is_(None), OpenTask.task_spec.in_(LEAD_TASKS), OpenTask.team_id == team_id, named
            )
        )
    return or_(*clauses)


def inbox_filter(user: User) -> Any:
    """Tasks a user may pick up: assigned to them, or unassigned for their role in their team."""
    has_team = user.team_id is not None
    return _inbox_clause(
        user.id,
        [r.value for r in user.roles],
        user.team_id,
        police=_is_police(user.roles),
        has_team=has_team,
        may_lead=_may_lead(user.roles, has_team=has_team),
    )


@cache
def _task_query(
    *, police: bool, has_team: bool, lock: bool, may_lead: bool = False
) -> Select[OpenTask, bool, ProcessInstance, Case]:
    """One open task with whether it is in the asking user's inbox (``inbox_filter`` with bound
    parameters), and its instance and case, which every caller needs next.

    Built once per shape rather than per call: composing the expression costs more than running
    it (bench/). The parameters are ``task_id``, ``user_id``, ``roles`` and ``team_id``.
    """
    visible = _inbox_clause(
        bindparam("user_id"),
        bindparam("roles", expanding=True),
        bindparam("team_id"),
        police=police,
        has_team=has_team,
        may_lead=may_lead,
    )
    query = (
        select(OpenTask, visible.label("visible"), ProcessInstance, Case)
        .join(ProcessInstance, ProcessInstance.id == OpenTask.instance_id)
        .outerjoin(Case, Case.id == OpenTask.case_id)
        .where(OpenTask.task_id == bindparam("task_id"))
    )
    return query.with_for_update(of=OpenTask) if lock else query


def my_tasks(session: Session, user: User, now: datetime, limit: int = 200) -> list[OpenTask]:
    """The user's inbox: overdue first, then by due time (undated last), then oldest first."""
    overdue_first = case((OpenTask.due_at < now, 0), else_=1)
    undated_last = case((OpenTask.due_at.is_(None), 1), else_=0)
    query = (
        select(OpenTask)
        .where(inbox_filter(user))
        .order_by(overdue_first, undated_last, OpenTask.due_at, OpenTask.created_at)
        .limit(limit)
    )
    return list(session.scalars(query))


@dataclass(frozen=True)
class TaskView:
    task: OpenTask
    form_schema: dict[str, Any]
    case: Case | None
    instance: ProcessInstance


def _task_for(session: Session, user: User, task_id: str, *, lock: bool = False) -> OpenTask:
    """The open task if this user may act on it. ``lock`` holds its row until commit, so a second
    person completing it at the same moment waits, then finds it gone ("already completed")."""
    # One round trip: the row (locked if asked), whether it is in this user's inbox, and its
    # instance and case (they stay in the session's identity map for the callers).
    roles = user.roles
    has_team = user.team_id is not None
    query = _task_query(
        police=_is_police(roles), has_team=has_team, lock=lock, may_lead=_may_lead(roles, has_team=has_team)
    )
    params = {"task_id": task_id, "user_id": user.id, "roles": [r.value for r in roles], "team_id": user.team_id}
    found = session.execute(query, params).first()
    task, in_inbox = (found[0], bool(found[1])) if found is not None else (None, False)
    if task is None:
        done = session.scalar(select(CompletedTask).where(CompletedTask.task_id == task_id))
        if done is not None and _may_know_about(session, user, done.instance_id):
            who = session.get(User, done.completed_by_id)
            raise ConflictError(
                f"Task {task_id} was already completed by {who.display_name if who else 'someone'} "
                f"at {done.completed_at:%Y-%m-%d %H:%M} UTC",
                "Nothing more to do: refresh your task list",
            )
        withdrawn = _withdrawn(session, user, task_id)
        if withdrawn is not None:
            raise withdrawn
        raise NotFoundError(f"No open task {task_id} that you can see", TASK_LIST_HINT)
    if not in_inbox:
        case_row = session.get(Case, task.case_id) if task.case_id else None
        if case_row is None or not can_view_case(session, user, case_row):
            raise NotFoundError(f"No open task {task_id} that you can see", TASK_LIST_HINT)
        if task.assignee_id is not None and task.assignee_id != user.id:
            raise PermissionDeniedError(
                f"Task {task_id} is assigned to someone else", "Ask them, or a manager, to reassign it to you"
            )
        raise PermissionDeniedError(
            f"Task '{task.title}' is for the {task.role.replace('_', ' ')} role, which you do not have",
            "Ask someone with that role to do it",
        )
    return task


def _withdrawn(session: Session, user: User, task_id: str) -> ConflictError | None:
    """Why a task this user may know about is no longer open, in words: above all a request for advice
    that was escalated when its deadline passed (a manager answering late is told it went to a senior
    manager, and to whom), rather than "no open task", which reads as a mistake of theirs.

    The task's process is found by its id in the stored workflows: this runs only when a task id names
    nothing open or completed, so the scan never costs the everyday path.
    """
    if not _TASK_ID.fullmatch(task_id):
        return None
    instance = session.scalar(
        select(ProcessInstance).where(ProcessInstance.state_json.contains(task_id, autoescape=True)).limit(1)
    )
    if instance is None or not _may_know_about(session, user, instance.id):
        return None
    later_open = list(
        session.scalars(
            select(OpenTask).where(OpenTask.instance_id == instance.id, OpenTask.role.in_(ESCALATION_ROLES))
        )
    )
    later_done = session.scalar(
        select(CompletedTask)
        .where(CompletedTask.instance_id == instance.id, CompletedTask.role.in_(ESCALATION_ROLES))
        .order_by(CompletedTask.completed_at.desc())
        .limit(1)
    )
    if later_open:
        task = later_open[0]
        holder = session.get(User, task.assignee_id) if task.assignee_id else None
        team = session.get(Team, task.team_id) if task.team_id else None
        role = task.role.replace("_", " ")
        who = holder.display_name if holder else f"the {role}s" + (f" of {team.name}" if team else "")
        return ConflictError(
            f"This task was escalated to a {role} because its deadline passed, so it can no longer be "
            f"answered here. It is now with {who}: '{task.title}'",
            f"Nothing more to do here. If you have advice to add, tell {who}",
        )
    if later_done is not None:
        who_done = session.get(User, later_done.completed_by_id)
        name = who_done.display_name if who_done else "someone"
        return ConflictError(
            f"This task was escalated to a {later_done.role.replace('_', ' ')} because its deadline passed, "
            f"and {name} answered it at {later_done.completed_at:%Y-%m-%d %H:%M} UTC",
            "Nothing more to do: open the case to read the answer",
        )
    return ConflictError(
        "This task is no longer open: the work it belonged to moved on or was stopped",
        "Nothing more to do: open the case to see where the work stands",
    )


def _may_know_about(session: Session, user: User, instance_id: int) -> bool:
    instance = session.get(ProcessInstance, instance_id)
    if instance is None or instance.case_id is None:
        return _is_police(user.roles)
    case_row = session.get(Case, instance.case_id)
    return case_row is not None and can_view_case(session, user, case_row)


def show_task(app: App, session: Session, user: User, task_id: str, *, lock: bool = False) -> TaskView:
    task = _task_for(session, user, task_id, lock=lock)
    case_row = session.get(Case, task.case_id) if task.case_id else None
    instance = session.get(ProcessInstance, task.instance_id)
    assert instance is not None
    # The form as the instance's own definition holds it: a form edited since does not apply to it.
    definition = app.engine.definition_of(session, instance)
    schema = definition.form(task.form_schema) if task.form_schema else {"type": "object"}
    return TaskView(task, schema, case_row, instance)


_INSERT_COMPLETED = insert(Base.metadata.tables[CompletedTask.__tablename__])


#: Advice steps and the step whose holder asked for the advice: whoever completed that step cannot give
#: the advice (separation of duties, issue 15). A manager advising on a competence judgement (R4) is not
#: the person who judged; manager consultations are checked where the advice is recorded (R18).
ADVICE_ASKED_BY = {"advise_on_competence": "judge_competence"}


def _not_own_advice(session: Session, user: User, task: OpenTask) -> None:
    """Refuse advice on a judgement this user made themselves (someone holding both roles)."""
    asked_by_step = ADVICE_ASKED_BY.get(task.task_spec)
    if asked_by_step is None:
        return
    asker = session.scalar(
        select(CompletedTask.completed_by_id)
        .where(CompletedTask.instance_id == task.instance_id, CompletedTask.task_spec == asked_by_step)
        .order_by(CompletedTask.id.desc())
        .limit(1)
    )
    if asker == user.id:
        raise DomainRuleError(
            "R4", "You made this judgement, so someone else must advise on it", "Ask another manager of your team"
        )


def complete_task(app: App, session: Session, user: User, task_id: str, data: Any) -> ProcessInstance:
    """Validate ``data`` against the task's form and complete it; raises a clear error otherwise."""
    view = show_task(app, session, user, task_id, lock=True)
    _not_own_advice(session, user, view.task)
    form_data = validate_form(view.form_schema, data)
    enforce_on_form(form_breaches(view.task.form_schema, form_data, app.clock.now()))
    task = view.task
    instance = view.instance
    title, role, spec = task.title, task.role, task.task_spec
    app.engine.complete_user_task(session, app.clock, instance, task_id, form_data, user)
    session.connection().execute(  # a plain history row, not read back in this step: Core, no ORM bookkeeping
        _INSERT_COMPLETED,
        {
            "instance_id": instance.id,
            "task_id": task_id,
            "task_spec": spec,
            "title": title,
            "role": role,
            "completed_by_id": user.id,
            "completed_at": app.clock.now(),
            "data": form_data,
        },
    )
    record_event(
        session,
        app.clock,
        user,
        "task_completed",
        f"{user.display_name} completed '{title}'",
        case_id=instance.case_id,
        detail={"task_id": task_id, "task": spec, "instance_id": instance.id, "fields": sorted(form_data)},
    )
    if instance.status == "completed":
        record_event(
            session,
            app.clock,
            None,
            "process_completed",
            f"Process {instance.process_id} #{instance.id} ended: {instance.outcome}",
            case_id=instance.case_id,
            detail={"instance_id": instance.id, "outcome": instance.outcome},
        )
    return instance


def claim_task(app: App, session: Session, user: User, task_id: str) -> OpenTask:
    task = _task_for(session, user, task_id)
    if task.assignee_id == user.id:
        return task
    task.assignee_id = user.id
    record_event(
        session,
        app.clock,
        user,
        "task_claimed",
        f"{user.display_name} claimed '{task.title}'",
        case_id=task.case_id,
        detail={"task_id": task_id},
    )
    return task


def unclaim_task(app: App, session: Session, user: User, task_id: str) -> OpenTask:
    task = _task_for(session, user, task_id)
    task.assignee_id = None
    record_event(
        session,
        app.clock,
        user,
        "task_unclaimed",
        f"{user.display_name} released '{task.title}'",
        case_id=task.case_id,
        detail={"task_id": task_id},
    )
    return task


def reassign_task(app: App, session: Session, user: User, task_id: str, new_assignee: User) -> OpenTask:
    """A manager of the task's team (or the task's holder) hands it to someone with the task's role
    in the task's team.

    Why only within the team: a task opens its case to whoever holds it, so a handover across
    teams would let the holder widen who sees the case on their own. A task the user may not see
    answers "not found", as when they open it.
    """
    task = session.get(OpenTask, task_id, with_for_update=True)
    hidden = NotFoundError(f"No open task {task_id} that you can see", TASK_LIST_HINT)
    if task is None:
        raise hidden
    case_row = session.get(Case, task.case_id) if task.case_id else None
    in_inbox = task.assignee_id == user.id or (
        task.assignee_id is None and task.role in {r.value for r in user.roles} and task.team_id == user.team_id
    )
    if not in_inbox and (case_row is None or not can_view_case(session, user, case_row)):
        raise hidden
    is_manager = bool(user.roles & {Role.MANAGER, Role.SENIOR_MANAGER}) and user.team_id == task.team_id
    if not is_manager and task.assignee_id != user.id:
        raise PermissionDeniedError("Only the task's holder or a manager of its team may reassign it", "Ask a manager")
    if not new_assignee.is_active or task.role not in {r.value for r in new_assignee.roles}:
        raise PermissionDeniedError(
            f"{new_assignee.display_name} does not have the {task.role.replace('_', ' ')} role this task needs",
            "Choose someone with that role",
        )
    if task.team_id is not None and new_assignee.team_id != task.team_id:
        raise PermissionDeniedError(
            f"{new_assignee.display_name} is not in the team this task belongs to",
            "Choose someone in the task's team: a task cannot be handed to another team",
        )
    task.assignee_id = new_assignee.id
    record_event(
        session,
        app.clock,
        user,
        "task_reassigned",
        f"{user.display_name} gave '{task.title}' to {new_assignee.display_name}",
        case_id=task.case_id,
        detail={"task_id": task_id, "to_user_id": new_assignee.id},
    )
    enqueue(
        session,
        app.clock,
        "task_assigned",
        task_message_context(case_row, task.title, task.due_at, task.instance_id),
        recipients=[new_assignee],
        case_id=task.case_id,
        dedupe_key=f"assigned:{task_id}:{new_assignee.id}:{app.clock.now().isoformat()}",
    )
    return task
