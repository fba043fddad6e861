"""Training mode (issue 16): a database created as a training copy, whose clock a trainer can move forward.

Deadlines are hours or working days long, so showing a reminder or an escalation on live time means
waiting. A training database carries one :class:`~safeshare.core.records.TrainingSetting` row: it marks the
database as a training copy and holds how far the clock has been moved. Every process that opens the
database (web server, scheduler, command line) builds its application through ``App.create``, which wraps
its clock in a :class:`TrainingClock` when the row is there, so they all see the same moved time and the
timer sweep fires what falls due by it.

A database that was not created for training has no row, and the clock cannot be moved on it: a live
database can never be put into training mode, because ``create_training_database`` refuses a database
that already holds anyone or anything.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import event, func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from safeshare.core.access import require_role
from safeshare.core.audit import record_event
from safeshare.core.clock import Clock
from safeshare.core.db import Database
from safeshare.core.errors import ConflictError, FormValidationError, PermissionDeniedError
from safeshare.core.records import Case, Person, ProcessInstance, Role, Team, TrainingSetting, User
from safeshare.core.runtime import App

#: How often a process re-reads the moved offset another process may have saved (its own moves apply at once).
REFRESH_SECONDS = 2.0
#: The most the clock moves in one go: enough for a 45-day police scheme, not a typo's worth of years.
MAX_MOVE = timedelta(days=60)
UNIT_MINUTES = {"minutes": 1, "hours": 60, "days": 24 * 60}


class TrainingClock:
    """The clock of a training database: its base clock plus the offset saved in the database."""

    def __init__(self, base: Clock, db: Database, offset: timedelta | None = None) -> None:
        self.base = base
        self.db = db
        self._offset = offset if offset is not None else read_offset(db)
        self._read_at = time.monotonic()

    def offset(self) -> timedelta:
        if time.monotonic() - self._read_at > REFRESH_SECONDS:
            self._offset = read_offset(self.db, self._offset)
            self._read_at = time.monotonic()
        return self._offset

    def now(self) -> datetime:
        return self.base.now() + self.offset()

    def expire(self) -> None:
        """Read the offset again at the next ``now()`` (after this process moved it)."""
        self._read_at = float("-inf")

    def __reduce__(self) -> tuple[object, tuple[Clock]]:
        # A sweep worker process gets the base clock; its own App.create wraps it again from the database.
        return (_unwrapped, (self.base,))


def _unwrapped(base: Clock) -> Clock:
    return base


def read_offset(db: Database, fallback: timedelta = timedelta(0)) -> timedelta:
    try:
        with db.read() as session:
            seconds = session.scalar(select(TrainingSetting.offset_seconds))
    except SQLAlchemyError:  # a database too old to have the table, or briefly unreachable
        return fallback
    return timedelta(seconds=seconds or 0)


def clock_for(db: Database, base: Clock) -> Clock:
    """``base``, moved by the saved offset when ``db`` is a training database (``App.create`` calls this)."""
    if isinstance(base, TrainingClock):
        return base
    try:
        with db.read() as session:
            setting = session.scalar(select(TrainingSetting))
    except SQLAlchemyError:
        return base
    if setting is None:
        return base
    return TrainingClock(base, db, timedelta(seconds=setting.offset_seconds))


@dataclass(frozen=True)
class TrainingStatus:
    created_at: datetime
    offset: timedelta
    moved_at: datetime | None
    moved_by: str | None
    now: datetime

    def ahead(self) -> str:
        """The offset in words: "2 days, 3 hours and 5 minutes", or "not moved"."""
        return describe(self.offset) if self.offset else "not moved"


def describe(span: timedelta) -> str:
    minutes = int(span.total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    parts = [
        f"{n} {word}{'' if n == 1 else 's'}" for n, word in ((days, "day"), (hours, "hour"), (mins, "minute")) if n
    ]
    if not parts:
        return "less than a minute"
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def training_status(session: Session, clock: Clock) -> TrainingStatus | None:
    """The training database's state, or None when this database is not a training copy."""
    setting = session.scalar(select(TrainingSetting))
    if setting is None:
        return None
    mover = session.get(User, setting.moved_by_id) if setting.moved_by_id else None
    return TrainingStatus(
        setting.created_at,
        timedelta(seconds=setting.offset_seconds),
        setting.moved_at,
        mover.display_name if mover else None,
        clock.now(),
    )


