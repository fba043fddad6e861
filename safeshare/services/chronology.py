"""A chronology per case (R40): the significant events of every record, in date order, with the agency
each came from, as a page and as a CSV file.

Why: "it is only when information from a number of sources has been shared and is then put together
that it becomes clear that a child is at risk". The records are kept apart by process (consent, advice,
decisions, the register, information received, referrals, requests between agencies, scheme outcomes);
this puts them on one line of time. Need-to-know: only someone who works on the case sees it
(``require_case``); information received is listed only where its restrictions let staff see it
(``sharing.may_disclose``), and its restrictions are shown beside it so they travel with the file.
A scheme outcome shows only that a police scheme linked to the case ended and how, never its detail
(scheme records are police records). Each reading and each export is an audit event.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from rules.referrals import REFERRAL_CONSENT, REFERRAL_DECISIONS
from rules.sharing import ALL_GROUND_LABELS
from safeshare.core.access import require_case
from safeshare.core.audit import record_event
from safeshare.core.clock import Clock
from safeshare.core.csv_out import csv_bytes
from safeshare.core.records import (
    AgencyRequest,
    Case,
    ConsentRecord,
    Disclosure,
    Episode,
    ManagerAdvice,
    ReceivedInformation,
    Referral,
    SchemeApplication,
    SchemeCaseLink,
    ShareDecision,
    User,
)
from safeshare.services.scheme_links import review_in_words
from safeshare.services.sharing import RESTRICTION_LABELS, Audience, may_disclose

CONSENT_OUTCOMES = {
    "given": "Consent given",
    "given_with_restrictions": "Consent given with restrictions",
    "refused": "Consent refused",
    "not_sought": "Consent not sought",
}
DECISION_OUTCOMES = {
    "share": "Decided to share without consent",
    "must_share": "Must share: a statutory duty or court order",
    # Only on decisions recorded before the process lost its 'share blocked' end (issue 17).
    "blocked": "Share blocked: no lawful basis",
    "not_shared": "Decided not to share",
    "seek_consent_first": "Decided to seek consent first",
}
ADVICE = {"share": "share", "do_not_share": "do not share", "seek_consent_first": "seek consent first"}
SCHEME_OUTCOMES = {"disclosed": "a disclosure was made", "not_disclosed": "no disclosure was made"}
COLUMNS = ("When", "What happened", "Details", "Source agency", "Recorded by", "Restrictions")


@dataclass(frozen=True)
class Entry:
    """One significant event on the case's line of time."""

    when: datetime
    kind: str
    details: str
    agency: str
    by: str = ""
    restrictions: str = ""


def _names(session: Session, ids: set[int | None]) -> dict[int, str]:
    wanted = {i for i in ids if i}
    if not wanted:
        return {}
    rows = session.execute(select(User.id, User.display_name).where(User.id.in_(wanted)))
    return {user_id: name for user_id, name in rows}


def _consents(session: Session, case_id: int, ours: str, names: dict[int, str]) -> list[Entry]:
    entries: list[Entry] = []
    for c in session.scalars(select(ConsentRecord).where(ConsentRecord.case_id == case_id)):
        who = ", ".join(str(r.get("agency", "")) for r in c.recipients or [] if r.get("agency"))
        details = f"Recipients: {who}" if who else (c.not_sought_reason or "")
        entries.append(
            Entry(
                c.recorded_at,
                CONSENT_OUTCOMES.get(c.outcome, "Consent recorded"),
                details,
                ours,
                names.get(c.recorded_by_id, ""),
            )
        )
        if c.superseded_at is not None:
            entries.append(
                Entry(c.superseded_at, "Significant change: fresh consent needed", c.superseded_reason or "", ours)
            )
        if c.withdrawn_at is not None:
            entries.append(Entry(c.withdrawn_at, "Consent withdrawn", "", ours))
    return entries


