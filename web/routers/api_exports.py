"""Downloads for API clients: stored documents (hash-checked), register exports, and the report figures.

Thin: every rule (need-to-know, restrictions, filters, audit) lives in the services
(``safeshare.services.documents``, ``exports``, ``reports``), which open their own transactions.
The filters are declared as query parameters so the OpenAPI document lists them; any other query
parameter is refused (422) rather than silently ignored. Refused access is audited by the
application's error handler.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from pydantic import AfterValidator
from starlette.responses import Response

from safeshare.core.date_bounds import bounds_problem
from safeshare.services import documents, exports, reports
from safeshare.services.exports import ExportFilterError
from web import api_models as out
from web.dependencies import AppDep, SignedInUser
from web.params import PathId

router = APIRouter(prefix="/api", tags=["records"], responses=out.SIGNED_IN_ERRORS)

ExportKind = StrEnum("ExportKind", {kind: kind for kind in exports.KINDS})  # type: ignore[misc]
ReportSection = StrEnum("ReportSection", {key: key for key in reports.SECTIONS})  # type: ignore[misc]


def _is_a_date(value: str | None) -> str | None:
    """A day in the calendar (the pattern alone lets 2024-02-30 through); a number is not a date."""
    if value is not None:
        try:
            day = date.fromisoformat(value)
        except ValueError:
            raise ValueError(f"{value} is not a date in the calendar: write it as YYYY-MM-DD") from None
        problem = bounds_problem(day)
        if problem:
            raise ValueError(problem)
    return value


_DAY = {"pattern": r"^\d{4}-\d{2}-\d{2}$", "json_schema_extra": {"format": "date"}, "description": "YYYY-MM-DD"}
DateQuery = Annotated[str | None, Query(**_DAY), AfterValidator(_is_a_date)]  # type: ignore[arg-type]
FromQuery = Annotated[str | None, Query(alias="from", **_DAY), AfterValidator(_is_a_date)]  # type: ignore[arg-type]
EXPORT_FILTERS = {"format", "from", "to", "agency", "case", "audience"}


def refuse_unknown(request: Request, known: set[str], what: str = "parameter") -> None:
    """A query parameter the operation does not take is refused, never silently ignored."""
    unknown = sorted(set(request.query_params) - known)
    if unknown:
        raise ExportFilterError(f"Unknown {what} {unknown[0]!r}", f"Use only: {', '.join(sorted(known))}")


def attachment(content: bytes, media_type: str, filename: str) -> Response:
    return Response(
        content,
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"},
    )


@router.get(
    "/documents/{document_id}",
    response_class=Response,
    responses={200: {"description": "The document", "content": {"application/pdf": {}, "text/html": {}}}},
)
def download_document(
    document_id: PathId, request: Request, app: AppDep, user: SignedInUser, format: Literal["pdf", "html"] = "pdf"
) -> Response:
    """A document of a case you may see, as PDF (default) or HTML; refused if it no longer matches its hash."""
    refuse_unknown(request, {"format"})
    file = documents.fetch_document(app, user, document_id, format, audit_refusal=False)
    if format == "pdf":
        return attachment(file.content, file.media_type, file.filename)
    headers = {"Cache-Control": "no-store", "X-Document-SHA256": file.sha256}
    return Response(file.content, media_type=file.media_type, headers=headers)


@router.get(
    "/exports/{kind}",
    response_class=Response,
    responses={200: {"description": "The export", "content": {"text/csv": {}, "application/json": {}}}},
)
def export(
    kind: ExportKind,
    request: Request,
    app: AppDep,
    user: SignedInUser,
    format: Literal["csv", "json"] = "csv",
    from_: FromQuery = None,
    to: DateQuery = None,
    agency: Annotated[str | None, Query(max_length=200)] = None,
    case: Annotated[str | None, Query(max_length=40, description="A case reference you may see")] = None,
    audience: Annotated[
        str | None,
        Query(
            max_length=200,
            pattern=r"^(staff|service_user(:.+)?|family(:.+)?|agency:.+)$",
            description="Who the export is for: staff, service_user[:NAME], family[:NAME] or agency:NAME",
        ),
    ] = None,
) -> Response:
    """The disclosure register (``disclosures``) or received-information log (``received``) as CSV or JSON."""
    refuse_unknown(request, EXPORT_FILTERS, "export filter")
    filters = {"from": from_, "to": to, "agency": agency, "case": case, "audience": audience}
    result = exports.export(
        app, user, kind.value, format, {k: v for k, v in filters.items() if v is not None}, audit_refusal=False
    )
    response = attachment(result.content, result.media_type, result.filename)
    response.headers["X-Rows"] = str(result.rows)
    response.headers["X-Withheld"] = str(result.withheld)
    return response


@router.get("/reports", response_model=out.Report)
def report(
    request: Request,
    app: AppDep,
    user: SignedInUser,
    from_: FromQuery = None,
    to: DateQuery = None,
) -> dict[str, Any]:
    """Every report section you may read, for a period."""
    refuse_unknown(request, {"from", "to"}, "report parameter")
    result = reports.report_for(app, user, from_, to, audit_refusal=False)
    return {
        "generated_at": result.generated_at.isoformat(),
        "period": result.period.label(),
        "sections": [
            {"key": t.key, "title": t.title, "columns": t.columns, "rows": t.rows, "note": t.note}
            for t in result.sections
        ],
    }


@router.get(
    "/reports/{section}.csv",
    response_class=Response,
    responses={200: {"description": "The section as CSV", "content": {"text/csv": {}}}},
)
def report_csv(
    section: ReportSection,
    request: Request,
    app: AppDep,
    user: SignedInUser,
    from_: FromQuery = None,
    to: DateQuery = None,
) -> Response:
    """One report section as CSV."""
    refuse_unknown(request, {"from", "to"}, "report parameter")
    table = reports.report_for(app, user, from_, to, audit_refusal=False).section(section.value)
    return attachment(table.to_csv(), "text/csv; charset=utf-8", f"{table.key}.csv")
