"""Start, advance and save process instances.

Each public method runs inside the caller's transaction and leaves, in that
same transaction, everything the outside world needs: the compact serialized
workflow (optimistically locked by ``version``), the projection of open human
tasks, the waiting timers with their due times, and what automated steps wrote.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.end_event import EndEvent
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select
from sqlalchemy.orm import Session

import workflows.clocked_timers  # noqa: F401 - timers read the injected clock
from safeshare.clock import Clock, as_utc, using_clock
from safeshare.errors import ModelError, SafeshareError
from safeshare.records import Case, OpenTask, ProcessDefinition, ProcessInstance, User, WaitingTimer
from workflows.context import ServiceContext
from workflows.model_registry import LANE_ROLES, ModelRegistry
from workflows.restricted import RestrictedEnvironment
from workflows.serialization import InstanceSerializer

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


def timer_due_at(task: Task) -> datetime | None:
    value = task._get_internal_data("event_value")
    if value is None:
        return None
    return as_utc(TimerEventDefinition.get_datetime(value))


class WorkflowEngine:
    """Runs BPMN through SpiffWorkflow and keeps the database in step with it."""

    def __init__(self, models: ModelRegistry, handlers: Mapping[str, Handler]) -> None:
        self.models = models
        self.handlers = dict(handlers)
        self.serializer = InstanceSerializer(models)

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
            params = {k: v["value"] for k, v in (operation_params or {}).items()}
            result = handler(ctx, task.data | ({"_params": params} if params else {}))
            return json.dumps(result, default=str)

        workflow.script_engine = _ScriptEngine(RestrictedEnvironment(), call)

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

    def load(self, session: Session, row: ProcessInstance) -> BpmnWorkflow:
        stored: str | None = None
        try:
            self.models.by_hash(row.definition_hash)
        except ModelError:
            definition = self.definition_row(session, row.definition_hash)
            stored = definition.spec_json if definition else None
        return self.serializer.loads(row.state_json, stored)

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
        model = self.models.current(process_id)
        if self.definition_row(session, model.content_hash) is None:
            session.add(
                ProcessDefinition(
                    content_hash=model.content_hash,
                    process_id=process_id,
                    spec_json=model.spec_json,
                    created_at=clock.now(),
                )
            )
        workflow = BpmnWorkflow(model.spec, model.subprocess_specs)
        workflow.data.update(data)
        start_task = workflow.get_next_task(state=TaskState.READY)
        if start_task is not None:
            start_task.data.update(data)
        now = clock.now()
        row = ProcessInstance(
            process_id=process_id,
            definition_hash=model.content_hash,
            case_id=case_id,
            episode_id=episode_id,
            parent_instance_id=parent_instance_id,
            status="running",
            state_json="{}",
            started_at=now,
            started_by_id=actor.id if actor else None,
            updated_at=now,
        )
        session.add(row)
        session.flush()
        ctx = ServiceContext(session, clock, actor, row, self.models)
        self._bind(workflow, ctx)
        self._advance(workflow, ctx)
        self._save(session, clock, row, workflow, new=True)
        return row

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
        had_timers = bool(self._waiting_timers(workflow))
        task = workflow.get_task_from_id(UUID(task_id))
        if task is None or not task.has_state(TaskState.READY) or not task.task_spec.manual:
            raise SafeshareError(f"Task {task_id} is not waiting for anyone", "Refresh your task list")
        ctx = ServiceContext(session, clock, actor, row, self.models)
        self._bind(workflow, ctx)
        task.task_spec.add_data_from_form(task, data)
        with using_clock(clock):
            try:
                task.run()
            except SpiffWorkflowException as exc:
                raise unwrap_error(exc) from exc
        self._advance(workflow, ctx)
        self._save(session, clock, row, workflow, had_timers=had_timers)
        return workflow

    def fire_due_timers(self, session: Session, clock: Clock, row: ProcessInstance) -> BpmnWorkflow:
        """Let every timer that is due by ``clock`` fire (a restored instance fires nothing by itself)."""
        workflow = self.load(session, row)
        had_timers = bool(self._waiting_timers(workflow))
        ctx = ServiceContext(session, clock, None, row, self.models)
        self._bind(workflow, ctx)
        self._advance(workflow, ctx)
        self._save(session, clock, row, workflow, had_timers=had_timers)
        return workflow

    # -- saving -------------------------------------------------------------------------

    def ready_user_tasks(self, workflow: BpmnWorkflow) -> list[Task]:
        return workflow.get_tasks(state=TaskState.READY, manual=True)

    def _save(
        self,
        session: Session,
        clock: Clock,
        row: ProcessInstance,
        workflow: BpmnWorkflow,
        *,
        new: bool = False,
        had_timers: bool = True,
    ) -> None:
        """Write the state and bring the projections in step, flushing once.

        The projections always equal the workflow as last saved (tests/test_properties.py checks
        this), so a new instance has no rows to read back, and an instance that waited on no timer
        before this step has no timer rows: skipping those reads saves a query per step (bench/).
        """
        now = clock.now()
        row.state_json = self.serializer.dumps(workflow)
        row.updated_at = now
        if workflow.is_completed():
            row.status = "completed"
            row.completed_at = now
            row.outcome = self._outcome(workflow)
        else:
            row.status = "waiting"
        with session.no_autoflush:  # one flush at the end, not one before each projection query
            self._sync_open_tasks(session, clock, row, workflow, new=new)
            self._sync_timers(session, row, workflow, read_existing=had_timers and not new)
        session.flush()

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
        self, session: Session, clock: Clock, row: ProcessInstance, workflow: BpmnWorkflow, *, new: bool = False
    ) -> None:
        existing = (
            {}
            if new
            else {t.task_id: t for t in session.scalars(select(OpenTask).where(OpenTask.instance_id == row.id))}
        )
        ready = {str(t.id): t for t in self.ready_user_tasks(workflow)}
        for task_id, stale in existing.items():
            if task_id not in ready:
                session.delete(stale)
        team_id = row_team_id(session, row)
        for task_id, task in ready.items():
            props = task_properties(task)
            role = task_role(task)
            due_var = props.get("dueAtVariable")
            due_value = task.data.get(due_var) if due_var else None
            due_at = as_utc(datetime.fromisoformat(due_value)) if due_value else None
            projected = existing.get(task_id)
            if projected is None:
                assignee = task.data.get(f"{role}_user_id")
                session.add(
                    OpenTask(
                        task_id=task_id,
                        instance_id=row.id,
                        case_id=row.case_id,
                        team_id=team_id,
                        process_id=row.process_id,
                        task_spec=task.task_spec.bpmn_id,
                        title=task_title(task),
                        role=role,
                        form_schema=props.get("formJsonSchemaFilename"),
                        assignee_id=int(assignee) if assignee else None,
                        due_at=due_at,
                        created_at=clock.now(),
                    )
                )
            else:
                projected.due_at = due_at

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

    def _sync_timers(
        self, session: Session, row: ProcessInstance, workflow: BpmnWorkflow, *, read_existing: bool = True
    ) -> None:
        waiting = self._waiting_timers(workflow)
        existing = (
            {
                t.task_id: t
                for t in session.scalars(
                    select(WaitingTimer).where(WaitingTimer.instance_id == row.id, WaitingTimer.fired_at.is_(None))
                )
            }
            if read_existing
            else {}
        )
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


def row_team_id(session: Session, row: ProcessInstance) -> int | None:
    """The team that owns the instance's case: its unassigned tasks go to that team's role holders."""
    if row.case_id is None:
        return None
    case = session.get(Case, row.case_id)
    return case.team_id if case else None
