"""Work queues: a manager's consultations and escalations by deadline."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from safeshare.services import queues
from web.auth import acting, safeshare_app
from web.serializers import task_json

router = APIRouter(prefix="/api/queues", tags=["queues"])


@router.get("/manager")
def manager_queue(request: Request) -> dict[str, Any]:
    """Consultations and escalations for my team's managers, overdue first, then by deadline."""
    app = safeshare_app(request)
    with acting(request, write=False) as (session, user):
        now = app.clock.now()
        return {
            "tasks": [
                task_json(t, now) | {"escalation": queues.is_escalation(t)}
                for t in queues.manager_queue(session, user, now)
            ]
        }
