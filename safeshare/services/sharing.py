"""Sharing information: start the sharing processes (P2 to P5), check a share against the
rules, and read the records they leave.

The CLI, API and web UI call these functions; the automated steps in
``tasks/automated/sharing.py`` call the checks, so one rule has one implementation.
``may_disclose`` is the single answer to "may this received information be shown or
shared to this audience?" (R23): exports and views must ask it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from notifications.outbox import enqueue
from rules import enforce
from rules.consent import (
    consent_in_force,
    consent_of_this_episode,
    overlaps,
    restriction_text,
    share_respects_restrictions,
)
from rules.data_protection import (
    SCHEDULE_1_FOR,
    DataProtectionBasis,
    data_protection_basis_complete,
    default_basis,
)
from rules.scope import share_within_scope
from rules.sharing import (
    consent_considered_first,
    disclosure_entry_complete,
    reason_for_not_seeking,
    told_before_disclosure,
)
from safeshare.core.access import require_case, require_role
from safeshare.core.audit import record_event
from safeshare.core.clock import Clock, as_utc
from safeshare.core.errors import DomainRuleError, NotFoundError
from safeshare.core.records import (
    Case,
    ConsentRecord,
    Disclosure,
    DisclosureItem,
    Episode,
    ManagerAdvice,
    ProcessInstance,
    ReceivedInformation,
    Role,
    ShareDecision,
    User,
    UserRole,
)
from safeshare.services.consent import current_episode

if TYPE_CHECKING:
    from safeshare.core.runtime import App

RESTRICTION_LABELS: dict[str, str] = {
    "not_to_service_user": "Not to be disclosed to service user",
    "not_to_named_person": "Not to be disclosed to a named person",
    "no_onward_sharing": "Not to be shared outside the receiving agency",
}
METHODS = ("secure_email", "phone", "meeting", "letter", "in_person", "shared_case_system")
GIVEN = ("given", "given_with_restrictions")
SHARING_OUTCOMES = ("share", "must_share")

AudienceKind = Literal["staff", "agency", "service_user", "family"]


@dataclass(frozen=True)
class Audience:
    """Who would see or receive something: our own staff, another agency, the service user, or family."""

    kind: AudienceKind
    name: str = ""


def _norm(text: str | None) -> str:
    return " ".join(str(text or "").casefold().split())


def may_disclose(record: ReceivedInformation, audience: Audience) -> tuple[bool, str]:
    """Whether ``record`` may be shown or shared to ``audience`` under its restrictions (R23), and why not."""
    for restriction in record.restrictions or []:
        code = restriction.get("code")
        if code == "not_to_service_user" and audience.kind in ("service_user", "family"):
            return (
                False,
                f"Information {record.id} from {record.provided_by_agency} is 'Not to be disclosed to service user'",
            )
        if code == "no_onward_sharing" and audience.kind == "agency":
            return (
                False,
                f"Information {record.id} from {record.provided_by_agency} may not be shared outside this agency",
            )
        if code == "not_to_named_person" and _overlaps(restriction.get("person"), audience.name):
            return False, f"Information {record.id} may not be disclosed to {restriction.get('person')}"
    return True, ""


def require_may_disclose(record: ReceivedInformation, audience: Audience) -> None:
    allowed, why = may_disclose(record, audience)
    if not allowed:
        raise DomainRuleError("R23", why, "Leave this information out, or ask the agency that provided it")


def received_information_for(
    session: Session, user: User, case_id: int, audience: Audience = Audience("staff")
) -> list[ReceivedInformation]:
    """Information received on a case that ``audience`` may see (exports and views use this)."""
    require_case(session, user, case_id)
    rows = session.scalars(
        select(ReceivedInformation).where(ReceivedInformation.case_id == case_id).order_by(ReceivedInformation.id)
    )
    return [r for r in rows if may_disclose(r, audience)[0]]


# -- checking a share --------------------------------------------------------------------

def _overlaps(a: str | None, b: str | None) -> bool:
    return overlaps(a, b)


def consent_notes(consent: ConsentRecord) -> list[str]:
    """What the person asked for in their own words: the consent's restrictions that are not its choices."""
    chosen = {restriction_text(c) for c in consent.restriction_choices or []}
    return [r for r in consent.restrictions or [] if r not in chosen]


