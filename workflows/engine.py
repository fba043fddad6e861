"""Start, advance and save process instances.

Each public method runs inside the caller's transaction and leaves, in that
same transaction, everything the outside world needs: the compact serialized
workflow (optimistically locked by ``version``), the projection of open human
tasks, the waiting timers with their due times, and what automated steps wrote.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnEvent
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.end_event import EndEvent
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import bindparam, delete, insert, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

from safeshare.core.clock import Clock, as_utc, using_clock
from safeshare.core.config import Settings
from safeshare.core.errors import ConflictError, ModelError, SafeshareError
from safeshare.core.records.base import Base
from safeshare.core.records.vocabulary import InstanceStatus
from safeshare.core.records.workflow_state import (
    ModelVersionProcess,
    OpenTask,
    ProcessDefinition,
    ProcessInstance,
    WaitingTimer,
)
from workflows import model_migration
from workflows.budget import DEFAULT_SECONDS, Budget
from workflows.clocked_timers import install as install_clocked_timers
from workflows.context import ServiceContext
from workflows.live_cache import LiveWorkflowCache
from workflows.model_migration import MigrationPlan
from workflows.model_registry import FORM_PROPERTY, LANE_ROLES, ROLE_HOLDER_VARIABLES, ModelRegistry, ProcessModel
from workflows.restricted import RestrictedEnvironment
from workflows.serialization import InstanceSerializer

if TYPE_CHECKING:  # the acting user's type only: the engine reads no domain record
    from safeshare.core.records.people import User

# SpiffWorkflow's timers read our injected clock before any instance is restored or advanced.
install_clocked_timers()

_OPEN_TASK = Base.metadata.tables[OpenTask.__tablename__]
_DELETE_OPEN_TASKS = delete(_OPEN_TASK).where(_OPEN_TASK.c.task_id.in_(bindparam("task_ids", expanding=True)))
_INSERT_OPEN_TASKS = insert(_OPEN_TASK)
_MOVE_OPEN_TASK_DUE = (
    update(_OPEN_TASK).where(_OPEN_TASK.c.task_id == bindparam("task_id")).values(due_at=bindparam("due_at"))
)

Handler = Callable[[ServiceContext, dict[str, Any]], Any]


def unwrap_error(exc: BaseException) -> BaseException:
    """Find the error a user can act on inside SpiffWorkflow's wrappers."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, SafeshareError):
            return current
        seen.add(id(current))
        current = getattr(current, "exception", None) or current.__cause__ or current.__context__
    return exc


class _ScriptEngine(PythonScriptEngine):
    """Passes the task (not only its data) to our service caller."""

    def __init__(self, environment: RestrictedEnvironment, call: Callable[..., str]) -> None:
        super().__init__(environment=environment)
        self._call = call

    def call_service(self, task: Task, **kwargs: Any) -> str:  # type: ignore[override]
        return self._call(task, **kwargs)


def task_properties(task: Task) -> dict[str, str]:
    extensions = getattr(task.task_spec, "extensions", None) or {}
    return dict(extensions.get("properties", {}))


def task_role(task: Task) -> str:
    lane = task.task_spec.lane
    if lane not in LANE_ROLES:
        raise ModelError(
            f"Task {task.task_spec.bpmn_id!r} is in lane {lane!r}, which names no role",
            f"Put every user task in one of the lanes {', '.join(LANE_ROLES)}",
        )
    return LANE_ROLES[lane]


def task_title(task: Task) -> str:
    return str(task.task_spec.bpmn_name or task.task_spec.bpmn_id)


def projected_due_at(task: Task) -> datetime | None:
    """A user task's due time, from the data variable its model names (``dueAtVariable``)."""
    due_var = task_properties(task).get("dueAtVariable")
    due_value = task.data.get(due_var) if due_var else None
    return as_utc(datetime.fromisoformat(due_value)) if due_value else None


@dataclass(frozen=True)
class Projection:
    """The projected rows of an instance: open user tasks with their due times, and whether it has timers."""

    open_tasks: Mapping[str, datetime | None]
    has_timers: bool
    timer_rows: Sequence[WaitingTimer] | None = None  # the unfired rows, when the caller has them loaded

    EMPTY: ClassVar[Projection]


