"""Parameter types shared by the routers: record ids are positive and fit a database integer, so an
absurd id is a 422 with its field named, never a database overflow."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path
from pydantic import Field

MAX_ID = 2_147_483_647

#: An id in the URL path (``/cases/{case_id}``).
PathId = Annotated[int, Path(ge=1, le=MAX_ID)]
#: An optional id in a JSON body.
BodyId = Annotated[int | None, Field(default=None, ge=1, le=MAX_ID)]