@dataclass
class CheckedDisclosure:
    """A share that passed every check, ready to be written."""

    case_id: int
    basis: Literal["consent", "without_consent"]
    consent: ConsentRecord | None
    decision: ShareDecision | None
    recipient_agency: str
    recipient_contact: str | None
    method: str
    purpose: str
    items: list[dict[str, Any]]
    told_consent_status: bool | None
    made_at: datetime
    made_by: User
    restrictions_on_use: list[str] = field(default_factory=list)
    data_protection: dict[str, Any] = field(default_factory=dict)
    purpose_kind: str | None = None


def offered_data_protection_basis(decision: ShareDecision | None) -> DataProtectionBasis:
    """The data-protection basis offered for a share (R47): from the decision's ground, else safeguarding."""
    if decision is None:
        return default_basis(())
    kind = (decision.legal_basis or {}).get("kind")
    return default_basis(decision.grounds or [], str(kind) if kind else None)


def data_protection_basis(data: dict[str, Any], decision: ShareDecision | None) -> dict[str, Any]:
    """R47: the basis as chosen on the form, each part left empty taking the default offered from the
    ground; refused if incomplete, inconsistent, or resting on consent that was not given."""
    offered = offered_data_protection_basis(decision)
    article_6 = str(data.get("article_6_basis") or "") or offered.article_6
    article_9 = str(data.get("article_9_condition") or "") or offered.article_9
    schedule_1: str | None = str(data.get("schedule_1_condition") or "") or None
    if schedule_1 is None:
        accepted = SCHEDULE_1_FOR.get(article_9, ())
        if offered.schedule_1 in accepted:
            schedule_1 = offered.schedule_1
        elif len(accepted) == 1:
            schedule_1 = accepted[0]
    chosen = DataProtectionBasis(article_6, article_9, schedule_1)
    enforce(data_protection_basis_complete(chosen, with_consent=decision is None))
    asked = ("article_6_basis", "article_9_condition", "schedule_1_condition")
    return chosen.as_record(from_defaults=not any(data.get(k) for k in asked))


def _basis(session: Session, case_id: int, data: dict[str, Any]) -> tuple[ConsentRecord | None, ShareDecision | None]:
    if data.get("share_decision_id"):
        decision = session.get(ShareDecision, int(data["share_decision_id"]))
        if decision is None or decision.case_id != case_id:
            raise DomainRuleError("R10", "The decision to share is not on this case", "Use this case's decision")
        if decision.outcome not in SHARING_OUTCOMES:
            raise DomainRuleError(
                "R10",
                f"The recorded decision ({decision.outcome.replace('_', ' ')}) does not allow sharing",
                "Record a new decision, with the reason for sharing without consent or a public-interest judgement",
            )
        return None, decision
    consent = session.get(ConsentRecord, int(data["consent_record_id"])) if data.get("consent_record_id") else None
    if consent is not None and consent.case_id == case_id:
        enforce(consent_in_force(consent.status, consent.withdrawn_at))
        episode = current_episode(session, case_id)
        enforce(consent_of_this_episode(consent.episode_id, episode.id if episode else None))
    if consent is None or consent.case_id != case_id or consent.status != "active" or consent.outcome not in GIVEN:
        raise DomainRuleError(
            "R10",
            "There is no active consent and no recorded decision to share without consent",
            "Seek consent, or decide whether the information may be shared without consent",
        )
    return consent, None


def check_recipient(
    consent: ConsentRecord | None, decision: ShareDecision | None, agency: str, contact: str, acknowledged: bool
) -> None:
    """R6 (consent names the recipient), R19 (the decision covers them), R7 (no restriction forbids them)."""
    named = (consent.recipients if consent else decision.recipients if decision else []) or []
    if not any(_norm(r.get("agency")) == _norm(agency) for r in named):
        names = ", ".join(r.get("agency", "?") for r in named) or "nobody"
        if consent is not None:
            raise DomainRuleError(
                "R6",
                f"The consent does not name {agency} as a recipient (it names {names}); silence is not consent",
                "Share only with a named recipient, or seek consent for this one",
            )
        raise DomainRuleError(
            "R19",
            f"The decision to share without consent does not cover {agency} (it covers {names})",
            "Share only with those who need it, or record a new decision naming this recipient",
        )
    if consent is None:
        return
    enforce(share_respects_restrictions(consent.restriction_choices or [], consent_notes(consent), agency, contact,
                                        acknowledged))


