"""A check of our own for ``st run`` (loaded with ``SCHEMATHESIS_HOOKS=tests.schemathesis_hooks``).

422 is the answer both to a request the API's own checks refuse (it does not fit the OpenAPI document)
and to one a rule of the procedure refuses; the first kind carries ``X-Refused-By: request-schema``.
Schemathesis is told 422 is an acceptable answer to valid data (schemathesis.toml), so this check makes
sure no valid request gets the first kind.
"""

from __future__ import annotations

from typing import Any

import schemathesis

from web.errors import REFUSAL_HEADER


@schemathesis.check
def valid_data_not_refused_by_request_checks(ctx: Any, response: Any, case: Any) -> bool | None:
    meta = case.meta
    if meta is not None and meta.generation.mode.is_positive and response.headers.get(REFUSAL_HEADER):
        raise AssertionError(f"A request that fits the OpenAPI document was refused by the API's request checks: "
                             f"{response.text[:300]}")
    return None
