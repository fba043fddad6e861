"""Pages: a manager's queue of consultations and escalations by deadline."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from safeshare.services import queues, safeguarding_leads
from web.auth import acting, safeshare_app
from web.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/queues/manager")
def manager_queue(request: Request) -> Response:
    app = safeshare_app(request)
    with acting(request, write=False) as (session, user):
        now = app.clock.now()
        rows = [
            {"task": t, "overdue": bool(t.due_at and t.due_at < now), "escalation": queues.is_escalation(t),
             "case": queues.visible_case(session, user, t.case_id)}
            for t in queues.manager_queue(session, user, now)
        ]
        lead = safeguarding_leads.leads(session).get(user.team_id) if user.team_id is not None else None
        return render(
            request,
            "manager_queue.html",
            {"title": "Manager queue", "section": "manager", "tasks": rows, "lead": lead, "team_id": user.team_id},
        )