def _maker(session: Session, case_id: int, recorder: User, data: dict[str, Any]) -> User | None:
    """Who made the disclosure: the member of staff named, or the person recording it. None if the one
    named is not an active member of the case's team (or the recorder)."""
    chosen = data.get("made_by_user_id")
    if chosen in (None, "", recorder.id):
        return recorder
    maker = session.get(User, int(chosen)) if str(chosen).isdigit() else None
    case = session.get(Case, case_id)
    if maker is None or not maker.is_active or case is None or maker.team_id != case.team_id:
        return None
    return maker


def check_disclosure(
    session: Session, case_id: int, data: dict[str, Any], recorder: User, now: datetime
) -> CheckedDisclosure:
    """Every rule a share must pass (R6, R7, R10, R14, R19 to R23), or a ``DomainRuleError`` naming it."""
    consent, decision = _basis(session, case_id, data)
    agency = str(data.get("recipient_agency") or "").strip()
    contact = str(data.get("recipient_contact") or "").strip()
    maker = _maker(session, case_id, recorder, data)
    enforce(
        disclosure_entry_complete(
            data.get("made_at"), now, decision.decided_at if decision else None, maker is not None, agency, contact
        )
    )
    assert maker is not None
    if decision is not None:
        enforce(told_before_disclosure(decision.outcome, decision.informed_outcome))
    check_recipient(consent, decision, agency, contact, bool(data.get("restrictions_respected")))
    items = list(data.get("disclosed_items") or [])
    if not items:
        raise DomainRuleError("R21", "Record what was disclosed, item by item", "Add each item shared")
    audience = Audience("agency", agency)
    for item in items:
        if item.get("kind") not in ("fact", "opinion") or not str(item.get("content") or "").strip():
            raise DomainRuleError("R20", "Mark every item as fact or opinion", "Choose fact or opinion for each")
        if item.get("received_information_id"):
            received = session.get(ReceivedInformation, int(item["received_information_id"]))
            if received is None or received.case_id != case_id:
                raise NotFoundError("The information received named in an item is not on this case", "Check it")
            require_may_disclose(received, audience)
    purpose_kind = str(data.get("disclosure_purpose_kind") or "") or None
    covered_by = "the consent" if consent is not None else "the decision to share without consent"
    scope = consent.scope if consent is not None else decision.scope if decision is not None else None
    enforce(share_within_scope(covered_by, scope, purpose_kind, items))
    told = data.get("recipient_told_consent_status")
    if decision is not None and told is not True:
        raise DomainRuleError(
            "R22",
            "Without consent, the recipient must be told that consent was refused or not sought",
            "Tell the recipient, then confirm it on the form",
        )
    method = str(data.get("disclosure_method") or "")
    if method not in METHODS:
        raise DomainRuleError("R21", "Say how the disclosure was made", f"Choose one of {', '.join(METHODS)}")
    data_protection = data_protection_basis(data, decision)
    return CheckedDisclosure(
        case_id=case_id,
        basis="without_consent" if decision is not None else "consent",
        consent=consent,
        decision=decision,
        recipient_agency=agency,
        recipient_contact=contact or None,
        method=method,
        purpose=str(data.get("disclosure_purpose") or ""),
        items=items,
        told_consent_status=told if decision is not None else None,
        made_at=as_utc(datetime.fromisoformat(str(data["made_at"]))),
        made_by=maker,
        restrictions_on_use=_passed_on(consent, list(data.get("restrictions_on_use") or [])),
        data_protection=data_protection,
        purpose_kind=purpose_kind,
    )


def _passed_on(consent: ConsentRecord | None, given: list[str]) -> list[str]:
    """The restrictions the recipient is told of: those entered, and "not to the person themselves" (R7)."""
    for choice in (consent.restriction_choices or []) if consent else []:
        if choice.get("kind") == "not_to_the_person_themselves":
            text = "Not to be disclosed to the person themselves"
            if text not in given:
                given = [*given, text]
    return given


