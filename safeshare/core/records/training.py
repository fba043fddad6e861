"""Training mode: the mark that a database is a training copy, and how far its clock has been moved."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey
from sqlalchemy.orm import Mapped, mapped_column

from safeshare.core.records.base import Base


class TrainingSetting(Base):
    """One row, only in a database created for training (``safeshare training create``).

    Its presence is what makes a database a training copy: every page says so, and only here may a
    trainer move the clock forward. ``offset_seconds`` is added to the real time by every process that
    opens the database (server, scheduler, CLI), so they all agree on the moved time.
    """

    __tablename__ = "training_setting"
    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime]
    offset_seconds: Mapped[int] = mapped_column(default=0)
    moved_at: Mapped[datetime | None]
    moved_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
