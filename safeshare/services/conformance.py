"""How closely what people did follows the models: token-replay fitness per process, from the event log.

Each ended instance's completed user tasks, in order, are replayed on the process's workflow net
(analysis/workflow_net.py, analysis/replay.py). 1.0 means every ended instance ran as its model allows; a
figure below it names a process whose runs were forced somewhere (a model changed under running instances,
a task completed out of turn). Instances still open are counted but not replayed: a half-run is not a misfit.
The figures are about the models, not people: they carry no names and no case.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from analysis.replay import replay
from analysis.workflow_net import process_files, read_net
from safeshare.core.access import require_role
from safeshare.core.records import ProcessInstance, Role, User
from safeshare.services.event_log import PROCESS_NAMES, collect

ROLES = (Role.MANAGER, Role.SENIOR_MANAGER, Role.ADMINISTRATOR, Role.DATA_PROTECTION_OFFICER)


@dataclass(frozen=True)
class ProcessConformance:
    process_id: str
    name: str
    ended: int  # instances replayed
    fitting: int  # of those, the ones that replayed with nothing forced
    still_open: int
    fitness: float | None  # None when no instance has ended yet


def conformance(session: Session, user: User, bpmn_dir: Path) -> list[ProcessConformance]:
    """A figure per top-level process (called processes are replayed inside their callers' instances)."""
    require_role(user, *ROLES)
    log = collect(session, completed_only=True)
    open_counts = {process_id: count for process_id, count in session.execute(
        select(ProcessInstance.process_id, func.count()).where(ProcessInstance.status != "completed")
        .group_by(ProcessInstance.process_id))}  # fmt: skip
    figures = []
    files = process_files(bpmn_dir)
    for process_id in files:
        traces = log.traces(process_id)
        net = read_net(bpmn_dir, process_id, files)
        fitness = replay(net, [[e.task_spec or "" for e in t] for t in traces.values()])
        figures.append(ProcessConformance(
            process_id, PROCESS_NAMES.get(process_id, process_id), fitness.traces, fitness.fitting,
            open_counts.get(process_id, 0), round(fitness.value, 3) if fitness.traces else None,
        ))  # fmt: skip
    return figures
