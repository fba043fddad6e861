"""Keep recently saved workflows in memory, so the next step on an instance need not rebuild it.

Restoring a workflow from its JSON is most of the cost of loading an instance (bench/:
about a third of SpiffWorkflow's share of a step). A person usually acts on an instance
soon after the step before, often in the same process, so this cache hands back the live
object instead.

It is only ever a shortcut to exactly the stored state:

* an entry is added only after its transaction commits (a rolled-back step's half-moved
  workflow never enters);
* an entry is taken *out* when it is used, so two threads never share one object, and a
  step that then fails leaves nothing behind;
* it is used only if the row's ``state_json`` is the very string that entry was saved as,
  so a change by another process, a restore, or a re-created database is never missed.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass

from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from sqlalchemy import event
from sqlalchemy.orm import Session

PENDING_KEY = "live_workflows_pending"


@dataclass(frozen=True)
class _Entry:
    state_json: str
    workflow: BpmnWorkflow


class LiveWorkflowCache:
    """A bounded, thread-safe map of instance id to the workflow last committed for it."""

    def __init__(self, capacity: int = 256) -> None:
        self.capacity = capacity
        self._entries: OrderedDict[int, _Entry] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def take(self, instance_id: int, state_json: str) -> BpmnWorkflow | None:
        """The live workflow saved as ``state_json`` for this instance, removed from the cache; or None."""
        with self._lock:
            entry = self._entries.pop(instance_id, None)
            if entry is not None and entry.state_json == state_json:
                self.hits += 1
                return entry.workflow
            self.misses += 1
            return None

    def remember_on_commit(self, session: Session, instance_id: int, state_json: str, workflow: BpmnWorkflow) -> None:
        """Offer ``workflow`` (just saved as ``state_json``) to the cache once ``session`` commits."""
        if self.capacity <= 0:
            return
        pending: list[tuple[LiveWorkflowCache, int, _Entry]] = session.info.setdefault(PENDING_KEY, [])
        pending.append((self, instance_id, _Entry(state_json, workflow)))

    def _put(self, instance_id: int, entry: _Entry) -> None:
        with self._lock:
            self._entries[instance_id] = entry
            self._entries.move_to_end(instance_id)
            while len(self._entries) > self.capacity:
                self._entries.popitem(last=False)

    def __len__(self) -> int:
        return len(self._entries)


@event.listens_for(Session, "after_commit")
def _publish(session: Session) -> None:
    for cache, instance_id, entry in session.info.pop(PENDING_KEY, []):
        cache._put(instance_id, entry)


@event.listens_for(Session, "after_rollback")
def _discard(session: Session) -> None:
    session.info.pop(PENDING_KEY, None)
