"""Consent after it is recorded: which consent is in force for the episode of work in progress (R9),
and withdrawing it at any time (R44).

The page, the API and the CLI call :func:`withdraw_consent`; the disclosure checks in
``safeshare/services/sharing.py`` call :func:`current_episode` and the rule units in
``rules/consent.py``, so a withdrawn consent, or one of an earlier episode, allows no later share.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from rules import enforce
from rules.consent import WITHDRAWAL_HOW, withdrawal_recorded
from safeshare.core.access import require_case, require_role
from safeshare.core.audit import record_event
from safeshare.core.clock import Clock
from safeshare.core.errors import NotFoundError
from safeshare.core.records import CompletedTask, ConsentRecord, Disclosure, Episode, ProcessInstance, Role, User


def current_episode(session: Session, case_id: int) -> Episode | None:
    """The episode of work in progress on a case: the latest begun and not closed (R9)."""
    return session.scalar(
        select(Episode)
        .where(Episode.case_id == case_id, Episode.closed_at.is_(None))
        .order_by(Episode.started_at.desc(), Episode.id.desc())
        .limit(1)
    )


def close_earlier_episodes(session: Session, clock: Clock, episode: Episode) -> list[int]:
    """A new episode's consent is recorded: the case's earlier open episodes end, and their consent with them."""
    earlier = session.scalars(
        select(Episode).where(
            Episode.case_id == episode.case_id, Episode.id != episode.id, Episode.closed_at.is_(None),
            Episode.started_at <= episode.started_at,
        )
    ).all()
    for old in earlier:
        old.closed_at = clock.now()
    return [old.id for old in earlier]


def shares_made_on(session: Session, consent_id: int) -> list[Disclosure]:
    """The disclosures already made on a consent, oldest first."""
    return list(
        session.scalars(
            select(Disclosure).where(Disclosure.consent_record_id == consent_id).order_by(Disclosure.made_at)
        )
    )


@dataclass(frozen=True)
class Withdrawal:
    consent: ConsentRecord
    shares_made: list[Disclosure]


def consent_on_case(session: Session, user: User, case_id: int, consent_id: int) -> ConsentRecord:
    require_case(session, user, case_id)
    consent = session.get(ConsentRecord, consent_id)
    if consent is None or consent.case_id != case_id:
        raise NotFoundError(f"No consent record {consent_id} on this case", "Check the consent record number")
    return consent


def withdraw_consent(
    session: Session, clock: Clock, user: User, case_id: int, consent_id: int, *, how: str, note: str = ""
) -> Withdrawal:
    """The person withdraws their consent (R44): from now no share may rest on it; the shares already made
    stay on the register and are listed with the withdrawal; the audit trail records it."""
    require_role(user, Role.PRACTITIONER, Role.MANAGER)
    consent = consent_on_case(session, user, case_id, consent_id)
    enforce(withdrawal_recorded(consent.status, consent.outcome, how))
    made = shares_made_on(session, consent.id)
    now = clock.now()
    consent.status = "withdrawn"
    consent.withdrawn_at = now
    consent.withdrawal = {
        "how": how,
        "note": note.strip() or None,
        "by_id": user.id,
        "by": user.display_name,
        "shares_already_made": [d.id for d in made],
    }
    session.flush()
    already = (
        "no information had been shared on it"
        if not made
        else f"{len(made)} share(s) already made stay on the record: "
        + "; ".join(f"to {d.recipient_agency} on {d.made_at:%d %B %Y}" for d in made)
    )
    record_event(
        session,
        clock,
        user,
        "consent_withdrawn",
        f"Consent withdrawn ({WITHDRAWAL_HOW[how].lower()}), record {consent.id}: nothing more may be shared on it; "
        + already,
        case_id=case_id,
        detail={"consent_id": consent.id, "how": how, "shares_already_made": [d.id for d in made]},
    )
    return Withdrawal(consent, made)


@dataclass(frozen=True)
class CompetenceStep:
    """One step of a judgement of a child's understanding and its advice (R3, R4), in words."""

    at: datetime
    who: str
    what: str
    why: str


_COMPETENCE_STEPS = ("judge_competence", "advise_on_competence", "reconsider_competence")


def _competence_words(step: str, data: dict[str, object]) -> tuple[str, str]:
    if step == "judge_competence":
        if data.get("child_competent"):
            return "Judged that the child understands enough to decide for themselves", str(
                data.get("competence_reasons") or ""
            )
        return "Judged that the child does not yet understand enough to decide for themselves", str(
            data.get("competence_reasons") or ""
        )
    if step == "advise_on_competence":
        agrees = data.get("manager_agrees_competence")
        agreed = "Agreed with the judgement" if agrees else "Did not agree with the judgement"
        return agreed, str(data.get("competence_advice") or "")
    if data.get("competence_response") == "stand_by":
        return "Stood by their judgement after the advice", str(data.get("competence_stand_by_reasons") or "")
    return "Chose to judge the child's understanding again after the advice", ""


def competence_history(session: Session, user: User, case_id: int) -> list[CompetenceStep]:
    """Every judgement of the child's understanding on the case, the advice on it (a manager's or the
    designated safeguarding lead's), and the practitioner's answer to advice they did not agree with,
    oldest first: the judgement is the practitioner's, and a disagreement stays on the record (R4)."""
    require_case(session, user, case_id)
    rows = session.execute(
        select(CompletedTask, User.display_name)
        .join(ProcessInstance, ProcessInstance.id == CompletedTask.instance_id)
        .join(User, User.id == CompletedTask.completed_by_id)
        .where(ProcessInstance.case_id == case_id, CompletedTask.task_spec.in_(_COMPETENCE_STEPS))
        .order_by(CompletedTask.completed_at, CompletedTask.id)
    )
    steps = []
    for task, name in rows:
        what, why = _competence_words(task.task_spec, dict(task.data or {}))
        steps.append(CompetenceStep(task.completed_at, name, what, why))
    return steps
