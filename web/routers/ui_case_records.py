"""Pages: open a case, add a person to it, record who holds parental responsibility, and record a
significant change on an episode of work (its consent lapses and fresh consent is sought, R9).

Each page checks what a person types (a missing answer, a date that is not a date) and says which
question to answer, keeping the answers given; the rules themselves (no adult's case, no duplicate
reference, who may act) are the services' in ``safeshare.services.cases``, as for the API and the CLI.
"""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Depends, Request
from starlette.datastructures import FormData
from starlette.responses import RedirectResponse, Response

from safeshare.core.access import require_case
from safeshare.core.errors import DomainRuleError, SafeshareError
from safeshare.core.records import Person, Team
from safeshare.services import cases, queues
from web.auth import acting, safeshare_app
from web.params import PathId
from web.routers.ui_auth import posted_form
from web.templating import render

router = APIRouter(include_in_schema=False)

#: Relationships offered when adding a person (stored as these words, shown as they are).
RELATIONSHIPS = [
    ("mother", "Mother"),
    ("father", "Father"),
    ("step_parent", "Step-parent"),
    ("grandparent", "Grandparent"),
    ("foster_carer", "Foster carer"),
    ("other_relative", "Another relative"),
    ("other", "Someone else"),
]


def _text(form: FormData, name: str) -> str:
    return str(form.get(name, "")).strip()


def _said(exc: SafeshareError) -> str:
    """An error as a page shows it: what is wrong and what to do, without rule ids."""
    if isinstance(exc, DomainRuleError):
        return exc.for_people()
    return f"{exc.message}. {exc.hint}".strip() if exc.hint else exc.message


def read_date(form: FormData, prefix: str, question: str, *, required: bool) -> tuple[date | None, str | None]:
    """A GOV.UK date input (``prefix-day``, ``-month``, ``-year``) as a date, or the error to show."""
    parts = {p: _text(form, f"{prefix}-{p}") for p in ("day", "month", "year")}
    if not any(parts.values()):
        return None, (f"Enter {question}" if required else None)
    missing = [p for p, v in parts.items() if not v]
    if missing:
        return None, f"{question[0].upper()}{question[1:]} must include a {' and a '.join(missing)}"
    if not all(v.isdigit() for v in parts.values()) or len(parts["year"]) != 4:
        return None, f"{question[0].upper()}{question[1:]} must be a real date, for example 27 3 2015"
    try:
        return date(int(parts["year"]), int(parts["month"]), int(parts["day"])), None
    except ValueError:
        return None, f"{question[0].upper()}{question[1:]} must be a real date, for example 27 3 2015"


def _summary(errors: dict[str, str]) -> list[dict[str, str]]:
    return [{"text": text, "href": f"#{field}"} for field, text in errors.items()]


# -- open a case ------------------------------------------------------------------------------------


def _new_case_page(
    request: Request, values: dict[str, str], errors: dict[str, str], status_code: int = 200
) -> Response:
    with acting(request, write=False) as (session, user):
        team = session.get(Team, user.team_id) if user.team_id else None
        return render(
            request,
            "case_new.html",
            {"title": "Open a case", "section": "cases", "values": values, "errors": errors,
             "error_list": _summary(errors), "team": team},
            status_code=status_code,
        )  # fmt: skip


@router.get("/cases/new")
def new_case(request: Request) -> Response:
    return _new_case_page(request, {}, {})


@router.post("/cases/new")
def open_case(request: Request, form: FormData = Depends(posted_form)) -> Response:
    values = {k: _text(form, k) for k in ("reference", "title", "child_name", "dob-day", "dob-month", "dob-year")}
    errors: dict[str, str] = {}
    if not values["reference"]:
        errors["reference"] = "Enter the case reference"
    elif len(values["reference"]) > 40:
        errors["reference"] = "The case reference must be 40 characters or fewer"
    if not values["child_name"]:
        errors["child_name"] = "Enter the child's full name"
    born, problem = read_date(form, "dob", "the child's date of birth", required=True)
    if problem:
        errors["dob-day"] = problem
    if errors:
        return _new_case_page(request, values, errors, 422)
    assert born is not None
    app = safeshare_app(request)
    try:
        with acting(request) as (session, user):
            case = cases.open_case(
                app, session, user, reference=values["reference"],
                title=values["title"] or f"{values['child_name']}", child_name=values["child_name"],
                child_date_of_birth=born,
            )  # fmt: skip
            case_id = case.id
    except SafeshareError as exc:
        if exc.status_code in (401, 403, 404):
            raise
        field = "reference" if "reference" in exc.message else "dob-day"
        return _new_case_page(request, values, {field: _said(exc)}, exc.status_code)
    return RedirectResponse(f"/cases/{case_id}", status_code=303)


# -- add a person ------------------------------------------------------------------------------------


def _person_page(
    request: Request, case_id: int, values: dict[str, str], errors: dict[str, str], status_code: int = 200
) -> Response:
    with acting(request, write=False) as (session, user):
        case = require_case(session, user, case_id)
        child = cases.subject_of(session, case)
        return render(
            request,
            "person_new.html",
            {"title": "Add a person to the case", "section": "cases", "case": case, "child": child,
             "values": values, "errors": errors, "error_list": _summary(errors), "relationships": RELATIONSHIPS},
            status_code=status_code,
        )  # fmt: skip


@router.get("/cases/{case_id}/people/new")
def new_person(case_id: PathId, request: Request) -> Response:
    return _person_page(request, case_id, {}, {})


