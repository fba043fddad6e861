"""Make SpiffWorkflow's timers read the injected clock.

SpiffWorkflow decides whether a timer has fired by calling ``datetime.now()``
inside its timer module. We replace that module's ``datetime`` name with a
subclass whose ``now()`` reads :func:`safeshare.core.clock.current_clock`, so a
test or the demo can move time without sleeping and a restored instance fires
exactly the timers that are due by *our* clock. Installed once, at import.
"""

from __future__ import annotations

from datetime import datetime, tzinfo

from SpiffWorkflow.bpmn.specs.event_definitions import timer as spiff_timer

from safeshare.core.clock import current_clock


class ClockedDatetime(datetime):
    """``datetime`` whose ``now()`` is the current injected clock."""

    @classmethod
    def now(cls, tz: tzinfo | None = None) -> ClockedDatetime:  # type: ignore[override]
        moment = current_clock().now()
        moment = moment.astimezone(tz) if tz is not None else moment.astimezone().replace(tzinfo=None)
        return cls.fromtimestamp(moment.timestamp(), tz) if tz is not None else cls.fromisoformat(moment.isoformat())


def install() -> None:
    """Idempotently point SpiffWorkflow's timer module at the injected clock."""
    if spiff_timer.datetime is not ClockedDatetime:
        spiff_timer.datetime = ClockedDatetime  # type: ignore[misc]


install()
