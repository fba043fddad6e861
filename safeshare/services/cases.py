"""Cases, the people on them, and episodes of work (each episode starts by seeking consent, R9)."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from safeshare.core.access import require_case, require_role
from safeshare.core.audit import record_event
from safeshare.core.errors import ConflictError, DomainRuleError, FormValidationError, NotFoundError
from safeshare.core.records import (
    Case,
    ConsentRecord,
    Episode,
    ParentalResponsibility,
    Person,
    ProcessInstance,
    Role,
    User,
)

if TYPE_CHECKING:
    from safeshare.core.runtime import App


#: A case is a child's: someone 18 or over on the day it is opened is not one (the procedure's "child").
ADULT_AGE = 18


def age_on(born: date, today: date) -> int:
    """Whole years old on ``today``."""
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def open_case(
    app: App,
    session: Session,
    user: User,
    *,
    reference: str,
    title: str,
    child_name: str,
    child_date_of_birth: date,
) -> Case:
    """Open a case for a child in the practitioner's own team."""
    require_role(user, Role.PRACTITIONER, Role.MANAGER)
    if user.team_id is None:
        raise DomainRuleError(
            "access",
            "You are not in a team, so a case you open would belong to nobody",
            "Ask an administrator to put you in a team",
        )
    if child_date_of_birth > app.clock.now().date():
        raise DomainRuleError("R2", "The child's date of birth is in the future", "Check the date of birth")
    if age_on(child_date_of_birth, app.clock.now().date()) >= ADULT_AGE:
        raise DomainRuleError(
            "R2",
            f"{child_name} would be {age_on(child_date_of_birth, app.clock.now().date())} on that date of birth: "
            "a case here is for a child under 18",
            "Check the date of birth",
        )
    if session.scalar(select(Case.id).where(Case.reference == reference)) is not None:
        raise ConflictError(
            f"A case with the reference {reference} already exists",
            "Give this case a reference of its own, or find that case in the case list",
        )
    case = Case(reference=reference, title=title, team_id=user.team_id, opened_at=app.clock.now(), opened_by_id=user.id)
    session.add(case)
    session.flush()
    session.add(
        Person(
            case_id=case.id,
            full_name=child_name,
            date_of_birth=child_date_of_birth,
            relationship_to_child="self",
            is_subject=True,
        )
    )
    record_event(
        session,
        app.clock,
        user,
        "case_opened",
        f"Case {reference} opened",
        case_id=case.id,
        detail={"reference": reference},
    )
    session.flush()
    return case


def subject_of(session: Session, case: Case) -> Person:
    child = session.scalar(select(Person).where(Person.case_id == case.id, Person.is_subject.is_(True)))
    if child is None:
        raise NotFoundError(f"Case {case.reference} has no child recorded", "Add the child to the case")
    return child


def add_person(
    app: App,
    session: Session,
    user: User,
    case_id: int,
    *,
    full_name: str,
    relationship_to_child: str,
    date_of_birth: date | None = None,
    has_parental_responsibility: bool = False,
) -> Person:
    case = require_case(session, user, case_id)
    if date_of_birth is not None and date_of_birth > app.clock.now().date():
        raise DomainRuleError(
            "R2", f"{full_name}'s date of birth is in the future", "Check the date of birth, or leave it empty"
        )
    person = Person(
        case_id=case.id, full_name=full_name, date_of_birth=date_of_birth, relationship_to_child=relationship_to_child
    )
    session.add(person)
    session.flush()
    if has_parental_responsibility:
        session.add(ParentalResponsibility(child_id=subject_of(session, case).id, holder_id=person.id))
    record_event(
        session,
        app.clock,
        user,
        "person_added",
        f"{full_name} ({relationship_to_child}) added to case {case.reference}",
        case_id=case.id,
        detail={"person_id": person.id, "parental_responsibility": has_parental_responsibility},
    )
    return person


def add_parental_responsibility(app: App, session: Session, user: User, case_id: int, person_id: int) -> Person:
    """Record that a person already on the case holds parental responsibility for its child (R2: they
    may then be asked for consent), audited. Recording it twice is refused, not duplicated."""
    case = require_case(session, user, case_id)
    person = session.get(Person, person_id)
    if person is None or person.case_id != case.id:
        raise NotFoundError(f"No person {person_id} on case {case.reference}", "Choose someone listed on the case")
    if person.is_subject:
        raise DomainRuleError(
            "R2", f"{person.full_name} is the child on this case", "Choose the adult who holds parental responsibility"
        )
    child = subject_of(session, case)
    if person.id in pr_holder_ids(session, child):
        raise ConflictError(
            f"{person.full_name} is already recorded as holding parental responsibility for {child.full_name}",
            "Nothing more to do",
        )
    session.add(ParentalResponsibility(child_id=child.id, holder_id=person.id))
    record_event(
        session,
        app.clock,
        user,
        "parental_responsibility_recorded",
        f"{person.full_name} recorded as holding parental responsibility for {child.full_name}",
        case_id=case.id,
        detail={"person_id": person.id, "child_id": child.id},
    )
    session.flush()
    return person


