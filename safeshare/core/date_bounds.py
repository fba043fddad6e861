"""The days a date parameter may name: a date outside them is a clear error, never a server failure.

``to=9999-12-31`` once reached ``last + 1 day`` and overflowed Python's calendar (a 500). Every date
a person or a client types to choose a period (exports, reports, their pages and the CLI) is checked
against these bounds first; they are far wider than any record this service keeps.
"""

from __future__ import annotations

from datetime import date

EARLIEST = date(1900, 1, 1)
LATEST = date(2199, 12, 31)


def bounds_problem(day: date, name: str = "") -> str | None:
    """What is wrong with ``day`` (given for ``name``), or None when it is within the bounds."""
    if EARLIEST <= day <= LATEST:
        return None
    which = f"{name} date" if name else "date"
    return f"The {which} must be between {EARLIEST:%-d %B %Y} and {LATEST:%-d %B %Y}, not {day.isoformat()}"
