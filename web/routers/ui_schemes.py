"""Pages for police staff: the CSOR and DVDS queue by stage and timescale, and one application."""

from __future__ import annotations

from fastapi import APIRouter, Request
from sqlalchemy import select
from starlette.responses import Response

from safeshare.records import OpenTask
from safeshare.services import queues, schemes
from web.auth import acting, safeshare_app
from web.params import PathId
from web.templating import render

router = APIRouter(include_in_schema=False)

TIMESCALE_TAGS = {
    "overdue": ("Overdue", "govuk-tag--red"),
    "due_soon": ("Due within a day", "govuk-tag--orange"),
    "on_track": ("On track", "govuk-tag--green"),
    "completed": ("Completed", "govuk-tag--grey"),
}


@router.get("/queues/police")
def police_queue(request: Request) -> Response:
    app = safeshare_app(request)
    with acting(request, write=False) as (session, user):
        rows = queues.police_queue(session, user, app.clock.now())
        return render(request, "police_queue.html", {"title": "Police queue", "section": "police", "rows": rows,
                                                      "tags": TIMESCALE_TAGS})


@router.get("/schemes/{application_id}")
def application_page(application_id: PathId, request: Request) -> Response:
    with acting(request, write=False) as (session, user):
        application = schemes.get_application(session, user, application_id)
        tasks = list(session.scalars(select(OpenTask).where(OpenTask.instance_id == application.instance_id)))
        return render(request, "scheme.html", {"title": application.reference, "section": "police",
                                               "a": application, "tasks": tasks})
