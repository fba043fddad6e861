"""Writing and verifying the hash-chained audit trail.

Events are only ever appended (the database refuses anything else: see
``safeshare.audit_guard``). ``verify_chain`` recomputes every hash and names the
first event whose content, position or predecessor no longer matches. Refused
accesses are events too (``record_refusal``), written after the refused
transaction has rolled back.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from safeshare.clock import Clock
from safeshare.errors import NotFoundError, PermissionDeniedError, SafeshareError
from safeshare.records import AuditChainHead, AuditEvent, User

if TYPE_CHECKING:
    from safeshare.db import Database

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
    """Append one event in the caller's transaction (it commits or vanishes with the change it records).

    The chain head is locked once per transaction and the events are written at the
    next flush, so a step that records several events costs one lock, not one each.
    """
    head = _locked_head(session)
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
    return event


def _locked_head(session: Session) -> AuditChainHead:
    """The chain head, locked (``SELECT ... FOR UPDATE``) the first time this transaction asks."""
    transaction = session.get_transaction()
    cached = session.info.get("audit_chain_head")
    if cached is not None and cached[0] is transaction:
        head: AuditChainHead = cached[1]
        return head
    head = session.execute(select(AuditChainHead).where(AuditChainHead.id == 1).with_for_update()).scalar_one()
    session.info["audit_chain_head"] = (transaction, head)
    return head


@dataclass(frozen=True)
class ChainReport:
    """The outcome of :func:`verify_chain`.

    ``first_bad_seq`` is the first event that is not as it was written (for a deleted
    event, the missing sequence number); ``event`` names the event found there (type,
    time, summary) so a reviewer can find it. ``head_seq``/``head_hash`` describe the
    end of the verified chain: note them somewhere outside the database, and a later
    verify that shows a different hash at that sequence proves the whole chain was
    rewritten (which re-computing every hash could otherwise hide).
    """

    ok: bool
    events_checked: int
    first_bad_seq: int | None = None
    problem: str = ""
    event: str = ""
    head_seq: int = 0
    head_hash: str = GENESIS_HASH


def describe(event: AuditEvent) -> str:
    """One line naming an event: sequence, type, time, who, summary."""
    return (
        f"#{event.seq} {event.event_type} at {event.occurred_at:%Y-%m-%d %H:%M:%S} UTC "
        f"by {event.actor_name}: {event.summary}"
    )


def verify_chain(session: Session, anchors: dict[int, str] | None = None) -> ChainReport:
    """Walk the chain in order; report the first event that was edited, deleted or reordered.

    ``anchors`` maps sequence numbers to hashes noted earlier outside the database
    (``head_seq``/``head_hash`` of an earlier report): a chain rewritten wholesale,
    every hash recomputed, still fails there.
    """
    anchors = anchors or {}
    expected_prev = GENESIS_HASH
    expected_seq = 1
    checked = 0
    for event in session.execute(select(AuditEvent).order_by(AuditEvent.seq)).scalars():
        if event.seq != expected_seq:
            return ChainReport(
                False,
                checked,
                expected_seq,
                f"event {expected_seq} is missing (deleted?); the next event present is {event.seq}",
                describe(event),
            )
        if event.prev_hash != expected_prev:
            return ChainReport(
                False,
                checked,
                event.seq,
                "its link to the previous event is broken (events reordered, swapped or removed?)",
                describe(event),
            )
        if _event_hash(event) != event.hash:
            return ChainReport(
                False, checked, event.seq, "its content no longer matches its hash (edited?)", describe(event)
            )
        if event.seq in anchors and anchors[event.seq] != event.hash:
            return ChainReport(
                False,
                checked,
                event.seq,
                "its hash differs from the one noted earlier (the chain was rewritten from here or before)",
                describe(event),
            )
        expected_prev = event.hash
        expected_seq += 1
        checked += 1
    missing = sorted(seq for seq in anchors if seq > checked)
    if missing:
        return ChainReport(False, checked, missing[0], f"event {missing[0]} was noted earlier but is gone")
    head = session.get(AuditChainHead, 1)
    if head is not None and (head.last_seq != checked or head.last_hash != expected_prev):
        return ChainReport(
            False,
            checked,
            checked + 1,
            f"the chain head records {head.last_seq} events but only {checked} are present: "
            "events after this point were removed",
        )
    return ChainReport(True, checked, head_seq=checked, head_hash=expected_prev)


def record_refusal(
    db: Database,
    clock: Clock,
    actor: User | None,
    action: str,
    error: SafeshareError,
    *,
    detail: dict[str, Any] | None = None,
) -> None:
    """Write a refused access (R19 need-to-know) to the trail in its own transaction.

    The refused operation's transaction rolls back, taking anything written in it
    along, so the refusal is recorded separately, after it. The requested ids go in
    ``detail`` (not ``case_id``): the case may not exist, and the trail of a case
    should not show who was refused a look at it to those who may see the case.
    """
    with db.transaction() as session:
        who = session.get(User, actor.id) if actor is not None else None
        name = who.display_name if who else "an unknown user"
        record_event(
            session,
            clock,
            who,
            "access_refused",
            f"{name} was refused: {action}",
            detail={**(detail or {}), "action": action, "reason": error.message, "error": type(error).__name__},
        )


@contextmanager
def refusals_audited(
    db: Database, clock: Clock, actor: User | None, action: str, detail: dict[str, Any] | None = None
) -> Iterator[None]:
    """Run a block; if it is refused (not found, or not permitted), audit the refusal and re-raise.

    Put it outside the refused block's transaction: the refusal is written in a new one, and on
    SQLite a second writer would wait for the first.
    """
    try:
        yield
    except (NotFoundError, PermissionDeniedError) as exc:
        record_refusal(db, clock, actor, action, exc, detail=detail)
        raise
