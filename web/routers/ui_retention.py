"""The data protection officer's retention page: records past their keeping period, decisions, holds."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from sqlalchemy import select
from starlette.datastructures import FormData
from starlette.responses import RedirectResponse, Response

from safeshare.core.access import require_role
from safeshare.core.errors import SafeshareError
from safeshare.core.records import RetentionReview, Role
from safeshare.services import retention
from safeshare.services.retention_schedule import CASE_RECORDS, POLICE_SCHEME_RECORDS, load_schedule
from web.auth import acting, safeshare_app
from web.params import PathId
from web.routers.ui_auth import posted_form
from web.templating import render

router = APIRouter(include_in_schema=False)
KIND_WORDS = {
    "case_records": "Case record",
    "consent": "Consent record",
    "disclosures": "Disclosure record",
    "police_scheme_records": "Police disclosure scheme record",
    "audit": "Audit events",
    "notifications": "Emails and messages",
    "sign_in_attempts": "Sign-in attempts",
    "subject_access_requests": "Subject access request",
}
HOLD_KINDS = {CASE_RECORDS: "A case (its number)", POLICE_SCHEME_RECORDS: "A police disclosure scheme application"}


def _page(request: Request, *, error: str = "", form: dict[str, str] | None = None, status_code: int = 200) -> Response:
    with acting(request, write=False) as (session, user):
        require_role(user, Role.DATA_PROTECTION_OFFICER, Role.ADMINISTRATOR)
        review = retention.open_review(session)
        decided = list(
            session.scalars(
                select(RetentionReview)
                .where(RetentionReview.status == "decided")
                .order_by(RetentionReview.id.desc())
                .limit(10)
            )
        )
        context: dict[str, Any] = {
            "title": "Records past their keeping period",
            "section": "retention",
            "may_decide": user.has_role(Role.DATA_PROTECTION_OFFICER),
            "review": review,
            "pending": [i for i in review.items if i.outcome == "pending"] if review else [],
            "decided": [(r, retention.counts_by_outcome(session, r.id)) for r in decided],
            "holds": retention.holds_in_place(session),
            "schedule": list(load_schedule(safeshare_app(request).settings.retention_file).values()),
            "kind_words": KIND_WORDS,
            "hold_kinds": HOLD_KINDS,
            "error": error,
            "form": form or {},
        }
        return render(request, "retention.html", context, status_code=status_code)


@router.get("/retention")
def retention_page(request: Request) -> Response:
    return _page(request)


@router.post("/retention/reviews/{review_id}")
def decide(review_id: PathId, request: Request, form: FormData = Depends(posted_form)) -> Response:
    """The officer's sign-off: one answer per record, approved removals applied in the same transaction."""
    app = safeshare_app(request)
    values = {k: str(v) for k, v in form.items()}
    decisions: dict[int, retention.Decision] = {}
    for key, value in values.items():
        if key.startswith("decision_") and key[9:].isdigit() and value in ("remove", "keep"):
            item_id = int(key[9:])
            decisions[item_id] = retention.Decision(value == "remove", values.get(f"reason_{item_id}", ""))
    try:
        with acting(request) as (session, user):
            retention.decide_review(app, session, user, review_id, decisions)
    except SafeshareError as exc:
        if exc.status_code in (401, 403, 404):
            raise
        return _page(request, error=str(exc), form=values, status_code=exc.status_code)
    return RedirectResponse("/retention?signed_off=1", status_code=303)


@router.post("/retention/holds")
def place_hold(request: Request, form: FormData = Depends(posted_form)) -> Response:
    app = safeshare_app(request)
    values = {k: str(v) for k, v in form.items()}
    try:
        with acting(request) as (session, user):
            retention.place_hold(
                app, session, user, values.get("kind", ""), values.get("record", "").strip(), values.get("reason", "")
            )
    except SafeshareError as exc:
        if exc.status_code in (401, 403):
            raise
        return _page(request, error=str(exc), form=values, status_code=400)
    return RedirectResponse("/retention", status_code=303)


@router.post("/retention/holds/{hold_id}/lift")
def lift_hold(hold_id: PathId, request: Request, form: FormData = Depends(posted_form)) -> Response:
    app = safeshare_app(request)
    try:
        with acting(request) as (session, user):
            retention.lift_hold(app, session, user, hold_id, str(form.get("lift_reason", "")))
    except SafeshareError as exc:
        if exc.status_code in (401, 403):
            raise
        return _page(request, error=str(exc), status_code=400)
    return RedirectResponse("/retention", status_code=303)
