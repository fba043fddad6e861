"""Pages: start work on a case (an episode, a manager consultation, a decision to share without consent,
a disclosure record, information received); each takes the user straight to its first task."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.responses import RedirectResponse, Response

from safeshare.errors import DomainRuleError, SafeshareError
from safeshare.records import ProcessInstance
from safeshare.services import cases, queues, sharing
from web.auth import acting, safeshare_app
from web.params import PathId
from web.routers.ui_auth import posted_form
from web.routers.ui_cases import render_case

router = APIRouter(include_in_schema=False)
ACTIONS = {"episodes", "consultations", "shares-without-consent", "disclosures", "received-information"}


def _optional_int(form: FormData, name: str) -> int | None:
    raw = str(form.get(name, "")).strip()
    return int(raw) if raw.isdigit() else None


def _start(request: Request, case_id: int, form: FormData, action: str) -> Response:
    app = safeshare_app(request)
    try:
        with acting(request) as (session, user):
            instance: ProcessInstance
            if action == "episodes":
                instance = cases.start_episode(app, session, user, case_id, str(form.get("purpose", "")).strip())
            elif action == "consultations":
                instance = sharing.start_manager_consultation(
                    app, session, user, case_id, urgency=str(form.get("urgency", "")),
                    question=str(form.get("question", "")),
                )
            elif action == "shares-without-consent":
                instance = sharing.start_share_without_consent(
                    app, session, user, case_id, episode_id=_optional_int(form, "episode_id"),
                    not_sought_ground=str(form.get("not_sought_ground", "")).strip() or None,
                    not_sought_reason=str(form.get("not_sought_reason", "")).strip() or None,
                )
            elif action == "disclosures":
                instance = sharing.start_disclosure(
                    app, session, user, case_id, share_decision_id=_optional_int(form, "share_decision_id"),
                    episode_id=_optional_int(form, "episode_id"),
                )
            else:
                instance = sharing.start_information_received(app, session, user, case_id)
            task = queues.next_task_in(session, user, instance.id, app.clock.now())
            target = f"/tasks/{task.task_id}" if task else f"/cases/{case_id}"
    except SafeshareError as exc:
        if exc.status_code in (401, 403, 404):
            raise
        text = exc.for_people() if isinstance(exc, DomainRuleError) else (
            f"{exc.message}. {exc.hint}".strip() if exc.hint else exc.message
        )
        return render_case(request, case_id, error_list=[{"text": text, "href": f"#start-{action}"}], status_code=422)
    return RedirectResponse(target, status_code=303)


@router.post("/cases/{case_id}/start/{action}")
def start(case_id: PathId, action: str, request: Request, form: FormData = Depends(posted_form)) -> Response:
    if action not in ACTIONS:
        raise HTTPException(status_code=404)
    return _start(request, case_id, form, action)
