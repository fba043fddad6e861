"""A process instance's diagram (BPMN XML) with its done, current and overdue steps."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from safeshare.services import queues
from web import api_models as out
from web.dependencies import WriteUnit
from web.params import PathId
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
