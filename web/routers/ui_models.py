"""Administrator pages for model versions: deploy a changed model set, list versions, move running work."""

from __future__ import annotations

import tempfile
from pathlib import Path, PurePath
from typing import Any

from fastapi import APIRouter, Depends, Request
from starlette.datastructures import FormData, UploadFile
from starlette.responses import Response

from safeshare.core.records import User
from safeshare.services import model_versions
from safeshare.services.model_versions import ModelSetRejected
from web.auth import acting, safeshare_app
from web.routers.ui_auth import posted_form
from web.templating import render

router = APIRouter(include_in_schema=False)


def _admin(request: Request) -> User:
    with acting(request, write=False) as (_session, user):
        model_versions.require_administrator(user)
        return user


def _page(request: Request, page: str, status: int = 200, **context: Any) -> Response:
    with acting(request, write=False) as (session, user):
        model_versions.require_administrator(user)
        versions = model_versions.list_versions(session)
        latest = next((v.number for v in versions if v.latest), None)
        running = model_versions.running_instances(session, not_on=latest) if latest is not None else []
    base = {
        "title": "Model versions",
        "section": "admin",
        "page": page,
        "versions": versions,
        "latest": latest,
        "running": running,
        "problems": [],
        "error_list": [],
    }
    return render(request, "model_versions.html", base | context, status_code=status)


@router.get("/admin/models")
def models_page(request: Request) -> Response:
    return _page(request, "list")


@router.post("/admin/models")
async def deploy(request: Request, form: FormData = Depends(posted_form)) -> Response:
    actor = _admin(request)
    uploads = [f for f in form.getlist("files") if isinstance(f, UploadFile) and f.filename]
    if not uploads:
        return _page(request, "list", 422, error_list=[{"text": "Choose the model files to deploy", "href": "#files"}])
    with tempfile.TemporaryDirectory(prefix="safeshare-models-") as folder:
        root = Path(folder)
        (root / "forms").mkdir()
        for upload in uploads:
            name = PurePath(upload.filename or "").name  # never a path the sender chose
            target = root / name if name.endswith((".bpmn", ".dmn")) else root / "forms" / name
            target.write_bytes(await upload.read())
        try:
            version = model_versions.deploy(
                safeshare_app(request), actor, root, f"{len(uploads)} files uploaded in the browser"
            )
        except ModelSetRejected as refused:
            return _page(
                request,
                "list",
                422,
                problems=refused.problems,
                error_list=[{"text": f"{refused.message}: nothing was stored", "href": "#problems"}],
            )
    return _page(request, "list", deployed=version.number)


def _chosen(form: FormData) -> list[int]:
    return [int(v) for v in form.getlist("instance") if isinstance(v, str) and v.isdigit()]


@router.post("/admin/models/preview")
def preview(request: Request, form: FormData = Depends(posted_form)) -> Response:
    actor = _admin(request)
    chosen = _chosen(form)
    if not chosen:
        return _page(
            request,
            "list",
            422,
            error_list=[{"text": "Choose the running work to move to the new version", "href": "#instance"}],
        )
    previews = model_versions.preview(safeshare_app(request), actor, chosen)
    return _page(request, "preview", title="Check what moving the work changes", previews=previews)


@router.post("/admin/models/migrate")
def migrate(request: Request, form: FormData = Depends(posted_form)) -> Response:
    actor = _admin(request)
    chosen = _chosen(form)
    outcomes = model_versions.migrate(safeshare_app(request), actor, chosen) if chosen else []
    return _page(request, "moved", title="Work moved to the new version", outcomes=outcomes)