def _decisions(session: Session, case_id: int, ours: str, names: dict[int, str]) -> list[Entry]:
    entries: list[Entry] = []
    for a in session.scalars(select(ManagerAdvice).where(ManagerAdvice.case_id == case_id)):
        late = "" if a.within_deadline else " (after the deadline)"
        entries.append(
            Entry(
                a.advised_at,
                f"Manager advised: {ADVICE.get(a.decision, a.decision)}{late}",
                a.reasons,
                ours,
                names.get(a.advised_by_id, ""),
            )
        )
    for d in session.scalars(select(ShareDecision).where(ShareDecision.case_id == case_id)):
        grounds = "; ".join(ALL_GROUND_LABELS.get(g, g) for g in d.grounds or [])
        entries.append(
            Entry(
                d.decided_at,
                DECISION_OUTCOMES.get(d.outcome, "Decision about sharing"),
                grounds or d.reasons,
                ours,
                names.get(d.decided_by_id, ""),
            )
        )
    return entries


def _register(session: Session, case_id: int, ours: str, names: dict[int, str]) -> list[Entry]:
    entries: list[Entry] = []
    for d in session.scalars(select(Disclosure).where(Disclosure.case_id == case_id)):
        basis = "with consent" if d.basis == "consent" else "without consent"
        what = f"To {d.recipient_agency}" + (f" ({d.recipient_contact})" if d.recipient_contact else "")
        entries.append(
            Entry(
                d.made_at,
                f"Information shared {basis}",
                f"{what}: {d.purpose or 'no purpose given'}",
                ours,
                names.get(d.made_by_id, ""),
            )
        )
    return entries


def _received(session: Session, case_id: int, names: dict[int, str]) -> list[Entry]:
    entries: list[Entry] = []
    for r in session.scalars(select(ReceivedInformation).where(ReceivedInformation.case_id == case_id)):
        if not may_disclose(r, Audience("staff"))[0]:
            continue
        limits = "; ".join(
            str(x.get("text") or RESTRICTION_LABELS.get(str(x.get("code")), x.get("code")))
            + (f": {x['person']}" if x.get("person") else "")
            for x in r.restrictions or []
        )
        kind = "Information received" + (" without consent" if r.without_consent else "")
        entries.append(
            Entry(r.received_at, kind, r.details, r.provided_by_agency, names.get(r.recorded_by_id, ""), limits)
        )
    return entries


def _referrals(session: Session, case_id: int, ours: str, names: dict[int, str]) -> list[Entry]:
    entries: list[Entry] = []
    for r in session.scalars(select(Referral).where(Referral.case_id == case_id)):
        if r.immediate_risk and r.immediate_actions:
            entries.append(
                Entry(
                    r.made_at,
                    "Immediate risk: acted at once",
                    str(r.immediate_actions.get("actions_taken", "")),
                    ours,
                    names.get(r.made_by_id, ""),
                )
            )
        entries.append(
            Entry(
                r.made_at,
                "Referral to children's social care",
                f"{REFERRAL_CONSENT.get(r.consent_status, '')}. {r.concern}",
                ours,
                names.get(r.made_by_id, ""),
            )
        )
        if r.acknowledged_at is not None:
            entries.append(Entry(r.acknowledged_at, "Referral acknowledged", r.acknowledged_by or "", r.receiving_team))
        for f in r.follow_ups or []:
            entries.append(
                Entry(
                    datetime.fromisoformat(f["at"]),
                    "Manager followed up the late response",
                    str(f.get("action", "")),
                    ours,
                    str(f.get("by", "")),
                )
            )
        if r.decision_at is not None and r.decision:
            entries.append(
                Entry(
                    r.decision_at,
                    f"Children's social care decided: {REFERRAL_DECISIONS[r.decision]}",
                    r.decision_note or "",
                    r.receiving_team,
                    r.decision_by or "",
                )
            )
    return entries


def _requests(session: Session, case_id: int, ours: str, names: dict[int, str]) -> list[Entry]:
    entries: list[Entry] = []
    for q in session.scalars(select(AgencyRequest).where(AgencyRequest.case_id == case_id)):
        if q.direction == "outbound":  # h/pract: a request we sent, and the other agency's answer to it
            entries.append(
                Entry(
                    q.received_at,
                    f"Request for information sent to {q.agency} (reference {q.reference})",
                    f"Purpose: {q.purpose}. Lawful basis: {q.lawful_basis}",
                    ours,
                    names.get(q.recorded_by_id, ""),
                )
            )
            if q.answered_at is not None:
                done = "Answer received" if q.outcome == "answered" else "Request declined by the other agency"
                entries.append(Entry(q.answered_at, done, q.answer_text or "", q.agency, q.answered_by or ""))
            continue
        entries.append(
            Entry(
                q.received_at,
                "Request for information received",
                f"Purpose: {q.purpose}. Lawful basis: {q.lawful_basis}",
                q.agency,
                names.get(q.recorded_by_id, ""),
            )
        )
        if q.answered_at is not None:
            done = "Request answered" if q.outcome == "answered" else "Request declined"
            entries.append(Entry(q.answered_at, done, q.outcome_note or "", ours))
    return entries


