"""What a timer sweep did, and its JSON form (a helper process prints its report as one JSON line).

Shared by the sweep (``workflows.timer_sweep``), the helpers it starts (``workflows.sweep_helpers``)
and the helpers' entry point (``workflows.sweep_worker``), so none of them imports another back.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any


@dataclass(frozen=True)
class FiredTimer:
    """One timer fired: ``fired_at`` is the instant its step ran at (stored in ``waiting_timer``);
    ``committed_at`` the clock's time when its transaction committed, so its effects became visible."""

    instance_id: int
    event_name: str
    due_at: datetime
    fired_at: datetime
    committed_at: datetime | None = None

    @property
    def lateness(self) -> timedelta:
        return self.fired_at - self.due_at


@dataclass
class SweepReport:
    """What one sweep did: timers fired (oldest first per worker), instances parked, races lost."""

    worker: str
    fired: list[FiredTimer] = field(default_factory=list)
    parked: list[int] = field(default_factory=list)
    conflicts: list[int] = field(default_factory=list)
    workers: int = 1
    transactions: int = 0

    @property
    def max_lateness(self) -> timedelta | None:
        return max((t.lateness for t in self.fired), default=None)


def report_to_json(report: SweepReport) -> dict[str, Any]:
    return {
        "worker": report.worker,
        "fired": [
            [t.instance_id, t.event_name, t.due_at.isoformat(), t.fired_at.isoformat(),
             t.committed_at.isoformat() if t.committed_at else None]
            for t in report.fired
        ],
        "parked": report.parked,
        "conflicts": report.conflicts,
        "transactions": report.transactions,
    }


def report_from_json(data: dict[str, Any]) -> SweepReport:
    return SweepReport(
        data["worker"],
        fired=[
            FiredTimer(iid, name, datetime.fromisoformat(due), datetime.fromisoformat(fired),
                       datetime.fromisoformat(committed) if committed else None)
            for iid, name, due, fired, committed in data["fired"]
        ],
        parked=list(data["parked"]),
        conflicts=list(data["conflicts"]),
        transactions=data["transactions"],
    )