def write_disclosure(session: Session, clock: Clock, actor: User, instance_id: int, c: CheckedDisclosure) -> Disclosure:
    """The register entry (R21, R22), its items (R20), the audit event and the 'disclosure_made' notice."""
    decision = c.decision
    disclosure = Disclosure(
        case_id=c.case_id,
        instance_id=instance_id,
        basis=c.basis,
        consent_record_id=c.consent.id if c.consent else None,
        share_decision_id=decision.id if decision else None,
        made_at=c.made_at,
        made_by_id=c.made_by.id,
        recorded_at=clock.now(),
        recorded_by_id=actor.id,
        recipient_agency=c.recipient_agency,
        recipient_contact=c.recipient_contact,
        method=c.method,
        purpose=c.purpose,
        recipient_told_consent_status=c.told_consent_status,
        decision_summary=(f"{decision.outcome.replace('_', ' ')}: {decision.reasons}" if decision else None),
        grounds=list(decision.grounds) if decision else [],
        public_interest=decision.public_interest if decision else None,
        restrictions_on_use=c.restrictions_on_use,
        data_protection=c.data_protection or None,
        purpose_kind=c.purpose_kind,
    )
    session.add(disclosure)
    session.flush()
    for position, item in enumerate(c.items, start=1):
        session.add(
            DisclosureItem(
                disclosure_id=disclosure.id,
                position=position,
                content=str(item["content"]),
                kind=item["kind"],
                information_kind=item.get("information_kind"),
                received_information_id=item.get("received_information_id"),
            )
        )
    session.flush()
    session.refresh(disclosure)
    record_event(
        session,
        clock,
        actor,
        "disclosure_recorded",
        f"Disclosure to {c.recipient_agency} by {c.method.replace('_', ' ')} "
        f"({'with consent' if c.basis == 'consent' else 'without consent'}), {len(c.items)} item(s)",
        case_id=c.case_id,
        detail={"disclosure_id": disclosure.id, "basis": c.basis, "recipient": c.recipient_agency},
    )
    case = session.get(Case, c.case_id)
    assert case is not None
    managers = session.scalars(
        select(User)
        .join(UserRole)
        .where(UserRole.role == Role.MANAGER.value, User.team_id == case.team_id, User.is_active.is_(True))
    )
    enqueue(
        session,
        clock,
        "disclosure_made",
        {
            "case_reference": case.reference,
            "case_id": case.id,
            "disclosure_id": disclosure.id,
            "made_by": c.made_by.display_name,
            "made_at": c.made_at.strftime("%d %B %Y %H:%M UTC"),
            "without_consent": c.basis == "without_consent",
        },
        recipients=list({u.id: u for u in [actor, c.made_by, *managers]}.values()),
        case_id=case.id,
        dedupe_key=f"disclosure:{disclosure.id}",
    )
    return disclosure


# -- starting the processes --------------------------------------------------------------


def _start(
    app: App,
    session: Session,
    user: User,
    process_id: str,
    case: Case,
    data: dict[str, Any],
    episode_id: int | None = None,
) -> ProcessInstance:
    instance = app.engine.start(
        session, app.clock, process_id, data, actor=user, case_id=case.id, episode_id=episode_id
    )
    record_event(
        session,
        app.clock,
        user,
        "process_started",
        f"{process_id.replace('_', ' ').capitalize()} started",
        case_id=case.id,
        detail={"instance_id": instance.id, "process": process_id},
    )
    return instance


def active_consent(session: Session, case_id: int, episode_id: int | None = None) -> ConsentRecord | None:
    """The active consent record of an episode (by default the episode of work in progress, never an earlier
    one's: R9)."""
    if episode_id is None:
        episode = current_episode(session, case_id)
        episode_id = episode.id if episode else None
    if episode_id is None:
        return None
    query = select(ConsentRecord).where(
        ConsentRecord.case_id == case_id, ConsentRecord.status == "active", ConsentRecord.episode_id == episode_id
    )
    return session.scalar(query.order_by(ConsentRecord.id.desc()).limit(1))


