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


def meeting_day(value: Any) -> date | None:
    """The day a forum met, as the form gives it ("2026-12-11"), or as typed in words on a form that asked
    for it as text ("11 December 2026"); None when it is neither."""
    text = str(value or "").strip()
    try:
        return date.fromisoformat(text)
    except ValueError:
        pass
    try:
        return datetime.strptime(text, "%d %B %Y").date()
    except ValueError:
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
