"""Downloading a stored document (consent form, undertaking, letters, register extracts) as HTML or PDF.

A document is stored as the HTML it was rendered to, with the SHA-256 of that
HTML. Before anything is handed out the hash is checked again: an altered
document is withheld (and the failure audited), never served as if it were the
original. The PDF is rendered from the verified HTML, so both formats always
say the same thing.
"""

from __future__ import annotations

import hashlib
import re
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from notifications.documents import store_document
from notifications.pdf import html_to_pdf
from rules.sharing import ALL_GROUND_LABELS
from safeshare.core.access import require_case, works_on_case
from safeshare.core.audit import record_event, refusals_audited
from safeshare.core.errors import NotFoundError, SafeshareError
from safeshare.core.records import Case, Document, Role, User
from safeshare.services.exports import ExportQuery, disclosure_rows

if TYPE_CHECKING:
    from safeshare.core.runtime import App

FORMATS = {"pdf": "application/pdf", "html": "text/html; charset=utf-8"}
MAX_ID = 2**31 - 1


class DocumentIntegrityError(SafeshareError):
    """A stored document no longer matches the hash taken when it was produced."""

    status_code = 500


@dataclass(frozen=True)
class DocumentFile:
    document_id: int
    filename: str
    media_type: str
    content: bytes
    sha256: str  # of the stored HTML, as recorded when the document was produced


def may_see_document(session: Session, user: User, document: Document) -> bool:
    """Case documents follow the case record: its team only. Holding a task on a case from outside its team
    shows that task, not the case's documents (issue 15). Documents of police schemes (no case) are police-only."""
    if document.case_id is None:
        return user.is_active and Role.POLICE_STAFF in user.roles
    case = session.get(Case, document.case_id)
    return case is not None and works_on_case(user, case)


def require_document(session: Session, user: User, document_id: int) -> Document:
    """The document if this user is entitled to it; the same "not found" otherwise, so nothing leaks."""
    in_range = 0 < document_id <= MAX_ID  # beyond a database integer: nothing there (not a database error)
    document = session.get(Document, document_id) if in_range else None
    if document is None or not may_see_document(session, user, document):
        raise NotFoundError(
            f"No document {document_id} that you can see", "Check the number on the case's documents list"
        )
    return document


def verified_html(document: Document) -> str:
    """The stored HTML, if it still matches its hash; otherwise a :class:`DocumentIntegrityError`."""
    html = document.content_html or ""
    if not html.strip():
        raise DocumentIntegrityError(
            f"Document {document.id} ({document.title}) has no content: it is missing from the store",
            "Tell the administrator: restore it from backup, or produce it again from its record",
        )
    actual = hashlib.sha256(html.encode()).hexdigest()
    if actual != document.sha256:
        raise DocumentIntegrityError(
            f"Document {document.id} ({document.title}) was altered after it was produced: its SHA-256 is "
            f"{actual[:12]}..., not the {document.sha256[:12]}... recorded, so it is withheld",
            "Tell the administrator: restore it from backup and check the audit trail",
        )
    return html


def _filename(document: Document, fmt: str) -> str:
    stem = re.sub(r"[^A-Za-z0-9]+", "-", f"{document.kind}-{document.id}").strip("-").lower()
    return f"{stem}.{fmt}"


def fetch_document(
    app: App, user: User, document_id: int, fmt: str = "pdf", *, audit_refusal: bool = True
) -> DocumentFile:
    """One document for an entitled user, hash verified, as PDF or HTML; the download is audited.

    Manages its own transactions (call it outside one): the document is read and
    checked, the PDF rendered with no lock held, then one short transaction records
    the download, or the integrity failure of an altered or missing document,
    which is then refused. A refused access is audited too (``audit_refusal=False``
    where the caller audits refusals itself, as the web application does).
    """
    if fmt not in FORMATS:
        raise SafeshareError(f"Unknown document format {fmt!r}", f"Choose one of: {', '.join(FORMATS)}")
    action = f"download document {document_id}"
    refusal = refusals_audited(app.db, app.clock, user, action, {"document_id": document_id})
    with refusal if audit_refusal else nullcontext(), app.db.read() as session:
        document = require_document(session, user, document_id)
    problem: DocumentIntegrityError | None = None
    content = b""
    try:
        html = verified_html(document)
        # A police scheme record (no case) carries its application reference in its title and no internal number.
        number = f" · document {document.id}" if document.case_id is not None else ""
        footer = f"{document.title}{number} · SHA-256 {document.sha256[:16]}"
        content = html_to_pdf(html, title=document.title, footer=footer) if fmt == "pdf" else html.encode()
    except DocumentIntegrityError as exc:
        problem = exc
    with app.transaction() as session:
        actor = session.get(User, user.id)
        if problem is not None:
            record_event(
                session,
                app.clock,
                actor,
                "document_integrity_failed",
                f"Document {document.id} withheld: it does not match its recorded hash",
                case_id=document.case_id,
                detail={"document_id": document.id, "recorded_sha256": document.sha256, "reason": problem.message},
            )
        else:
            record_event(
                session,
                app.clock,
                actor,
                "document_downloaded",
                f"{user.display_name} downloaded {document.title} as {fmt.upper()}",
                case_id=document.case_id,
                detail={"document_id": document.id, "format": fmt, "sha256": document.sha256},
            )
    if problem is not None:
        raise problem
    return DocumentFile(document.id, _filename(document, fmt), FORMATS[fmt], content, document.sha256)


def produce_register_extract(app: App, session: Session, user: User, case_id: int) -> Document:
    """Store an extract of a case's disclosure register as a document (for the file, a review, a court).

    Inside the caller's transaction. Our own staff are its audience: the entries come
    from the same rows ``exports.disclosure_rows`` gives a staff export of this case.
    """
    case = require_case(session, user, case_id)
    entries, _withheld = disclosure_rows(session, user, ExportQuery(kind="disclosures", case=str(case.id)))
    for entry in entries:
        entry["made_at"] = datetime.fromisoformat(entry["made_at"])
    document = store_document(
        session,
        app.clock,
        case_id=case.id,
        kind="disclosure_register_extract",
        title=f"Disclosure register extract, case {case.reference}",
        context={
            "case": case,
            "team_name": case.team.name,
            "entries": entries,
            "produced_at": app.clock.now(),
            "produced_by": user.display_name,
            "period": "",
            "ground_labels": ALL_GROUND_LABELS,
        },
        actor=user,
    )
    record_event(
        session,
        app.clock,
        user,
        "document_produced",
        f"Disclosure register extract produced (document {document.id}, {len(entries)} disclosures)",
        case_id=case.id,
        detail={"document_id": document.id, "sha256": document.sha256, "disclosure_ids": [e["id"] for e in entries]},
    )
    return document
