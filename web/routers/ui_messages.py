"""Page: my in-app messages (newest first, unread ones marked), each marked read on its own or all at once."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from starlette.datastructures import FormData
from starlette.responses import RedirectResponse, Response

from notifications.channels.in_app import mark_all_read, mark_read, messages_for
from web.auth import acting, safeshare_app
from web.params import PathId
from web.routers.ui_auth import posted_form
from web.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/messages")
def messages_page(request: Request) -> Response:
    with acting(request, write=False) as (session, user):
        notes = messages_for(session, user, limit=200)
        return render(request, "messages.html", {"title": "Messages", "section": "messages", "messages": notes})


@router.post("/messages/{message_id}/read")
def read_message(message_id: PathId, request: Request, _form: FormData = Depends(posted_form)) -> Response:
    with acting(request) as (session, user):
        mark_read(session, safeshare_app(request).clock, user, message_id)
    return RedirectResponse(f"/messages#message-{message_id}", status_code=303)


@router.post("/messages/read")
def read_all(request: Request, _form: FormData = Depends(posted_form)) -> Response:
    with acting(request) as (session, user):
        mark_all_read(session, safeshare_app(request).clock, user)
    return RedirectResponse("/messages", status_code=303)
