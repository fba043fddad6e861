"""A team's designated safeguarding lead (R4), named by a manager of the team or an administrator: the page
calls ``safeshare.services.safeguarding_leads``, where every rule (who may name, nobody names themselves,
the lead is a member of the team) has its one home."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from starlette.datastructures import FormData
from starlette.responses import RedirectResponse, Response

from safeshare.core.errors import SafeshareError
from safeshare.services import safeguarding_leads
from web.auth import acting, safeshare_app
from web.params import PathId
from web.routers.ui_auth import posted_form
from web.templating import render

router = APIRouter(include_in_schema=False)


def _lead_page(request: Request, team_id: int, error: str = "", status: int = 200) -> Response:
    with acting(request, write=False) as (session, user):
        page = safeguarding_leads.lead_page(session, user, team_id)
        return render(
            request,
            "team_lead.html",
            {
                "title": f"Designated safeguarding lead of {page.team.name}",
                "section": "admin",
                "page": page,
                "done": request.query_params.get("done"),
                "error": error,
                "error_list": [{"text": error, "href": "#user_id"}] if error else [],
            },
            status_code=status,
        )


@router.get("/teams/{team_id}/safeguarding-lead")
def lead_page(team_id: PathId, request: Request) -> Response:
    return _lead_page(request, team_id)


@router.post("/teams/{team_id}/safeguarding-lead")
def name_lead(team_id: PathId, request: Request, form: FormData = Depends(posted_form)) -> Response:
    chosen = str(form.get("user_id", ""))
    if not chosen.isdigit():
        return _lead_page(request, team_id, "Choose who will be the designated safeguarding lead", 422)
    try:
        with acting(request) as (session, user):
            safeguarding_leads.name_lead(safeshare_app(request), session, user, team_id, int(chosen))
    except SafeshareError as exc:
        if exc.status_code in (401, 404):
            raise
        return _lead_page(request, team_id, exc.message, 422)
    return RedirectResponse(f"/teams/{team_id}/safeguarding-lead?done=named", status_code=303)


@router.post("/teams/{team_id}/safeguarding-lead/end")
def end_lead(team_id: PathId, request: Request, form: FormData = Depends(posted_form)) -> Response:
    with acting(request) as (session, user):
        safeguarding_leads.end_lead(safeshare_app(request), session, user, team_id)
    return RedirectResponse(f"/teams/{team_id}/safeguarding-lead?done=ended", status_code=303)
