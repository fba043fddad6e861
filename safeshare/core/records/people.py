"""Who is involved: teams, users and their roles, cases, people, episodes of work."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Date, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from safeshare.core.records.base import Base


class Role(StrEnum):
    """The roles of the procedure. A BPMN lane name maps to one of these."""

    PRACTITIONER = "practitioner"
    MANAGER = "manager"
    SENIOR_MANAGER = "senior_manager"
    POLICE_STAFF = "police_staff"
    POLICE_SUPERVISOR = "police_supervisor"  # receives a scheme's escalations at its time limits (R32, R33)
    ADMINISTRATOR = "administrator"
    DATA_PROTECTION_OFFICER = "data_protection_officer"


class Team(Base):
    __tablename__ = "team"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    agency: Mapped[str] = mapped_column(String(120))


class User(Base):
    __tablename__ = "app_user"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    display_name: Mapped[str] = mapped_column(String(120))
    email: Mapped[str] = mapped_column(String(200))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("team.id"))
    password_hash: Mapped[str | None] = mapped_column(String(200))
    is_active: Mapped[bool] = mapped_column(default=True)
    # Raised to end every session of the user at once (sign-out, password change, deactivation, revoke).
    session_version: Mapped[int] = mapped_column(default=0, server_default="0")
    team: Mapped[Team | None] = relationship()
    role_rows: Mapped[list[UserRole]] = relationship(cascade="all, delete-orphan", lazy="selectin")

    @property
    def roles(self) -> set[Role]:
        return {Role(r.role) for r in self.role_rows}

    def has_role(self, role: Role) -> bool:
        return role in self.roles


class SafeguardingLead(Base):
    """A named member of a team acting as its designated safeguarding lead (R4's "other relevant person"):
    they may advise on a practitioner's judgement of a child's understanding for that team's cases, and
    nothing else a manager may do. Named by a manager of the team or an administrator, never by themselves;
    ``ended_at`` is set when the naming ends (rows are kept: who advised, and under whose naming, stays known).
    """

    __tablename__ = "safeguarding_lead"
    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("team.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    named_by_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    named_at: Mapped[datetime]
    ended_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    ended_at: Mapped[datetime | None]


class UserRole(Base):
    __tablename__ = "user_role"
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"), primary_key=True)
    role: Mapped[str] = mapped_column(String(40), primary_key=True)


class Case(Base):
    """A child's case record, owned by a team (need-to-know starts here)."""

    __tablename__ = "case_record"
    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(40), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    team_id: Mapped[int] = mapped_column(ForeignKey("team.id"), index=True)
    opened_at: Mapped[datetime]
    opened_by_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    team: Mapped[Team] = relationship()
    people: Mapped[list[Person]] = relationship(back_populates="case", order_by="Person.id")


class Person(Base):
    """A person on a case: the child, a parent, a carer, another family member."""

    __tablename__ = "person"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_record.id"), index=True)
    full_name: Mapped[str] = mapped_column(String(200))
    date_of_birth: Mapped[date | None] = mapped_column(Date)
    relationship_to_child: Mapped[str] = mapped_column(String(60))
    is_subject: Mapped[bool] = mapped_column(default=False)
    case: Mapped[Case] = relationship(back_populates="people")


class ParentalResponsibility(Base):
    """``holder`` has parental responsibility for ``child`` (R2)."""

    __tablename__ = "parental_responsibility"
    __table_args__ = (UniqueConstraint("child_id", "holder_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    child_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    holder_id: Mapped[int] = mapped_column(ForeignKey("person.id"))


class Episode(Base):
    """An episode of work with a family: consent is sought at its start (R9)."""

    __tablename__ = "episode"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_record.id"), index=True)
    subject_person_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    purpose: Mapped[str] = mapped_column(String(500))
    started_at: Mapped[datetime]
    started_by_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    closed_at: Mapped[datetime | None]