def open_episodes(session: Session, case_id: int) -> list[Episode]:
    """The case's episodes of work still open, oldest first (a significant change is recorded on one)."""
    query = select(Episode).where(Episode.case_id == case_id, Episode.closed_at.is_(None)).order_by(Episode.id)
    return list(session.scalars(query))


def pr_holder_ids(session: Session, child: Person) -> list[int]:
    return list(
        session.scalars(
            select(ParentalResponsibility.holder_id)
            .where(ParentalResponsibility.child_id == child.id)
            .order_by(ParentalResponsibility.holder_id)
        )
    )


def _consent_start_data(
    app: App, session: Session, user: User, case: Case, episode: Episode, fresh_consent_reason: str | None
) -> dict[str, object]:
    child = session.get(Person, episode.subject_person_id)
    assert child is not None
    if child.date_of_birth is None:
        raise DomainRuleError(
            "R2",
            f"{child.full_name}'s date of birth is not recorded, so who may consent cannot be decided",
            "Record the date of birth on the case first",
        )
    return {
        "case_id": case.id,
        "episode_id": episode.id,
        "child_person_id": child.id,
        "child_age": age_on(child.date_of_birth, app.clock.now().date()),
        "child_competent": None,
        "pr_holder_ids": pr_holder_ids(session, child),
        "practitioner_user_id": user.id,
        "fresh_consent_reason": fresh_consent_reason,
    }


def start_episode(app: App, session: Session, user: User, case_id: int, purpose: str) -> ProcessInstance:
    """Begin an episode of work and start seeking consent for it (R1, R9).

    Its purpose is what tells one episode's tasks from another's: it must be given (3 characters at
    least, as the API asks), whether the episode is started from a page, the API or the CLI."""
    require_role(user, Role.PRACTITIONER)
    case = require_case(session, user, case_id)
    purpose = purpose.strip()
    if len(purpose) < 3:
        raise FormValidationError(
            "Enter the purpose of the episode of work",
            {"purpose": "Enter the purpose of the episode of work, for example: support at school"},
            "Say what the work is for, in a few words",
        )
    child = subject_of(session, case)
    episode = Episode(
        case_id=case.id, subject_person_id=child.id, purpose=purpose, started_at=app.clock.now(), started_by_id=user.id
    )
    session.add(episode)
    session.flush()
    record_event(
        session,
        app.clock,
        user,
        "episode_started",
        f"Episode of work started: {purpose}",
        case_id=case.id,
        detail={"episode_id": episode.id},
    )
    return _seek_consent(app, session, user, case, episode, None)


def _seek_consent(
    app: App, session: Session, user: User, case: Case, episode: Episode, fresh_consent_reason: str | None
) -> ProcessInstance:
    """Start consent seeking for an episode (its first consent, or fresh consent after a change)."""
    data = _consent_start_data(app, session, user, case, episode, fresh_consent_reason)
    instance = app.engine.start(
        session, app.clock, "consent_seeking", data, actor=user, case_id=case.id, episode_id=episode.id
    )
    record_event(
        session,
        app.clock,
        user,
        "process_started",
        "Fresh consent seeking started" if fresh_consent_reason else "Consent seeking started",
        case_id=case.id,
        detail={"instance_id": instance.id, "process": "consent_seeking"},
    )
    return instance


def record_significant_change(
    app: App, session: Session, user: User, episode_id: int, reason: str, *, case_id: int | None = None
) -> ProcessInstance:
    """A significant change of circumstances: the active consent lapses and fresh consent is sought (R9).

    ``case_id``, when the caller names the case (a page or API address), must be the episode's own."""
    require_role(user, Role.PRACTITIONER)
    episode = session.get(Episode, episode_id)
    if episode is None or (case_id is not None and episode.case_id != case_id):
        raise NotFoundError(f"No episode {episode_id} on that case that you can see", "Choose an episode of the case")
    case = require_case(session, user, episode.case_id)
    if episode.closed_at is not None:
        raise DomainRuleError(
            "R9", "That episode of work has ended, so there is no consent to renew", "Start a new episode instead"
        )
    if len(reason.strip()) < 10:
        raise DomainRuleError(
            "R9",
            "Describe the significant change (at least 10 characters)",
            "Say what changed in the person's circumstances or the work",
        )
    active = session.scalar(
        select(ConsentRecord).where(ConsentRecord.episode_id == episode.id, ConsentRecord.status == "active")
    )
    if active is not None:
        active.status = "superseded"
        active.superseded_at = app.clock.now()
        active.superseded_reason = reason
    record_event(
        session,
        app.clock,
        user,
        "consent_superseded",
        f"Significant change recorded; fresh consent needed: {reason}",
        case_id=case.id,
        detail={"episode_id": episode.id, "superseded_consent_id": active.id if active else None},
    )
    return _seek_consent(app, session, user, case, episode, reason)
