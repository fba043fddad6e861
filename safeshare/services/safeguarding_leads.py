"""A team's designated safeguarding lead (R4): the "other relevant person in the organisation or agency" a
practitioner may seek advice from on a child's understanding, besides their line manager.

Least privilege: the lead is a member of the team (who already sees its cases) and gains one thing only,
the advice on a competence judgement (``advise_on_competence``) for that team's cases; no other manager
task, no reassigning, no consultation on sharing (the procedure names "other relevant person" only for the
competence judgement). A manager of the team or an administrator names them, never the person themselves
(separation of duties); every naming and its end is on the audit trail.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from safeshare.core.access import TEAM_ROLES
from safeshare.core.audit import record_event
from safeshare.core.errors import NotFoundError, PermissionDeniedError
from safeshare.core.records import Role, SafeguardingLead, Team, User

if TYPE_CHECKING:
    from safeshare.core.runtime import App

@dataclass(frozen=True)
class LeadView:
    team_id: int
    user_id: int
    name: str
    named_by: str
    named_at: datetime


def _may_name(actor: User, team: Team) -> None:
    if actor.has_role(Role.ADMINISTRATOR):
        return
    if actor.has_role(Role.MANAGER) and actor.team_id == team.id and actor.is_active:
        return
    raise PermissionDeniedError(
        f"Only a manager of {team.name} or an administrator can name its designated safeguarding lead",
        "Ask a manager of the team",
    )


def _team(session: Session, team_id: int) -> Team:
    team = session.get(Team, team_id)
    if team is None:
        raise NotFoundError(f"No team {team_id}", "Choose a team from the list")
    return team


def _current(session: Session, team_id: int) -> SafeguardingLead | None:
    return session.scalar(
        select(SafeguardingLead)
        .where(SafeguardingLead.team_id == team_id, SafeguardingLead.ended_at.is_(None))
        .with_for_update()
    )


def name_lead(app: App, session: Session, actor: User, team_id: int, user_id: int) -> SafeguardingLead:
    """Name ``user_id`` the team's designated safeguarding lead (ending any earlier naming)."""
    team = _team(session, team_id)
    _may_name(actor, team)
    if user_id == actor.id:
        raise PermissionDeniedError(
            "You cannot name yourself the designated safeguarding lead",
            "Ask another manager of the team, or an administrator, to name you",
        )
    lead = session.get(User, user_id)
    if lead is None or not lead.is_active or lead.team_id != team.id or not (lead.roles & TEAM_ROLES):
        raise PermissionDeniedError(
            f"The designated safeguarding lead must be a member of {team.name} who may sign in",
            "Choose someone from the team",
        )
    now = app.clock.now()
    earlier = _current(session, team.id)
    if earlier is not None:
        if earlier.user_id == lead.id:
            return earlier
        earlier.ended_at, earlier.ended_by_id = now, actor.id
    row = SafeguardingLead(team_id=team.id, user_id=lead.id, named_by_id=actor.id, named_at=now)
    session.add(row)
    session.flush()
    record_event(
        session,
        app.clock,
        actor,
        "safeguarding_lead_named",
        f"{lead.display_name} named designated safeguarding lead of {team.name} by {actor.display_name}",
        detail={"team_id": team.id, "user_id": lead.id, "ended_lead_id": earlier.user_id if earlier else None},
    )
    return row


def end_lead(app: App, session: Session, actor: User, team_id: int) -> None:
    """End the team's naming of a designated safeguarding lead; their open advice tasks go back to the managers."""
    team = _team(session, team_id)
    _may_name(actor, team)
    row = _current(session, team.id)
    if row is None:
        raise NotFoundError(f"{team.name} has no designated safeguarding lead", "Nothing to end")
    row.ended_at, row.ended_by_id = app.clock.now(), actor.id
    lead = session.get(User, row.user_id)
    record_event(
        session,
        app.clock,
        actor,
        "safeguarding_lead_ended",
        f"{lead.display_name if lead else 'Someone'} is no longer designated safeguarding lead of {team.name}",
        detail={"team_id": team.id, "user_id": row.user_id},
    )


def leads(session: Session) -> dict[int, LeadView]:
    """Each team's designated safeguarding lead now, by team id."""
    rows = session.scalars(select(SafeguardingLead).where(SafeguardingLead.ended_at.is_(None)))
    found: dict[int, LeadView] = {}
    for row in rows:
        lead, by = session.get(User, row.user_id), session.get(User, row.named_by_id)
        found[row.team_id] = LeadView(
            row.team_id, row.user_id, lead.display_name if lead else "", by.display_name if by else "", row.named_at
        )
    return found


@dataclass(frozen=True)
class LeadPage:
    team: Team
    lead: LeadView | None
    candidates: list[User]


def lead_page(session: Session, actor: User, team_id: int) -> LeadPage:
    """What the team's lead page shows the manager or administrator who may name one: the lead now, and
    the team's members who could be named (never the viewer themselves)."""
    team = _team(session, team_id)
    _may_name(actor, team)
    members = session.scalars(
        select(User).where(User.team_id == team.id, User.is_active.is_(True), User.id != actor.id).order_by(
            User.display_name
        )
    )
    return LeadPage(team, leads(session).get(team.id), [u for u in members if u.roles & TEAM_ROLES])