Projection.EMPTY = Projection({}, False)


def timer_due_at(task: Task) -> datetime | None:
    value = task._get_internal_data("event_value")
    if value is None:
        return None
    return as_utc(TimerEventDefinition.get_datetime(value))


class WorkflowEngine:
    """Runs BPMN through SpiffWorkflow and keeps the database in step with it."""

    def __init__(
        self,
        models: ModelRegistry,
        handlers: Mapping[str, Handler],
        live_capacity: int = 256,
        model_code_seconds: float = DEFAULT_SECONDS,
        model_checker: Callable[[ModelRegistry], list[str]] | None = None,
        settings: Settings | None = None,
    ) -> None:
        self.models = models
        self.settings = settings or Settings()
        self._model_checker = model_checker
        self.model_code_seconds = model_code_seconds
        self.handlers = dict(handlers)
        self.serializer = InstanceSerializer(models)
        self._stored_definitions: set[str] = set()
        self.live = LiveWorkflowCache(live_capacity)

    # -- loading and running ------------------------------------------------------------

    def _bind(self, workflow: BpmnWorkflow, ctx: ServiceContext) -> None:
        def call(task: Task, operation_name: str, operation_params: dict[str, Any] | None = None, **_: Any) -> str:
            handler = self.handlers.get(operation_name)
            if handler is None:
                raise ModelError(
                    f"Service task {task.task_spec.bpmn_id!r} names unknown operation {operation_name!r}",
                    f"Known operations: {', '.join(sorted(self.handlers))}",
                )
            ctx.task_spec = task.task_spec.bpmn_id
            ctx.task_title = task_title(task)
            ctx.operation_params = {k: v["value"] for k, v in (operation_params or {}).items()}
            result = handler(ctx, dict(task.data))  # a copy: a handler cannot change task data behind the model
            return json.dumps(result, default=str)

        # One budget per operation (one transaction): its model code together stops within the time limit.
        budget = Budget(self.model_code_seconds)
        workflow.script_engine = _ScriptEngine(RestrictedEnvironment(budget=budget), call)

    def _advance(self, workflow: BpmnWorkflow, ctx: ServiceContext) -> None:
        """Run engine steps until the workflow waits on a person, a timer or nothing at all."""
        with using_clock(ctx.clock):
            try:
                workflow.do_engine_steps()
                workflow.refresh_timers()
                workflow.do_engine_steps()
            except SpiffWorkflowException as exc:
                raise unwrap_error(exc) from exc

    def definition_row(self, session: Session, content_hash: str) -> ProcessDefinition | None:
        return session.get(ProcessDefinition, content_hash)

    def _store_definition(
        self, session: Session, clock: Clock, process_id: str, content_hash: str, spec_json: str
    ) -> None:
        """Store a process version's definition once, however many first instances start at the same moment.

        ``INSERT ... ON CONFLICT DO NOTHING``: two people starting the first instance of a new version
        at once must both succeed, not one of them get a conflict. Definitions are never deleted, so
        once one is seen stored this process stops looking.
        """
        if content_hash in self._stored_definitions:
            return
        if self.definition_row(session, content_hash) is not None:
            self._stored_definitions.add(content_hash)
            return
        dialect_insert = postgresql_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
        session.execute(
            dialect_insert(ProcessDefinition)
            .values(content_hash=content_hash, process_id=process_id, spec_json=spec_json, created_at=clock.now())
            .on_conflict_do_nothing(index_elements=["content_hash"])
        )

    def model_problems(self, models: ModelRegistry) -> list[str]:
        """What in ``models`` this engine could not run, one line each: each service task against its
        operator (the checker the composition root gives), or else against the operations it knows."""
        if self._model_checker is not None:
            return self._model_checker(models)
        problems = []
        for process_id in models.process_ids:
            model = models.current(process_id)
            for spec in (model.spec, *model.subprocess_specs.values()):
                for task_spec in spec.task_specs.values():
                    name = getattr(task_spec, "operation_name", None)
                    if name is not None and name not in self.handlers:
                        problems.append(f"Service task '{task_spec.bpmn_id}' names the unknown operation '{name}'")
        return problems

    def store_definition(self, session: Session, clock: Clock, model: ProcessModel) -> None:
        """Store a definition (once) before a model version names it."""
        self._store_definition(session, clock, model.process_id, model.content_hash, model.spec_json)

    def active_model(self, session: Session, process_id: str) -> tuple[ProcessModel, int | None]:
        """What a new instance of ``process_id`` starts on: the latest deployed model version's definition
        and that version's number; before any version is deployed, the model folder's (and no number)."""
        latest = session.execute(
            select(ModelVersionProcess.version_id, ModelVersionProcess.content_hash)
            .where(ModelVersionProcess.process_id == process_id)
            .order_by(ModelVersionProcess.version_id.desc())
            .limit(1)
        ).first()
        if latest is None:
            return self.models.current(process_id), None
        version_id, content_hash = latest
        try:
            return self.models.by_hash(content_hash), version_id
        except ModelError:  # deployed by another process: restored from its stored definition
            definition = self.definition_row(session, content_hash)
            return self.models.by_hash(content_hash, definition.spec_json if definition else None), version_id

    def definition_of(self, session: Session, row: ProcessInstance) -> ProcessModel:
        """The definition an instance started on (its spec and its forms), restored from the database
        if this process has not seen it since the models on disk changed."""
        try:
            return self.models.by_hash(row.definition_hash)
        except ModelError:
            definition = self.definition_row(session, row.definition_hash)
            return self.models.by_hash(row.definition_hash, definition.spec_json if definition else None)

    def load(self, session: Session, row: ProcessInstance) -> BpmnWorkflow:
        live = self.live.take(row.id, row.state_json)
        if live is not None:
            return live
        self.definition_of(session, row)  # registered first: the serializer then finds it by hash alone
        return self.serializer.loads(row.state_json, row.definition_hash)

    # -- moving a running instance onto another model version -------------------------------

    def _restored(self, session: Session, row: ProcessInstance) -> BpmnWorkflow:
        """The instance as saved, restored afresh (the live cache's copy is left for its next step)."""
        definition = self.definition_of(session, row)
        return self.serializer.loads(row.state_json, row.definition_hash, definition.spec_json)

    def plan_migration(
        self, session: Session, row: ProcessInstance, target: ProcessModel, version: str
    ) -> MigrationPlan:
        """What moving ``row`` onto ``target`` (called ``version`` in words) changes; nothing is written."""
        if row.status == InstanceStatus.COMPLETED:
            return MigrationPlan(problems=["It has finished: only running work moves to a new version"])
        return model_migration.plan(self._restored(session, row), self.definition_of(session, row), target, version)

    def migrate(
        self, session: Session, clock: Clock, row: ProcessInstance, target: ProcessModel, version_id: int
    ) -> MigrationPlan:
        """Move ``row`` onto ``target`` (model version ``version_id``) in the caller's transaction, or
        return the plan naming why it cannot move (then nothing is changed)."""
        plan = self.plan_migration(session, row, target, f"version {version_id}")
        if not plan.possible:
            return plan
        workflow = self.load(session, row)
        before = self._snapshot(workflow)
        model_migration.apply(workflow, target)
        self._store_definition(session, clock, target.process_id, target.content_hash, target.spec_json)
        row.definition_hash = target.content_hash
        row.model_version_id = version_id
        self._save(session, clock, row, workflow, replace(before, has_timers=True))
        # A task still waiting keeps its row (who holds it, since when); its title, role and form are the new ones.
        for task in self.ready_user_tasks(workflow):
            task_id = str(task.id)
            if task_id in before.open_tasks:
                values = {
                    "task_spec": task.task_spec.bpmn_id,
                    "title": task_title(task),
                    "role": task_role(task),
                    "form_schema": task_properties(task).get(FORM_PROPERTY),
                }
                session.connection().execute(update(_OPEN_TASK).where(_OPEN_TASK.c.task_id == task_id).values(values))
                if (loaded := _loaded_open_task(session, task_id)) is not None:
                    for key, value in values.items():
                        set_committed_value(loaded, key, value)
        return plan

    # -- the three things that move an instance --------------------------------------------

    def start(
        self,
        session: Session,
        clock: Clock,
        process_id: str,
        data: dict[str, Any],
        *,
        actor: User | None,
        case_id: int | None = None,
        episode_id: int | None = None,
        parent_instance_id: int | None = None,
    ) -> ProcessInstance:
        model, version_id = self.active_model(session, process_id)
        self._store_definition(session, clock, process_id, model.content_hash, model.spec_json)
        workflow = BpmnWorkflow(model.spec, model.subprocess_specs)
        workflow.data.update(data)
        start_task = workflow.get_next_task(state=TaskState.READY)
        if start_task is not None:
            start_task.data.update(data)
        now = clock.now()
        row = ProcessInstance(
            process_id=process_id,
            definition_hash=model.content_hash,
            model_version_id=version_id,
            case_id=case_id,
            episode_id=episode_id,
            parent_instance_id=parent_instance_id,
            status=InstanceStatus.RUNNING,
            state_json="{}",
            started_at=now,
            started_by_id=actor.id if actor else None,
            updated_at=now,
        )
        session.add(row)
        session.flush()
        ctx = ServiceContext(session, clock, actor, row, self.models, settings=self.settings)
        self._bind(workflow, ctx)
        self._advance(workflow, ctx)
        self._save(session, clock, row, workflow, Projection.EMPTY)
        self._start_follow_ups(session, clock, ctx)
        return row

    def _start_follow_ups(self, session: Session, clock: Clock, ctx: ServiceContext) -> None:
        """The processes the step's handlers asked to start (:meth:`ServiceContext.start_after`), in order."""
        while ctx.follow_ups:
            follow = ctx.follow_ups.pop(0)
            self.start(session, clock, follow.process_id, follow.data, actor=ctx.actor, case_id=follow.case_id)

    def complete_user_task(
        self,
        session: Session,
        clock: Clock,
        row: ProcessInstance,
        task_id: str,
        data: dict[str, Any],
        actor: User,
    ) -> BpmnWorkflow:
        """Complete one ready human task with (already validated) form data, then advance."""
        workflow = self.load(session, row)
        before = self._snapshot(workflow)
        task = workflow.get_task_from_id(UUID(task_id))
        if task is None or not task.has_state(TaskState.READY) or not task.task_spec.manual:
            raise SafeshareError(f"Task {task_id} is not waiting for anyone", "Refresh your task list")
        ctx = ServiceContext(session, clock, actor, row, self.models, settings=self.settings)
        self._bind(workflow, ctx)
        # A form's answers replace the same top-level keys (docs/modelling.md), as a deep copy: SpiffWorkflow's
        # own merge would fold a list answered again (documents seen at a re-arranged meeting) into the old
        # one item by item, and keep sharing the caller's objects.
        task.data.update(copy.deepcopy(data))
        with using_clock(clock):
            try:
                task.run()
            except SpiffWorkflowException as exc:
                raise unwrap_error(exc) from exc
        self._advance(workflow, ctx)
        self._save(session, clock, row, workflow, before)
        self._start_follow_ups(session, clock, ctx)
        return workflow

    def fire_due_timers(
        self, session: Session, clock: Clock, row: ProcessInstance, timers: Sequence[WaitingTimer] | None = None
    ) -> BpmnWorkflow:
        """Let every timer that is due by ``clock`` fire (a restored instance fires nothing by itself).

        ``timers``: the instance's ``waiting_timer`` rows not fired before this step, if the caller
        (the sweep) has them loaded already; those it marked fired count as gone. Saves a query.
        """
        workflow = self.load(session, row)
        before = self._snapshot(workflow)
        if timers is not None:
            before = replace(before, timer_rows=[t for t in timers if t.fired_at is None])
        ctx = ServiceContext(session, clock, None, row, self.models, settings=self.settings)
        self._bind(workflow, ctx)
        self._advance(workflow, ctx)
        self._save(session, clock, row, workflow, before)
        self._start_follow_ups(session, clock, ctx)
        return workflow

    def deliver_message(
        self,
        session: Session,
        clock: Clock,
        row: ProcessInstance,
        message: str,
        payload: dict[str, Any],
        actor: User | None,
    ) -> BpmnWorkflow:
        """Deliver a BPMN message from outside to ``row`` and advance it, by SpiffWorkflow's own machinery:
        the message's correlation keys are computed from ``payload`` by the model's correlation properties,
        and only a catch event (or receive task) of this instance waiting for ``message`` with the same keys
        takes it. Anything else is refused with ``ConflictError`` and nothing changes."""
        workflow = self.load(session, row)
        before = self._snapshot(workflow)
        waiting = [
            t
            for t in workflow.get_tasks(state=TaskState.WAITING)
            if isinstance(getattr(t.task_spec, "event_definition", None), MessageEventDefinition)
            and t.task_spec.event_definition.name == message
        ]
        not_waiting = ConflictError(
            f"This work is not waiting for that message ({message})", "Open the case to see where the work stands"
        )
        if not waiting:
            raise not_waiting
        ctx = ServiceContext(session, clock, actor, row, self.models)
        self._bind(workflow, ctx)
        definition = waiting[0].task_spec.event_definition
        with using_clock(clock):
            try:
                correlations = definition.calculate_correlations(
                    workflow.script_engine, definition.correlation_properties, payload
                )
                workflow.send_event(BpmnEvent(definition, payload=copy.deepcopy(payload), correlations=correlations))
            except SpiffWorkflowException as exc:
                cause = unwrap_error(exc)
                raise (cause if isinstance(cause, SafeshareError) else not_waiting) from exc
        self._advance(workflow, ctx)
        self._save(session, clock, row, workflow, before)
        return workflow

    def cancel(self, session: Session, clock: Clock, row: ProcessInstance, outcome: str) -> None:
        """End an instance where it stands, with ``outcome`` (an application withdrawn or closed from any stage):
        its open tasks and waiting timers go in the same transaction as the caller's record of why."""
        workflow = self.load(session, row)
        before = self._snapshot(workflow)
        workflow.cancel()
        self._save(session, clock, row, workflow, before)
        row.status, row.outcome, row.completed_at = "completed", outcome, clock.now()

    # -- saving -------------------------------------------------------------------------

    def ready_user_tasks(self, workflow: BpmnWorkflow) -> list[Task]:
        return workflow.get_tasks(state=TaskState.READY, manual=True)

    def _snapshot(self, workflow: BpmnWorkflow) -> Projection:
        """What the projections hold for ``workflow`` as last saved (taken before it moves)."""
        return Projection(
            {str(t.id): projected_due_at(t) for t in self.ready_user_tasks(workflow)},
            bool(self._waiting_timers(workflow)),
        )

    def _save(
        self, session: Session, clock: Clock, row: ProcessInstance, workflow: BpmnWorkflow, before: Projection
    ) -> None:
        """Write the state and bring the projections in step.

        Nothing is flushed here: the commit (or the caller's next query) writes the instance row
        together with whatever else the step adds, one flush per transaction instead of two.

        The projections always equal the workflow as last saved (tests/test_properties.py checks
        this), so ``before``, read off the workflow before it moved, says which ``open_task`` rows
        exist, and an instance that waited on no timer has no timer rows: the step writes only the
        difference and reads nothing back (bench/: one query fewer per step).
        """
        now = clock.now()
        row.state_json = self.serializer.dumps(workflow)
        row.updated_at = now
        if workflow.is_completed():  # a finished instance never steps again: not kept in memory
            row.status = InstanceStatus.COMPLETED
            row.completed_at = now
            row.outcome = self._outcome(workflow)
        else:
            row.status = InstanceStatus.WAITING
            self.live.remember_on_commit(session, row.id, row.state_json, workflow)
        with session.no_autoflush:  # no flush before each projection query either
            self._sync_open_tasks(session, clock, row, workflow, before.open_tasks)
            self._sync_timers(session, row, workflow, before)

    @staticmethod
    def _outcome(workflow: BpmnWorkflow) -> str | None:
        ends = [
            t
            for t in workflow.get_tasks(state=TaskState.COMPLETED)
            if isinstance(t.task_spec, EndEvent) and t.workflow is workflow
        ]
        if not ends:
            return None
        return str(max(ends, key=lambda t: t.last_state_change).task_spec.bpmn_id)

    def _sync_open_tasks(
        self,
        session: Session,
        clock: Clock,
        row: ProcessInstance,
        workflow: BpmnWorkflow,
        before: Mapping[str, datetime | None],
    ) -> None:
        ready = {str(t.id): t for t in self.ready_user_tasks(workflow)}
        gone = [task_id for task_id in before if task_id not in ready]
        if gone:
            # Plain Core on the session's connection (no ORM bookkeeping), then forget any loaded copy.
            session.connection().execute(_DELETE_OPEN_TASKS, {"task_ids": gone})
            for task_id in gone:
                if (loaded := _loaded_open_task(session, task_id)) is not None:
                    session.expunge(loaded)
        team_id = None
        new_rows: list[dict[str, Any]] = []
        for task_id, task in ready.items():
            due_at = projected_due_at(task)
            if task_id in before:
                if before[task_id] != due_at:
                    session.connection().execute(_MOVE_OPEN_TASK_DUE, {"task_id": task_id, "due_at": due_at})
                    if (loaded := _loaded_open_task(session, task_id)) is not None:
                        set_committed_value(loaded, "due_at", due_at)
                continue
            team_id = team_id if team_id is not None else row_team_id(session, row)
            props = task_properties(task)
            role = task_role(task)
            holder_variable = ROLE_HOLDER_VARIABLES.get(role)
            assignee = task.data.get(holder_variable) if holder_variable else None
            new_rows.append(
                {
                    "task_id": task_id,
                    "instance_id": row.id,
                    "case_id": row.case_id,
                    "team_id": team_id,
                    "process_id": row.process_id,
                    "task_spec": task.task_spec.bpmn_id,
                    "title": task_title(task),
                    "role": role,
                    "form_schema": props.get(FORM_PROPERTY),
                    "assignee_id": int(assignee) if assignee else None,
                    "due_at": due_at,
                    "created_at": clock.now(),
                }
            )
        if new_rows:  # plain rows nobody reads back in this step: Core, without the ORM's bookkeeping
            session.connection().execute(_INSERT_OPEN_TASKS, new_rows)

    @staticmethod
    def _waiting_timers(workflow: BpmnWorkflow) -> dict[str, tuple[Task, datetime]]:
        """The timers the workflow waits on that have a due time: what ``waiting_timer`` projects."""
        waiting = {}
        for task in workflow.get_tasks(state=TaskState.WAITING):
            event = getattr(task.task_spec, "event_definition", None)
            if isinstance(event, TimerEventDefinition):
                due = timer_due_at(task)
                if due is not None:
                    waiting[str(task.id)] = (task, due)
        return waiting

    def _sync_timers(self, session: Session, row: ProcessInstance, workflow: BpmnWorkflow, before: Projection) -> None:
        waiting = self._waiting_timers(workflow)
        if before.timer_rows is not None:
            existing = {t.task_id: t for t in before.timer_rows}
        elif before.has_timers:
            unfired = select(WaitingTimer).where(WaitingTimer.instance_id == row.id, WaitingTimer.fired_at.is_(None))
            existing = {t.task_id: t for t in session.scalars(unfired)}
        else:
            existing = {}
        for task_id, timer in existing.items():
            if task_id not in waiting:
                session.delete(timer)
        for task_id, (task, due) in waiting.items():
            if task_id in existing:
                existing[task_id].due_at = due
            else:
                session.add(
                    WaitingTimer(
                        instance_id=row.id,
                        task_id=task_id,
                        event_name=str(task.task_spec.bpmn_name or task.task_spec.bpmn_id),
                        due_at=due,
                    )
                )


def _loaded_open_task(session: Session, task_id: str) -> OpenTask | None:
    """The session's copy of an ``open_task`` row, if it loaded one: Core writes must keep it true."""
    loaded: OpenTask | None = session.identity_map.get(identity_key(OpenTask, task_id))
    return loaded


def row_team_id(session: Session, row: ProcessInstance) -> int | None:
    """The team that owns the instance's case: its unassigned tasks go to that team's role holders."""
    if row.case_id is None:
        return None
    case = row.case
    return case.team_id if case else None
