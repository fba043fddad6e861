"""A process instance's diagram (BPMN XML) with its done, current and overdue steps."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from safeshare.services import queues
from web.auth import acting, safeshare_app
from web.params import PathId
from web.serializers import instance_json

router = APIRouter(prefix="/api/processes", tags=["processes"])


@router.get("/{instance_id}/diagram")
def diagram(instance_id: PathId, request: Request) -> dict[str, Any]:
    """The instance's BPMN diagram and state; the view is written to the case's audit trail."""
    app = safeshare_app(request)
    with acting(request) as (session, user):
        state = queues.diagram_state(app, session, user, instance_id)
        return {
            **instance_json(state.instance),
            "bpmn_xml": state.bpmn_xml,
            "done": state.done,
            "current": state.current,
            "overdue": state.overdue,
            "names": state.names,
        }
