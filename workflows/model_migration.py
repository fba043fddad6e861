"""Move a running workflow onto another definition of its process, task by task, by task spec id.

Every task the instance has reached (done, waiting or running) keeps its id, state, data and timer
due time and takes the same-id task spec of the new definition; what the instance had only predicted
(the steps after a waiting one) is dropped and predicted again from the new definition. A task whose
id the new definition does not have cannot be moved: the instance is refused, naming that step.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from SpiffWorkflow.bpmn.specs import BpmnProcessSpec
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState

from workflows.model_registry import FORM_PROPERTY, ProcessModel

#: States of a task the instance has not reached yet: dropped and predicted again from the new definition.
_PREDICTED = TaskState.PREDICTED_MASK | TaskState.FUTURE
#: States of a task the instance is at: the predicted steps after it are rebuilt from it.
_LIVE = TaskState.READY | TaskState.WAITING | TaskState.STARTED


@dataclass
class MigrationPlan:
    """What moving one instance onto a new definition changes, in words a person reads."""

    waiting: list[str] = field(default_factory=list)  # each waiting step and what happens to it
    added: list[str] = field(default_factory=list)  # steps the new definition has and the old has not
    removed: list[str] = field(default_factory=list)  # steps the old definition has and the new has not
    problems: list[str] = field(default_factory=list)  # why it cannot be moved (empty: it can)

    @property
    def possible(self) -> bool:
        return not self.problems


def _title(spec: Any) -> str:
    return str(getattr(spec, "bpmn_name", None) or getattr(spec, "bpmn_id", None) or spec.name)


def _steps(spec: BpmnProcessSpec) -> dict[str, str]:
    """The named BPMN elements of a process spec: bpmn id -> title (SpiffWorkflow's own helpers left out)."""
    return {str(s.bpmn_id): _title(s) for s in spec.task_specs.values() if getattr(s, "bpmn_id", None)}


def _workflows(workflow: BpmnWorkflow, target: ProcessModel) -> Iterator[tuple[Any, BpmnProcessSpec | None, str]]:
    """The instance's top workflow and each called process it runs, with the new spec each moves onto."""
    yield workflow, target.spec, _title(workflow.spec)
    for sub in workflow.subprocesses.values():
        yield sub, target.subprocess_specs.get(sub.spec.name), str(sub.spec.name)


def _predicted(task: Task) -> bool:
    """A step not reached yet, under a step the instance is at (so the new definition predicts it again)."""
    if not task.has_state(_PREDICTED):
        return False
    parent = task.parent
    while parent is not None and parent.has_state(_PREDICTED):
        parent = parent.parent
    return parent is not None and parent.has_state(_LIVE)


def _form_of(spec: Any) -> str | None:
    properties = (getattr(spec, "extensions", None) or {}).get("properties", {})
    form = properties.get(FORM_PROPERTY)
    return str(form) if form else None


def plan(workflow: BpmnWorkflow, current: ProcessModel, target: ProcessModel, version: str) -> MigrationPlan:
    """What moving ``workflow`` (running on ``current``) onto ``target`` changes; nothing is changed."""
    result = MigrationPlan()
    old_steps, new_steps = _steps(current.spec), _steps(target.spec)
    for spec in (*current.subprocess_specs.values(),):
        old_steps.update(_steps(spec))
    for spec in (*target.subprocess_specs.values(),):
        new_steps.update(_steps(spec))
    added = {title for key, title in new_steps.items() if key not in old_steps}
    removed = {title for key, title in old_steps.items() if key not in new_steps}
    replaced = added & removed  # a step given a new identity under the same name: to a person, one step
    result.added = sorted(added - replaced) + [f"{t} (replaces the step of the same name)" for t in sorted(replaced)]
    result.removed = sorted(removed - replaced)
    for flow, new_spec, name in _workflows(workflow, target):
        if new_spec is None:
            if not flow.is_completed():
                result.problems.append(f"The called process '{name}' it is running is not in {version}")
            continue
        for task in list(flow.tasks.values()):
            if _predicted(task):
                continue
            new = new_spec.task_specs.get(task.task_spec.name)
            title = _title(task.task_spec)
            if new is None:
                if task.has_state(_LIVE):
                    result.problems.append(f"The waiting step '{title}' is not in {version}")
                elif task.has_state(TaskState.FINISHED_MASK) and getattr(task.task_spec, "bpmn_id", None):
                    result.problems.append(f"The step '{title}', already done, is not in {version}")
                elif not task.has_state(TaskState.FINISHED_MASK):
                    result.problems.append(f"The step '{title}' is not in {version}")
                continue
            if task.has_state(TaskState.READY | TaskState.WAITING) and getattr(new, "bpmn_id", None):
                line = f"'{title}' stays waiting"
                if _title(new) != title:
                    line += f", now called '{_title(new)}'"
                form = _form_of(new)
                if form and current.forms.get(form) != target.forms.get(form):
                    line += ", with its changed form"
                result.waiting.append(line)
    return result


def apply(workflow: BpmnWorkflow, target: ProcessModel) -> None:
    """Move ``workflow`` onto ``target`` (call :func:`plan` first: this assumes every task maps).

    Tasks keep their ids, states, data and timers' due times; predicted steps are rebuilt.
    """
    for flow, new_spec, _name in list(_workflows(workflow, target)):
        if new_spec is None:  # a finished called process: its record stays as it is
            continue
        anchors = [t for t in flow.tasks.values() if t.has_state(_LIVE)]
        for anchor in anchors:
            for child in list(anchor.children):
                if child.id in flow.tasks and _predicted(child):
                    flow._remove_task(child.id)
        for task in flow.tasks.values():
            task.task_spec = new_spec.task_specs[task.task_spec.name]
        flow.spec = new_spec
        for anchor in anchors:
            anchor.task_spec._predict(anchor, mask=TaskState.NOT_FINISHED_MASK)
        if flow.last_task is not None and flow.last_task.id not in flow.tasks:
            flow.last_task = None
        for task in flow.tasks.values():
            if new_spec.task_specs.get(task.task_spec.name) is not task.task_spec:
                raise ValueError(f"step {task.task_spec.name!r} did not move onto the new definition")
    workflow.subprocess_specs = dict(target.subprocess_specs)
