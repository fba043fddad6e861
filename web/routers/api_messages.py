"""My in-app messages: listed newest first with how many are unread, and marked read one by one or all at once."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from notifications.channels.in_app import mark_all_read, mark_read, messages_for, unread_count
from safeshare.core.records import Notification
from web import api_models as out
from web.dependencies import ReadUnit, WriteUnit
from web.params import PathId

router = APIRouter(prefix="/api/messages", tags=["messages"], responses=out.SIGNED_IN_ERRORS)


def message_json(note: Notification) -> dict[str, Any]:
    return {
        "id": note.id,
        "subject": note.subject,
        "body": note.body_text,
        "case_id": note.case_id,
        "sent_at": note.created_at,
        "read_at": note.read_at,
    }


@router.get("", response_model=out.MessageList)
def my_messages(unit: ReadUnit, unread: bool = False) -> dict[str, Any]:
    """My in-app messages, newest first (``unread=true``: only those not yet read)."""
    notes = messages_for(unit.session, unit.user, unread_only=unread)
    return {"unread": unread_count(unit.session, unit.user.id), "messages": [message_json(n) for n in notes]}


@router.post("/{message_id}/read", response_model=out.Message)
def read_message(message_id: PathId, unit: WriteUnit) -> dict[str, Any]:
    """Mark one of my messages read (someone else's answers "not found")."""
    return message_json(mark_read(unit.session, unit.app.clock, unit.user, message_id))


@router.post("/read", response_model=out.MessagesMarked)
def read_all(unit: WriteUnit) -> dict[str, Any]:
    """Mark all my messages read."""
    return {"marked": mark_all_read(unit.session, unit.app.clock, unit.user)}
