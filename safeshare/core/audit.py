"""Writing and verifying the hash-chained audit trail.

Events are only ever appended (the database refuses anything else: see
``safeshare.core.audit_guard``). ``verify_chain`` recomputes every hash and names the
first event whose content, position or predecessor no longer matches. Refused
accesses are events too (``record_refusal``), written after the refused
transaction has rolled back.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy import event as orm_events
from sqlalchemy.orm import Session, SessionTransaction

from safeshare.core.audit_witness import NEW_HEAD, Witness
from safeshare.core.clock import Clock
from safeshare.core.errors import NotFoundError, PermissionDeniedError, SafeshareError
from safeshare.core.records import (
    AuditChainHead,
    AuditEvent,
    Case,
    ConsentRecord,
    Document,
    OpenTask,
    ProcessInstance,
    User,
)
from safeshare.core.records.base import Base

if TYPE_CHECKING:
    from safeshare.core.db import Database

GENESIS_HASH = "0" * 64
#: The event that vouches for events whose content was removed under the retention schedule.
REDACTION_EVENT = "audit_redacted"
#: What a removed event's summary says instead.
REDACTED_SUMMARY = "Content removed under the retention schedule"


def _event_hash(event: AuditEvent | dict[str, Any]) -> str:
    row = event if isinstance(event, dict) else {k: getattr(event, k) for k in _HASHED}
    content = {k: row[k] for k in _HASHED}
    content["occurred_at"] = row["occurred_at"].isoformat()
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


_HEAD_TABLE = Base.metadata.tables[AuditChainHead.__tablename__]
_LOCK_HEAD = select(_HEAD_TABLE.c.last_seq, _HEAD_TABLE.c.last_hash).where(_HEAD_TABLE.c.id == 1).with_for_update()
_MOVE_HEAD = (
    update(_HEAD_TABLE).where(_HEAD_TABLE.c.id == 1).values(last_seq=bindparam("seq"), last_hash=bindparam("hash"))
)
_INSERT_EVENTS = insert(Base.metadata.tables[AuditEvent.__tablename__])
_HASHED = ("seq", "occurred_at", "actor_id", "actor_name", "case_id", "event_type", "summary", "detail", "prev_hash")
_PENDING = "audit_pending"
_MARKS = "audit_savepoint_marks"


def record_event(
    session: Session,
    clock: Clock,
    actor: User | None,
    event_type: str,
    summary: str,
    *,
    case_id: int | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    """Append one event in the caller's transaction (it commits or vanishes with the change it records).

    Events wait in the session until it commits; then the chain head is locked, every event
    of the transaction is chained in the order it was recorded and written in one statement
    (:func:`_append_pending`). A step costs three statements for its whole trail, and the head
    (which every writer needs) is held only from that moment to the commit. An event recorded
    inside a savepoint that rolls back is dropped with it.
    """
    pending: list[dict[str, Any]] = session.info.setdefault(_PENDING, [])
    pending.append(
        {
            "occurred_at": clock.now().replace(microsecond=0),
            "actor_id": actor.id if actor else None,
            "actor_name": actor.display_name if actor else "system",
            "case_id": case_id,
            "event_type": event_type,
            "summary": summary[:500],
            "detail": json.loads(json.dumps(detail or {}, default=str)),
        }
    )


@orm_events.listens_for(Session, "before_commit")
def _append_pending(session: Session) -> None:
    """Chain and insert the transaction's events: the last writes before the root transaction commits."""
    if session.get_nested_transaction() is None:  # a savepoint committing into its parent: they stay pending
        write_pending(session)


def write_pending(session: Session) -> None:
    """Write the events recorded so far in this transaction now, for a reader that must see them
    (a trail that shows its own viewing). Otherwise they are written as the transaction commits."""
    pending: list[dict[str, Any]] = session.info.pop(_PENDING, [])
    session.info.pop(_MARKS, None)
    if not pending:
        return
    connection = session.connection()  # Core on the session's own connection: no ORM work for plain rows
    seq, prev_hash = connection.execute(_LOCK_HEAD).one()
    for row in pending:
        seq += 1
        row["seq"] = seq
        row["prev_hash"] = prev_hash
        row["hash"] = prev_hash = _event_hash(row)
    connection.execute(_MOVE_HEAD, {"seq": seq, "hash": prev_hash})
    connection.execute(_INSERT_EVENTS, pending)
    session.info[NEW_HEAD] = (seq, prev_hash, pending[-1]["occurred_at"])  # witnessed once committed


@orm_events.listens_for(Session, "after_transaction_create")
def _mark_savepoint(session: Session, transaction: SessionTransaction) -> None:
    if transaction.nested:
        session.info.setdefault(_MARKS, {})[transaction] = len(session.info.get(_PENDING, []))


