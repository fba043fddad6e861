"""A process instance's diagram (BPMN XML) with its done, current and overdue steps."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from safeshare.services import queues
from safeshare.services.cancellation import cancel_process
from web import api_models as out
from web.dependencies import WriteUnit
from web.params import BodyText, PathId
from web.serializers import instance_json

router = APIRouter(prefix="/api/processes", tags=["processes"], responses=out.SIGNED_IN_ERRORS)


@router.get("/{instance_id}/diagram", response_model=out.Diagram)
def diagram(instance_id: PathId, unit: WriteUnit) -> dict[str, Any]:
    """The instance's BPMN diagram and state; the view is written to the case's audit trail."""
    state = queues.diagram_state(unit.app, unit.session, unit.user, instance_id)
    return {
        **instance_json(state.instance),
        "bpmn_xml": state.bpmn_xml,
        "done": state.done,
        "current": state.current,
        "overdue": state.overdue,
        "names": state.names,
    }


class CancelBody(BaseModel):
    reason: BodyText = Field(max_length=2000, description="Why the process is no longer needed (10 characters or more)")


@router.post("/{instance_id}/cancel", response_model=out.Instance)
def cancel(instance_id: PathId, body: CancelBody, unit: WriteUnit) -> dict[str, Any]:
    """Cancel a process no longer needed, with the reason: its open tasks close and its timers stop. Its owner
    (who started it, or opened the case) or a manager of the case's team; written to the case's trail."""
    return instance_json(cancel_process(unit.app, unit.session, unit.user, instance_id, body.reason))
