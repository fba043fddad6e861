"""Pages: the cases I may see, a case (audited view), and a process diagram with its state."""

from __future__ import annotations

import json

from fastapi import APIRouter, Request
from starlette.responses import Response

from rules.data_protection import describe as describe_data_protection
from rules.sharing import ALL_GROUND_LABELS
from safeshare.records import Case, Role
from safeshare.services import queues, sharing
from safeshare.services.case_view import view_case
from web.auth import acting, safeshare_app
from web.params import PathId
from web.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/cases")
def cases_page(request: Request) -> Response:
    with acting(request, write=False) as (session, user):
        cases = queues.visible_cases(session, user)
        return render(request, "cases.html", {"title": "Cases", "section": "cases", "cases": cases})


@router.get("/cases/{case_id}")
def case_page(case_id: PathId, request: Request) -> Response:
    return render_case(request, case_id)


def render_case(
    request: Request, case_id: int, error_list: list[dict[str, str]] | None = None, status_code: int = 200
) -> Response:
    """The case page (an audited view); also re-shown with errors when starting work on it was refused."""
    app = safeshare_app(request)
    with acting(request) as (session, user):
        view = view_case(app, session, user, case_id)
        names = {p.id: p.full_name for p in view.people}
        return render(
            request,
            "case.html",
            {
                "title": f"Case {view.case.reference}",
                "section": "cases",
                "view": view,
                "people_names": names,
                "restrictions": queues.active_restrictions(session, case_id),
                "disclosures": sharing.disclosures(session, user, case_id),
                "received": sharing.received_information_for(session, user, case_id),
                "decisions": sharing.share_decisions(session, user, case_id),
                "advice": sharing.manager_advice(session, user, case_id),
                "ground_labels": ALL_GROUND_LABELS,
                "data_protection_words": describe_data_protection,
                "is_practitioner": Role.PRACTITIONER in user.roles,
                "error_list": error_list or [],
            },
            status_code=status_code,
        )


def _script_json(value: object) -> str:
    """JSON safe to place inside a <script> element (no closing tag can appear)."""
    return json.dumps(value).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


@router.get("/processes/{instance_id}/diagram")
def diagram_page(instance_id: PathId, request: Request) -> Response:
    app = safeshare_app(request)
    with acting(request) as (session, user):
        state = queues.diagram_state(app, session, user, instance_id)
        case = session.get(Case, state.instance.case_id) if state.instance.case_id else None
        payload = {"bpmn_xml": state.bpmn_xml, "done": state.done, "current": state.current,
                   "overdue": state.overdue}
        return render(
            request,
            "diagram.html",
            {"title": f"Process {instance_id}", "section": "cases", "state": state, "case": case,
             "state_json": _script_json(payload)},
        )
