"""Rules of the police disclosure schemes that a form and its step both check (R35).

The rest of the schemes' rules read the application as the earlier stages left it, so they live in the
step that records the decision (``tasks/automated/schemes.py``); a rule that needs only the form's own
answers lives here, where the page shows its breach beside the question and the step refuses it again.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from rules import Breach, rule

#: The forums whose decision is credited to a meeting (R35); police alone on immediate risk has none.
FORUMS_THAT_MEET = ("dvds_panel", "marac")


#: How a day may have been typed on the form that asked for it as text, before it was asked as day, month and
#: year: an application still running on that form is read, not refused ("11 December 2026", "11 12 2026").
TYPED_DAY_FORMATS = ("%d %B %Y", "%d %b %Y", "%d %m %Y", "%d/%m/%Y")


def meeting_day(value: Any) -> date | None:
    """The day a forum met, as the form gives it ("2026-12-11"), or as typed on the form that asked for it as
    text; None when it is not a day."""
    text = " ".join(str(value or "").split())
    try:
        return date.fromisoformat(text)
    except ValueError:
        pass
    for typed in TYPED_DAY_FORMATS:
        try:
            return datetime.strptime(text, typed).date()
        except ValueError:
            continue
    return None


@rule("R35")
def forum_met_on(forum: str | None, meeting_date: Any, today: date) -> list[Breach]:
    """A decision credited to the DVDS panel or MARAC names the real day the forum met, and that day has come:
    the decision is recorded after the meeting, never before it."""
    if forum not in FORUMS_THAT_MEET:
        return []
    day = meeting_day(meeting_date)
    if day is None:
        return [Breach("R35", "Enter the day the forum met, for example 11 12 2026", field="meeting_date")]
    if day > today:
        return [
            Breach(
                "R35",
                "The day the forum met must be today or in the past",
                "Record the decision after the meeting",
                field="meeting_date",
            )
        ]
    return []
