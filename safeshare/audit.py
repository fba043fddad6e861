"""Writing and verifying the hash-chained audit trail.

Events are only ever appended. ``verify_chain`` recomputes every hash and names
the first event whose content, position or predecessor no longer matches.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from safeshare.clock import Clock
from safeshare.records import AuditChainHead, AuditEvent, User

GENESIS_HASH = "0" * 64


def _event_hash(event: AuditEvent) -> str:
    content = {
        "seq": event.seq,
        "occurred_at": event.occurred_at.isoformat(),
        "actor_id": event.actor_id,
        "actor_name": event.actor_name,
        "case_id": event.case_id,
        "event_type": event.event_type,
        "summary": event.summary,
        "detail": event.detail,
        "prev_hash": event.prev_hash,
    }
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def record_event(
    session: Session,
    clock: Clock,
    actor: User | None,
    event_type: str,
    summary: str,
    *,
    case_id: int | None = None,
    detail: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one event in the caller's transaction (it commits or vanishes with the change it records)."""
    head = session.execute(select(AuditChainHead).where(AuditChainHead.id == 1).with_for_update()).scalar_one()
    event = AuditEvent(
        seq=head.last_seq + 1,
        occurred_at=clock.now().replace(microsecond=0),
        actor_id=actor.id if actor else None,
        actor_name=actor.display_name if actor else "system",
        case_id=case_id,
        event_type=event_type,
        summary=summary[:500],
        detail=json.loads(json.dumps(detail or {}, default=str)),
        prev_hash=head.last_hash,
    )
    event.hash = _event_hash(event)
    head.last_seq = event.seq
    head.last_hash = event.hash
    session.add(event)
    session.flush()
    return event


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    events_checked: int
    first_bad_seq: int | None = None
    problem: str = ""


def verify_chain(session: Session) -> ChainReport:
    """Walk the chain in order; report the first event that was edited, deleted or reordered."""
    expected_prev = GENESIS_HASH
    expected_seq = 1
    checked = 0
    for event in session.execute(select(AuditEvent).order_by(AuditEvent.seq)).scalars():
        if event.seq != expected_seq:
            return ChainReport(False, checked, event.seq, f"event {expected_seq} is missing (deleted?)")
        if event.prev_hash != expected_prev:
            return ChainReport(False, checked, event.seq, "its link to the previous event is broken")
        if _event_hash(event) != event.hash:
            return ChainReport(False, checked, event.seq, "its content no longer matches its hash (edited?)")
        expected_prev = event.hash
        expected_seq += 1
        checked += 1
    head = session.get(AuditChainHead, 1)
    if head is not None and (head.last_seq != checked or head.last_hash != expected_prev):
        return ChainReport(False, checked, checked + 1, "events after this point were removed")
    return ChainReport(True, checked)
