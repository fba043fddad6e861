"""What a delivery channel is: something that sends one rendered notification or says why it could not."""

from __future__ import annotations

from typing import Protocol

from safeshare.core.records import Notification


class DeliveryError(Exception):
    """Sending failed. ``permanent`` means retrying cannot help (e.g. the server rejected the address)."""

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


class Channel(Protocol):
    """Sends one notification; raises :class:`DeliveryError` on failure. Called outside any transaction."""

    def send(self, note: Notification) -> None: ...
