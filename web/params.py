"""Parameter types shared by the routers: record ids are positive and fit a database integer, so an
absurd id is a 422 with its field named, never a database overflow."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import Path
from pydantic import BeforeValidator, Field

MAX_ID = 2_147_483_647

#: An id in the URL path (``/cases/{case_id}``).
PathId = Annotated[int, Path(ge=1, le=MAX_ID)]
#: An optional id in a JSON body.
BodyId = Annotated[int | None, Field(default=None, ge=1, le=MAX_ID)]


def _date_as_text(value: object) -> object:
    """JSON has no date type: a date is written as text. Pydantic would otherwise read 0 as 1 January 1970."""
    if value is None or isinstance(value, str):
        return value
    raise ValueError("Write the date as text, YYYY-MM-DD")


#: Text in a JSON body: a database cannot store a NUL character, so the OpenAPI document says so and a
#: request with one is refused by the request checks (422 with the field named), never half-stored.
BodyText = Annotated[str, Field(pattern=r"^[^\x00]*$")]

#: A date in a JSON body, written YYYY-MM-DD.
BodyDate = Annotated[date, BeforeValidator(_date_as_text)]
