"""Downloads for API clients: stored documents (hash-checked), register exports, and the report figures.

Thin: every rule (need-to-know, restrictions, filters, audit) lives in the services
(``safeshare.services.documents``, ``exports``, ``reports``). Query parameters other
than ``format`` are export filters, so an unknown one is refused (422) rather than
silently ignored. Refused access is audited by the application's error handler.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from safeshare.records import User
from safeshare.services import documents, exports, reports
from web.auth import acting, safeshare_app
from web.params import PathId

router = APIRouter(prefix="/api", tags=["records"])


def signed_in(request: Request) -> User:
    """The signed-in user, loaded for use outside a transaction (the services open their own)."""
    with acting(request, write=False) as (_session, user):
        return user


def attachment(content: bytes, media_type: str, filename: str) -> Response:
    return Response(
        content,
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"},
    )


@router.get("/documents/{document_id}")
def download_document(document_id: PathId, request: Request, format: str = "pdf") -> Response:  # noqa: A002
    """A document of a case you may see, as PDF (default) or HTML; refused if it no longer matches its hash."""
    user = signed_in(request)
    file = documents.fetch_document(safeshare_app(request), user, document_id, format, audit_refusal=False)
    return attachment(file.content, file.media_type, file.filename) if format == "pdf" else Response(
        file.content, media_type=file.media_type, headers={"Cache-Control": "no-store",
                                                            "X-Document-SHA256": file.sha256}
    )  # fmt: skip


@router.get("/exports/{kind}")
def export(kind: str, request: Request) -> Response:
    """The disclosure register (``disclosures``) or received-information log (``received``) as CSV or JSON.

    Query: ``format`` (csv | json) and the filters ``from``, ``to`` (YYYY-MM-DD), ``agency``,
    ``case`` (id or reference) and ``audience`` (staff, service_user, family, agency:NAME).
    """
    params = dict(request.query_params)
    fmt = params.pop("format", "csv")
    user = signed_in(request)
    result = exports.export(safeshare_app(request), user, kind, fmt, params, audit_refusal=False)
    response = attachment(result.content, result.media_type, result.filename)
    response.headers["X-Rows"] = str(result.rows)
    response.headers["X-Withheld"] = str(result.withheld)
    return response


@router.get("/reports")
def report(request: Request) -> dict[str, Any]:
    """Every report section you may read, for a period (``from``/``to``, YYYY-MM-DD)."""
    params = dict(request.query_params)
    unknown = sorted(set(params) - {"from", "to"})
    if unknown:
        raise reports.ReportError(f"Unknown report parameter {unknown[0]!r}", "Use from and to (YYYY-MM-DD)")
    result = reports.report_for(
        safeshare_app(request), signed_in(request), params.get("from"), params.get("to"), audit_refusal=False
    )
    return {
        "generated_at": result.generated_at.isoformat(),
        "period": result.period.label(),
        "sections": [
            {"key": t.key, "title": t.title, "columns": t.columns, "rows": t.rows, "note": t.note}
            for t in result.sections
        ],
    }


@router.get("/reports/{section}.csv")
def report_csv(section: str, request: Request) -> Response:
    """One report section as CSV."""
    params = dict(request.query_params)
    result = reports.report_for(
        safeshare_app(request), signed_in(request), params.get("from"), params.get("to"), audit_refusal=False
    )
    table = result.section(section)
    return attachment(table.to_csv(), "text/csv; charset=utf-8", f"{table.key}.csv")
