"""The one error of the analysis package: a model element the checker does not understand.

Why an error and not a finding: a checker that skips what it cannot read would report a
model as sound that it never looked at. Anything unknown stops the check, naming the
model and the element, so the gap is closed in the checker (or the model) on purpose.
"""

from __future__ import annotations


class NotUnderstood(Exception):
    """The checker cannot interpret ``element`` of ``model``: the check fails, it never passes silently."""

    def __init__(self, model: str, element: str, why: str) -> None:
        super().__init__(f"{model}: the soundness check does not understand {element}: {why}")
        self.model = model
        self.element = element
        self.why = why