def _schemes(session: Session, case_id: int, ours: str) -> list[Entry]:
    rows = session.scalars(
        select(SchemeApplication).where(
            SchemeApplication.linked_case_id == case_id, SchemeApplication.completed_at.is_not(None)
        )
    )
    return [
        Entry(
            a.completed_at,
            "Police disclosure scheme ended",
            f"An application linked to this case ended: {SCHEME_OUTCOMES.get(a.outcome or '', 'closed')}",
            "Police",
        )
        for a in rows
        if a.completed_at is not None
    ] + [
        Entry(link.reviewed_at, "Police disclosure outcome reviewed", review_in_words(link), ours)
        for link in session.scalars(
            select(SchemeCaseLink).where(SchemeCaseLink.case_id == case_id, SchemeCaseLink.reviewed_at.is_not(None))
        )
        if link.reviewed_at is not None
    ]


def entries(session: Session, user: User, case_id: int) -> tuple[Case, list[Entry]]:
    """The case (if this user works on it) and its chronology, oldest first."""
    case = require_case(session, user, case_id)
    ours = case.team.agency
    ids: set[int | None] = set()
    for model, column in (
        (ConsentRecord, ConsentRecord.recorded_by_id),
        (ManagerAdvice, ManagerAdvice.advised_by_id),
        (ShareDecision, ShareDecision.decided_by_id),
        (Disclosure, Disclosure.made_by_id),
        (ReceivedInformation, ReceivedInformation.recorded_by_id),
        (Referral, Referral.made_by_id),
        (AgencyRequest, AgencyRequest.recorded_by_id),
        (Episode, Episode.started_by_id),
    ):
        ids |= set(session.scalars(select(column).where(model.case_id == case_id)))
    names = _names(session, ids)
    found = [
        *[
            Entry(e.started_at, "Episode of work started", e.purpose, ours, names.get(e.started_by_id, ""))
            for e in session.scalars(select(Episode).where(Episode.case_id == case_id))
        ],
        *[
            Entry(e.closed_at, "Episode of work closed", e.purpose, ours)
            for e in session.scalars(select(Episode).where(Episode.case_id == case_id))
            if e.closed_at is not None
        ],
        *_consents(session, case_id, ours, names),
        *_decisions(session, case_id, ours, names),
        *_referrals(session, case_id, ours, names),
        *_received(session, case_id, names),
        *_register(session, case_id, ours, names),
        *_requests(session, case_id, ours, names),
        *_schemes(session, case_id, ours),
    ]
    return case, sorted(found, key=lambda e: e.when)


def view(session: Session, clock: Clock, user: User, case_id: int) -> tuple[Case, list[Entry]]:
    """The chronology for a page, audited as a view of the case."""
    case, found = entries(session, user, case_id)
    record_event(
        session,
        clock,
        user,
        "chronology_viewed",
        f"Chronology of case {case.reference} viewed",
        case_id=case.id,
        detail={"entries": len(found)},
    )
    return case, found


def export_csv(session: Session, clock: Clock, user: User, case_id: int) -> tuple[str, bytes]:
    """The chronology as a CSV file (through the one CSV writer), audited as an export."""
    case, found = entries(session, user, case_id)
    rows = [(e.when.strftime("%Y-%m-%d %H:%M"), e.kind, e.details, e.agency, e.by, e.restrictions) for e in found]
    record_event(
        session,
        clock,
        user,
        "chronology_exported",
        f"Chronology of case {case.reference} exported ({len(rows)} entries, CSV)",
        case_id=case.id,
        detail={"entries": len(rows)},
    )
    return f"chronology-{case.reference}-{clock.now():%Y%m%d-%H%M}.csv", csv_bytes(COLUMNS, rows)
