"""Documents produced for a case, stored with their SHA-256 so a later change shows."""

from __future__ import annotations

import hashlib
from typing import Any

from sqlalchemy.orm import Session

from notifications.rendering import render
from safeshare.core.clock import Clock
from safeshare.core.records import Document, User


def store_document(
    session: Session,
    clock: Clock,
    *,
    case_id: int | None,
    kind: str,
    title: str,
    context: dict[str, Any],
    actor: User | None,
    source_record_id: int | None = None,
) -> Document:
    """Render ``documents/<kind>.html`` and keep it on the case."""
    html = render(f"documents/{kind}.html", context)
    document = Document(
        case_id=case_id,
        kind=kind,
        title=title,
        content_html=html,
        sha256=hashlib.sha256(html.encode()).hexdigest(),
        created_at=clock.now(),
        created_by_id=actor.id if actor else None,
        source_record_id=source_record_id,
    )
    session.add(document)
    session.flush()
    return document