@router.post("/cases/{case_id}/people/new")
def add_person(case_id: PathId, request: Request, form: FormData = Depends(posted_form)) -> Response:
    keys = ("full_name", "relationship", "relationship_other", "pr", "dob-day", "dob-month", "dob-year")
    values = {k: _text(form, k) for k in keys}
    errors: dict[str, str] = {}
    if not values["full_name"]:
        errors["full_name"] = "Enter the person's full name"
    offered = dict(RELATIONSHIPS)
    if values["relationship"] not in offered:
        errors["relationship"] = "Select how the person is related to the child"
    elif values["relationship"] == "other" and not values["relationship_other"]:
        errors["relationship_other"] = "Say how the person is related to the child"
    born, problem = read_date(form, "dob", "the person's date of birth", required=False)
    if problem:
        errors["dob-day"] = problem
    if values["pr"] not in ("yes", "no"):
        errors["pr"] = "Select yes if the person has parental responsibility for the child"
    if errors:
        return _person_page(request, case_id, values, errors, 422)
    relationship = values["relationship_other"] if values["relationship"] == "other" else values["relationship"]
    app = safeshare_app(request)
    try:
        with acting(request) as (session, user):
            cases.add_person(
                app, session, user, case_id, full_name=values["full_name"], relationship_to_child=relationship[:60],
                date_of_birth=born, has_parental_responsibility=values["pr"] == "yes",
            )  # fmt: skip
    except SafeshareError as exc:
        if exc.status_code in (401, 403, 404):
            raise
        field = "dob-day" if "date of birth" in exc.message else "full_name"
        return _person_page(request, case_id, values, {field: _said(exc)}, exc.status_code)
    return RedirectResponse(f"/cases/{case_id}#people", status_code=303)


# -- parental responsibility for someone already on the case ------------------------------------------


def _pr_page(request: Request, case_id: int, errors: dict[str, str], status_code: int = 200) -> Response:
    with acting(request, write=False) as (session, user):
        case = require_case(session, user, case_id)
        child = cases.subject_of(session, case)
        holders = set(cases.pr_holder_ids(session, child))
        people = [p for p in session.query(Person).filter(Person.case_id == case.id).order_by(Person.id)
                  if not p.is_subject and p.id not in holders]  # fmt: skip
        return render(
            request,
            "parental_responsibility_new.html",
            {"title": "Record parental responsibility", "section": "cases", "case": case, "child": child,
             "people": people, "errors": errors, "error_list": _summary(errors)},
            status_code=status_code,
        )  # fmt: skip


@router.get("/cases/{case_id}/parental-responsibility/new")
def new_parental_responsibility(case_id: PathId, request: Request) -> Response:
    return _pr_page(request, case_id, {})


@router.post("/cases/{case_id}/parental-responsibility/new")
def record_parental_responsibility(
    case_id: PathId, request: Request, form: FormData = Depends(posted_form)
) -> Response:
    chosen = _text(form, "person_id")
    if not chosen.isdigit():
        return _pr_page(request, case_id, {"person_id": "Select the person who has parental responsibility"}, 422)
    app = safeshare_app(request)
    try:
        with acting(request) as (session, user):
            cases.add_parental_responsibility(app, session, user, case_id, int(chosen))
    except SafeshareError as exc:
        if exc.status_code in (401, 403):
            raise
        return _pr_page(request, case_id, {"person_id": _said(exc)}, exc.status_code)
    return RedirectResponse(f"/cases/{case_id}#people", status_code=303)


# -- a significant change ----------------------------------------------------------------------------


def _change_page(
    request: Request, case_id: int, values: dict[str, str], errors: dict[str, str], status_code: int = 200
) -> Response:
    with acting(request, write=False) as (session, user):
        case = require_case(session, user, case_id)
        episodes = cases.open_episodes(session, case.id)
        return render(
            request,
            "significant_change.html",
            {"title": "Record a significant change", "section": "cases", "case": case, "episodes": episodes,
             "values": values, "errors": errors, "error_list": _summary(errors)},
            status_code=status_code,
        )  # fmt: skip


@router.get("/cases/{case_id}/significant-change")
def new_significant_change(case_id: PathId, request: Request) -> Response:
    return _change_page(request, case_id, {}, {})


@router.post("/cases/{case_id}/significant-change")
def record_significant_change(case_id: PathId, request: Request, form: FormData = Depends(posted_form)) -> Response:
    values = {"episode_id": _text(form, "episode_id"), "reason": _text(form, "reason")}
    errors: dict[str, str] = {}
    if not values["episode_id"].isdigit():
        errors["episode_id"] = "Select the episode of work that the change affects"
    if not values["reason"]:
        errors["reason"] = "Enter what has changed"
    elif len(values["reason"]) < 10:
        errors["reason"] = "Describe what has changed in at least 10 characters"
    elif len(values["reason"]) > 2000:
        errors["reason"] = "Describe what has changed in 2000 characters or fewer"
    if errors:
        return _change_page(request, case_id, values, errors, 422)
    app = safeshare_app(request)
    try:
        with acting(request) as (session, user):
            instance = cases.record_significant_change(
                app, session, user, int(values["episode_id"]), values["reason"], case_id=case_id
            )
            task = queues.next_task_in(session, user, instance.id, app.clock.now())
            target = f"/tasks/{task.task_id}" if task else f"/cases/{case_id}"
    except SafeshareError as exc:
        if exc.status_code in (401, 403):
            raise
        field = "episode_id" if exc.status_code == 404 or "episode" in exc.message else "reason"
        return _change_page(request, case_id, values, {field: _said(exc)}, exc.status_code)
    return RedirectResponse(target, status_code=303)