def start_manager_consultation(
    app: App, session: Session, user: User, case_id: int, *, urgency: str, question: str
) -> ProcessInstance:
    """Ask a manager for advice (P3, R13), due by the urgency's deadline (R16)."""
    require_role(user, Role.PRACTITIONER)
    case = require_case(session, user, case_id)
    if urgency not in ("immediate_risk", "urgent", "standard"):
        raise DomainRuleError("R16", f"Unknown urgency {urgency!r}", "Choose immediate_risk, urgent or standard")
    if len(question.strip()) < 10:
        raise DomainRuleError("R13", "Say what you need advice on (at least 10 characters)", "Write the question")
    data = {"case_id": case.id, "urgency": urgency, "question": question, "practitioner_user_id": user.id}
    return _start(app, session, user, "manager_consultation", case, data)


def start_share_without_consent(
    app: App,
    session: Session,
    user: User,
    case_id: int,
    *,
    episode_id: int | None = None,
    not_sought_ground: str | None = None,
    not_sought_reason: str | None = None,
) -> ProcessInstance:
    """Decide whether to share without consent (P2), on its own rather than from consent seeking.

    Consent is the first option (R1): the decision starts once consent has been sought on the case,
    or with the reason it is not being sought, such as prejudice to a crime investigation (R15).
    """
    require_role(user, Role.PRACTITIONER)
    case = require_case(session, user, case_id)
    if episode_id is not None:
        episode = session.get(Episode, episode_id)
        if episode is None or episode.case_id != case.id:
            raise NotFoundError(f"No episode {episode_id} on case {case.reference}", "Check the episode number")
    sought = session.scalars(
        select(ConsentRecord.outcome).where(ConsentRecord.case_id == case.id)
    ).all()  # sought (given or refused), or not sought with its reason recorded by consent seeking
    reason = (not_sought_reason or "").strip() or None
    enforce(consent_considered_first(sought, reason))
    if reason is not None or not_sought_ground is not None:
        enforce(reason_for_not_seeking(not_sought_ground, reason))
    consent = active_consent(session, case.id, episode_id)
    data = {
        "case_id": case.id,
        "episode_id": episode_id,
        "consent_record_id": consent.id if consent else None,
        "consent_outcome": consent.outcome if consent else ("not_sought" if reason else None),
        "not_sought_ground": not_sought_ground if reason else None,
        "not_sought_reason": reason,
        "practitioner_user_id": user.id,
    }
    return _start(app, session, user, "share_without_consent", case, data, episode_id)


def start_disclosure(
    app: App,
    session: Session,
    user: User,
    case_id: int,
    *,
    share_decision_id: int | None = None,
    episode_id: int | None = None,
) -> ProcessInstance:
    """Record a disclosure (P4): on the active consent, or on a recorded decision to share without it."""
    require_role(user, Role.PRACTITIONER)
    case = require_case(session, user, case_id)
    consent = None if share_decision_id else active_consent(session, case.id, episode_id)
    _basis(
        session,
        case.id,
        {"share_decision_id": share_decision_id, "consent_record_id": consent.id if consent else None},
    )
    data = {
        "case_id": case.id,
        "share_decision_id": share_decision_id,
        "consent_record_id": consent.id if consent else None,
        "practitioner_user_id": user.id,
    }
    return _start(app, session, user, "disclosure_record", case, data, episode_id)


def start_information_received(app: App, session: Session, user: User, case_id: int) -> ProcessInstance:
    """Record information another agency disclosed to us (P5)."""
    require_role(user, Role.PRACTITIONER)
    case = require_case(session, user, case_id)
    return _start(
        app, session, user, "information_received", case, {"case_id": case.id, "practitioner_user_id": user.id}
    )


# -- reading ---------------------------------------------------------------------------


def share_decisions(session: Session, user: User, case_id: int) -> list[ShareDecision]:
    require_case(session, user, case_id)
    return list(
        session.scalars(select(ShareDecision).where(ShareDecision.case_id == case_id).order_by(ShareDecision.id))
    )


def disclosures(session: Session, user: User, case_id: int) -> list[Disclosure]:
    """The disclosure register of a case (R21, R22)."""
    require_case(session, user, case_id)
    return list(session.scalars(select(Disclosure).where(Disclosure.case_id == case_id).order_by(Disclosure.id)))


def manager_advice(session: Session, user: User, case_id: int) -> list[ManagerAdvice]:
    require_case(session, user, case_id)
    return list(
        session.scalars(select(ManagerAdvice).where(ManagerAdvice.case_id == case_id).order_by(ManagerAdvice.id))
    )
