"""The one place the application learns the time.

Deadline logic must be testable without sleeping, so nothing calls
``datetime.now()`` directly: services receive a :class:`Clock`. The engine also
publishes the clock it is running under in a context variable, so that
SpiffWorkflow's timer checks (which read the system clock themselves) read ours.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    """Something that tells the current time as an aware UTC datetime."""

    def now(self) -> datetime: ...


class SystemClock:
    """The real wall clock, in UTC."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class FixedClock:
    """A clock that only moves when told to: for tests and for the demo's time travel."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("FixedClock needs an aware datetime (use tzinfo=UTC)")
        self._now = start.astimezone(UTC)

    def now(self) -> datetime:
        return self._now

    def advance(self, delta: timedelta) -> datetime:
        """Move time forward by ``delta`` and return the new time."""
        self._now = self._now + delta
        return self._now

    def set(self, when: datetime) -> None:
        self._now = when.astimezone(UTC)


_SYSTEM_CLOCK = SystemClock()
_current_clock: contextvars.ContextVar[Clock | None] = contextvars.ContextVar("safeshare_clock", default=None)


def current_clock() -> Clock:
    """The clock of the operation in progress (the system clock outside one)."""
    return _current_clock.get() or _SYSTEM_CLOCK


@contextmanager
def using_clock(clock: Clock) -> Iterator[Clock]:
    """Run a block with ``clock`` as the current clock."""
    token = _current_clock.set(clock)
    try:
        yield clock
    finally:
        _current_clock.reset(token)


def as_utc(value: datetime) -> datetime:
    """Treat a naive datetime as UTC (how SQLite hands them back) and convert aware ones."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)
