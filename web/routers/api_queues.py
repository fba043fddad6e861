"""Work queues: a manager's consultations and escalations by deadline."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from safeshare.services import queues
from web import api_models as out
from web.dependencies import ReadUnit
from web.serializers import task_json

router = APIRouter(prefix="/api/queues", tags=["queues"], responses=out.SIGNED_IN_ERRORS)


@router.get("/manager", response_model=out.QueuedTaskList)
def manager_queue(unit: ReadUnit) -> dict[str, Any]:
    """Consultations and escalations for my team's managers, overdue first, then by deadline."""
    now = unit.app.clock.now()
    return {
        "tasks": [
            task_json(t, now) | {"escalation": queues.is_escalation(t)}
            for t in queues.manager_queue(unit.session, unit.user, now)
        ]
    }