@orm_events.listens_for(Session, "after_soft_rollback")
def _drop_rolled_back(session: Session, previous_transaction: SessionTransaction) -> None:
    """Events recorded since a rolled-back savepoint began go with it; a root rollback drops all."""
    if previous_transaction.nested:
        mark = session.info.get(_MARKS, {}).pop(previous_transaction, None)
        if mark is not None and _PENDING in session.info:
            del session.info[_PENDING][mark:]
    else:
        session.info.pop(_PENDING, None)
        session.info.pop(_MARKS, None)


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

    An event whose content the retention schedule removed (``redacted_at`` set) keeps its hash and its
    links; its content cannot be checked any more, so it counts only if a later, intact
    ``audit_redacted`` event names it with that very hash (see :func:`redact_events`).

    ``anchors`` maps sequence numbers to hashes noted earlier outside the database
    (``head_seq``/``head_hash`` of an earlier report): a chain rewritten wholesale,
    every hash recomputed, still fails there.
    """
    anchors = anchors or {}
    unvouched: dict[int, str] = {}
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
        if event.redacted_at is not None:
            unvouched[event.seq] = event.hash  # content removed: a later redaction event must name it
        elif _event_hash(event) != event.hash:
            return ChainReport(
                False, checked, event.seq, "its content no longer matches its hash (edited?)", describe(event)
            )
        elif event.event_type == REDACTION_EVENT:
            vouched = event.detail.get("events", {}) if isinstance(event.detail, dict) else {}
            for seq_text, original_hash in vouched.items():
                if unvouched.get(int(seq_text)) == original_hash:
                    del unvouched[int(seq_text)]
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
    if unvouched:
        first = min(unvouched)
        return ChainReport(
            False,
            checked,
            first,
            f"the content of event {first} was removed, but no later event records that removal and its reason",
        )
    missing = sorted(seq for seq in anchors if seq > checked)
    if missing:
        gone = (
            f"event {missing[-1]} was" if missing[-1] == checked + 1 else f"events {checked + 1} to {missing[-1]} were"
        )
        return ChainReport(
            False,
            checked,
            checked + 1,
            f"{gone} witnessed or noted earlier but are gone: the chain was cut after event {checked}",
        )
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
    ``detail``; when they name a case that exists (its id, or a task on it), the event
    carries the case too, so the case's own trail shows who was refused it to those
    who may see the case (and to nobody else: the answer to the refused person stays
    "not found" either way).
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
            case_id=refused_case_id(session, detail or {}),
            detail={**(detail or {}), "action": action, "reason": error.message, "error": type(error).__name__},
        )


def _named_id(ids: Mapping[str, Any], key: str) -> int | None:
    value = ids.get(key)
    if isinstance(value, str) and value.isdigit():
        value = int(value)
    return value if isinstance(value, int) and not isinstance(value, bool) and 0 < value < 2**31 else None


def refused_case_id(session: Session, ids: Mapping[str, Any]) -> int | None:
    """The existing case a refused request named: by ``case_id``, or through a record of the case
    (``task_id``, ``document_id``, ``instance_id``, ``consent_id``); None when it named none.

    Why the records too: a refused look at a case's document or process diagram is a refused look at
    the case, so its team should see it on the case's trail (issue 15)."""
    case_id = _named_id(ids, "case_id")
    if case_id is not None:
        return case_id if session.get(Case, case_id) is not None else None
    task_id = ids.get("task_id")
    if isinstance(task_id, str) and 0 < len(task_id) <= 64:
        task = session.get(OpenTask, task_id)
        return task.case_id if task is not None else None
    for key, column in (
        ("document_id", Document.case_id),
        ("instance_id", ProcessInstance.case_id),
        ("consent_id", ConsentRecord.case_id),
    ):
        row_id = _named_id(ids, key)
        if row_id is not None:
            found: int | None = session.scalar(select(column).where(column.class_.id == row_id))
            return found
    return None


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


def redact_events(session: Session, clock: Clock, actor: User | None, seqs: list[int], reason: str) -> None:
    """Remove the content (summary and detail) of events ``seqs`` in the caller's transaction, keeping
    each event, its place and its hash; then record one event naming each removed event's sequence
    number and hash, and the reason. ``verify_chain`` accepts a removed event only with that record.

    The database's guard (migration 0060) lets exactly this change through, once per event.
    """
    if not seqs:
        return
    table = Base.metadata.tables[AuditEvent.__tablename__]
    now = clock.now()
    hashes: dict[str, str] = {}
    for seq, event_hash in session.execute(
        select(table.c.seq, table.c.hash).where(table.c.seq.in_(seqs), table.c.redacted_at.is_(None))
    ):
        hashes[str(seq)] = event_hash
    if not hashes:
        return
    session.execute(
        update(table)
        .where(table.c.seq.in_([int(s) for s in hashes]), table.c.redacted_at.is_(None))
        .values(summary=f"{REDACTED_SUMMARY}: {reason}"[:500], detail={}, redacted_at=now)
    )
    record_event(
        session,
        clock,
        actor,
        REDACTION_EVENT,
        f"Content of {len(hashes)} audit event(s) removed under the retention schedule: {reason}",
        detail={"events": hashes, "reason": reason},
    )


def verify_witnessed(session: Session, witness: Witness | None, anchors: dict[int, str] | None = None) -> ChainReport:
    """:func:`verify_chain` against every head the witness saw (see :mod:`safeshare.core.audit_witness`),
    after checking each witness line's signature; ``anchors`` noted by hand count too."""
    if witness is None:
        return verify_chain(session, anchors)
    reading = witness.read()
    if reading.bad_lines:
        number, why = reading.bad_lines[0]
        return ChainReport(False, 0, None, f"line {number} of the witness file {witness.path} is not genuine: {why}")
    return verify_chain(session, reading.anchors | (anchors or {}))
