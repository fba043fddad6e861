"""Everything a person entitled to a case sees on it, in one read (and the view is audited)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from safeshare.core.access import require_case
from safeshare.core.audit import record_event, write_pending
from safeshare.core.records import (
    AuditEvent,
    Case,
    CompletedTask,
    ConsentRecord,
    Document,
    Episode,
    OpenTask,
    ParentalResponsibility,
    Person,
    ProcessInstance,
    User,
)

if TYPE_CHECKING:
    from safeshare.core.runtime import App


@dataclass(frozen=True)
class CaseView:
    case: Case
    people: list[Person]
    pr_holder_ids: set[int]
    episodes: list[Episode]
    consents: list[ConsentRecord]
    documents: list[Document]
    instances: list[ProcessInstance]
    open_tasks: list[OpenTask]
    completed_tasks: list[CompletedTask]
    audit: list[AuditEvent]


def view_case(app: App, session: Session, user: User, case_id: int) -> CaseView:
    """Read a case for ``user`` (need-to-know checked) and write the view to its audit trail."""
    case = require_case(session, user, case_id)
    record_event(
        session, app.clock, user, "case_viewed", f"{user.display_name} viewed case {case.reference}", case_id=case.id
    )
    people = list(session.scalars(select(Person).where(Person.case_id == case.id).order_by(Person.id)))
    child_ids = [p.id for p in people if p.is_subject]
    holders = set(
        session.scalars(select(ParentalResponsibility.holder_id).where(ParentalResponsibility.child_id.in_(child_ids)))
    )
    instances = list(
        session.scalars(select(ProcessInstance).where(ProcessInstance.case_id == case.id).order_by(ProcessInstance.id))
    )
    instance_ids = [i.id for i in instances]
    write_pending(session)  # the trail shows this very view
    return CaseView(
        case=case,
        people=people,
        pr_holder_ids=holders,
        episodes=list(session.scalars(select(Episode).where(Episode.case_id == case.id).order_by(Episode.id))),
        consents=list(
            session.scalars(select(ConsentRecord).where(ConsentRecord.case_id == case.id).order_by(ConsentRecord.id))
        ),
        documents=list(session.scalars(select(Document).where(Document.case_id == case.id).order_by(Document.id))),
        instances=instances,
        open_tasks=list(session.scalars(select(OpenTask).where(OpenTask.case_id == case.id))),
        completed_tasks=list(
            session.scalars(
                select(CompletedTask).where(CompletedTask.instance_id.in_(instance_ids)).order_by(CompletedTask.id)
            )
        ),
        audit=list(session.scalars(select(AuditEvent).where(AuditEvent.case_id == case.id).order_by(AuditEvent.seq))),
    )