NOT_TRAINING = PermissionDeniedError(
    "This database was not created for training, so its clock cannot be moved",
    "Practise on a training copy: create one with 'safeshare training create --database-url URL'",
)


def create_training_database(session: Session, clock: Clock) -> TrainingSetting:
    """Mark a new, empty database as a training copy (the command line's act, audited).

    Refused on a database that holds any user, team, person, case or process: a live database must never
    become one whose clock can be moved."""
    if session.scalar(select(TrainingSetting)) is not None:
        raise ConflictError("This database is already a training copy", "Use it as it is, or create another")
    held = {
        "users": session.scalar(select(func.count()).select_from(User)) or 0,
        "teams": session.scalar(select(func.count()).select_from(Team)) or 0,
        "people": session.scalar(select(func.count()).select_from(Person)) or 0,
        "cases": session.scalar(select(func.count()).select_from(Case)) or 0,
        "processes": session.scalar(select(func.count()).select_from(ProcessInstance)) or 0,
    }
    if any(held.values()):
        what = ", ".join(f"{n} {k}" for k, n in held.items() if n)
        raise ConflictError(
            f"This database already holds records ({what}), so it cannot become a training copy",
            "Give the address of a new, empty database with --database-url",
        )
    setting = TrainingSetting(id=1, created_at=clock.now(), offset_seconds=0)
    session.add(setting)
    session.flush()
    record_event(session, clock, None, "training_database_created", "This database was created as a training copy")
    return setting


def move_amount(amount: str, unit: str) -> timedelta:
    """The move a form or command asked for, checked: a whole number of minutes, hours or days, forward."""
    errors: dict[str, str] = {}
    text = amount.strip()
    if unit not in UNIT_MINUTES:
        errors["unit"] = "Choose minutes, hours or days"
    if not text:
        errors["amount"] = "Enter how far to move the clock forward"
    elif not text.isdigit():
        errors["amount"] = "Enter how far to move the clock as a whole number, like 2"
    elif int(text) < 1:
        errors["amount"] = "Move the clock forward by at least 1"
    if errors:
        first = next(iter(errors.values()))
        raise FormValidationError(first, errors, "Say how many minutes, hours or days to move it forward")
    span = timedelta(minutes=int(text) * UNIT_MINUTES[unit])
    if span > MAX_MOVE:
        message = f"Move the clock forward by {describe(MAX_MOVE)} or less at a time"
        raise FormValidationError(message, {"amount": message}, "Move it again for more")
    return span


def move_clock(app: App, session: Session, actor: User, span: timedelta) -> TrainingStatus:
    """A trainer (an administrator) moves a training database's clock forward by ``span``; audited.

    Refused on a database not created for training. Timers that fall due by the moved time fire at
    the scheduler's next sweep; the move itself changes no task, deadline or message."""
    require_role(actor, Role.ADMINISTRATOR)
    setting = session.scalar(select(TrainingSetting).with_for_update())
    if setting is None:
        raise NOT_TRAINING
    if span <= timedelta(0) or span > MAX_MOVE:
        message = f"Move the clock forward by between 1 minute and {describe(MAX_MOVE)}"
        raise FormValidationError(message, {"amount": message})
    before = timedelta(seconds=setting.offset_seconds)
    setting.offset_seconds = int((before + span).total_seconds())
    setting.moved_at = app.clock.now()
    setting.moved_by_id = actor.id
    session.flush()
    record_event(
        session,
        app.clock,
        actor,
        "training_clock_moved",
        f"{actor.display_name} moved the training clock forward by {describe(span)}",
        detail={"moved_by_minutes": int(span.total_seconds() // 60), "ahead_minutes": setting.offset_seconds // 60},
    )
    clock = app.clock
    if isinstance(clock, TrainingClock):
        event.listen(session, "after_commit", lambda _s: clock.expire(), once=True)
    status = training_status(session, app.clock)
    assert status is not None
    return TrainingStatus(status.created_at, status.offset, status.moved_at, status.moved_by, status.now + span)
