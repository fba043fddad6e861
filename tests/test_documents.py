"""Documents: rendered from templates, stored with their hash, downloaded as PDF or HTML by those entitled.

The PDF's text is read back (pypdf) to check the fields the procedure requires are
on it; ``test_documents_render_to_png_pages`` writes PNG pages under
``test-output/documents/`` with poppler's ``pdftoppm`` for a person to look at.
"""

from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select, update

from notifications.documents import store_document
from notifications.pdf import DocumentRenderError, html_to_pdf
from safeshare.core.errors import ModelError, NotFoundError, SafeshareError
from safeshare.core.records import AuditEvent, Document
from safeshare.services import sharing
from safeshare.services.documents import DocumentIntegrityError, fetch_document, produce_register_extract
from tests.builders import EXPLAINED, Scenario

OUTPUT = Path(__file__).resolve().parent.parent / "test-output" / "documents"


def consent_form(scenario: Scenario) -> int:
    """Amy's mother consents with a restriction: the consent form is produced by the real process."""
    case_id, ids = scenario.open_case(16)
    instance = scenario.start_episode(case_id)
    scenario.complete(
        instance,
        "seek_consent",
        "pat",
        {
            **EXPLAINED,
            "understanding_confirmed": True,
            "consent_outcome": "given_with_restrictions",
            "consenting_person_id": ids["child"],
            "recipients": [{"agency": "School nursing", "contact": "Nurse Jones"}, {"agency": "CAMHS"}],
            "restrictions": ["Not to be shared with the father"],
        },
    )
    with scenario.app.db.read() as s:
        return s.scalars(select(Document.id).where(Document.kind == "consent_form")).one()


def pdf_text(content: bytes) -> str:
    reader = PdfReader(io.BytesIO(content))
    return " ".join(" ".join((page.extract_text() or "").split()) for page in reader.pages)


def events(scenario: Scenario, kind: str) -> list[AuditEvent]:
    with scenario.app.db.read() as s:
        return list(s.scalars(select(AuditEvent).where(AuditEvent.event_type == kind).order_by(AuditEvent.seq)))


def test_the_consent_form_downloads_as_pdf_with_every_required_field(scenario: Scenario) -> None:
    document_id = consent_form(scenario)
    with scenario.app.db.read() as s:
        pat = scenario.user(s, "pat")
    file = fetch_document(scenario.app, pat, document_id, "pdf")
    assert file.media_type == "application/pdf" and file.content.startswith(b"%PDF")
    assert file.filename == f"consent-form-{document_id}.pdf"
    text = pdf_text(file.content)
    required = [
        "Consent to share information",
        "Child Test",  # the child
        "young person",  # who may consent (R2)
        *(v for k, v in EXPLAINED.items() if k.startswith("explained_")),  # what, how, why, with whom, when (R5)
        "Understanding confirmed Yes",
        "School nursing: Nurse Jones",  # the named recipients (R6)
        "CAMHS",
        "Not to be shared with the father",  # the restriction (R7)
        "gave consent out loud, witnessed by Jo Witness, family support worker",  # signed, in writing (R8)
        "was given to Child Test in person",  # the person's copy, and how (R8)
        "Pat Practitioner",
        "Changing your mind",  # how to withdraw consent, and fresh consent on a significant change (R9)
        "pat@example.org",  # whom to tell
        "North, Council",  # the practitioner's team and agency
    ]
    missing = [field for field in required if field not in text]
    assert not missing, f"missing from the PDF: {missing}\n{text}"
    downloads = events(scenario, "document_downloaded")
    assert len(downloads) == 1 and downloads[0].detail["document_id"] == document_id
    assert downloads[0].actor_id == pat.id and downloads[0].detail["format"] == "pdf"


def test_the_html_download_is_exactly_what_was_stored_and_hashed(scenario: Scenario) -> None:
    import hashlib

    document_id = consent_form(scenario)
    with scenario.app.db.read() as s:
        manager = scenario.user(s, "max")
        stored = s.get(Document, document_id)
        assert stored is not None
    file = fetch_document(scenario.app, manager, document_id, "html")
    assert file.content.decode() == stored.content_html
    assert hashlib.sha256(file.content).hexdigest() == stored.sha256 == file.sha256


def test_someone_outside_the_case_is_told_not_found_and_the_refusal_is_audited(scenario: Scenario) -> None:
    document_id = consent_form(scenario)
    for who in ("olu", "priya", "alex"):
        with scenario.app.db.read() as s:
            user = scenario.user(s, who)
        with pytest.raises(NotFoundError, match=f"No document {document_id} that you can see"):
            fetch_document(scenario.app, user, document_id, "pdf")
    refused = events(scenario, "access_refused")
    assert [e.detail["document_id"] for e in refused] == [document_id] * 3
    with scenario.app.db.read() as s:
        case_id = s.get(Document, document_id).case_id  # type: ignore[union-attr]
    assert all(e.case_id == case_id for e in refused)  # on the case's own trail, for its team (issue 15, item 7)
    assert events(scenario, "document_downloaded") == []


def test_a_missing_document_is_not_found(scenario: Scenario) -> None:
    with scenario.app.db.read() as s:
        pat = scenario.user(s, "pat")
    with pytest.raises(NotFoundError, match="No document 999"):
        fetch_document(scenario.app, pat, 999, "pdf")


def test_an_altered_document_is_withheld_and_the_failure_audited(scenario: Scenario) -> None:
    document_id = consent_form(scenario)
    with scenario.app.transaction() as s:
        s.execute(
            update(Document)
            .where(Document.id == document_id)
            .values(content_html=Document.content_html + "<p>I also consent to everything.</p>")
        )
        pat = scenario.user(s, "pat")
    for fmt in ("pdf", "html"):
        with pytest.raises(DocumentIntegrityError, match=f"Document {document_id} .* was altered"):
            fetch_document(scenario.app, pat, document_id, fmt)
    failures = events(scenario, "document_integrity_failed")
    assert len(failures) == 2 and failures[0].detail["document_id"] == document_id
    assert events(scenario, "document_downloaded") == []


def test_a_document_whose_content_is_gone_is_a_clear_error(scenario: Scenario) -> None:
    document_id = consent_form(scenario)
    with scenario.app.transaction() as s:
        s.execute(update(Document).where(Document.id == document_id).values(content_html=""))
        pat = scenario.user(s, "pat")
    with pytest.raises(DocumentIntegrityError, match="missing from the store"):
        fetch_document(scenario.app, pat, document_id, "html")
    assert events(scenario, "document_downloaded") == []


def test_an_unknown_format_is_refused(scenario: Scenario) -> None:
    document_id = consent_form(scenario)
    with scenario.app.db.read() as s:
        pat = scenario.user(s, "pat")
    with pytest.raises(SafeshareError, match="Unknown document format 'docx'"):
        fetch_document(scenario.app, pat, document_id, "docx")


@pytest.mark.parametrize(
    ("kind", "context", "error"),
    [
        ("consent_form", {"case": {"reference": "C-1"}}, "failed to render"),  # a template given too little
        ("no_such_document", {}, "no_such_document"),  # a template file that is missing
    ],
)
def test_a_template_error_is_clear_and_nothing_is_stored(
    scenario: Scenario, kind: str, context: dict[str, object], error: str
) -> None:
    case_id, _ = scenario.open_case(16)
    with scenario.app.db.read() as s:
        before_docs = s.scalar(select(func.count()).select_from(Document))
        before_events = s.scalar(select(func.count()).select_from(AuditEvent))
    with pytest.raises(ModelError, match=error), scenario.app.transaction() as s:
        store_document(
            s, scenario.app.clock, case_id=case_id, kind=kind, title="x", context=context, actor=None
        )
    with scenario.app.db.read() as s:
        assert s.scalar(select(func.count()).select_from(Document)) == before_docs
        assert s.scalar(select(func.count()).select_from(AuditEvent)) == before_events


def test_an_empty_html_document_cannot_be_rendered() -> None:
    with pytest.raises(DocumentRenderError, match="empty"):
        html_to_pdf("   ", title="Nothing")


def test_rendering_fetches_nothing_from_outside(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP SECRET CONTENT")
    html = f'<html><body><p>Visible</p><object data="file://{secret}"></object><img src="http://192.0.2.1/x.png"></body></html>'
    text = pdf_text(html_to_pdf(html, title="probe"))
    assert "Visible" in text and "TOP SECRET" not in text


DVDS_DECISION = {
    "forum": "dvds_panel", "disclose": True, "lawful": True, "necessary": True, "proportionate": True,
    "meeting_date": "2026-11-20", "attendees": [{"name": "Jo Bright", "agency": "IDVA service"}],
    "pressing_need": "Escalating threats; she plans to move in with him",
    "recipient": "person_at_risk", "safety_plan": "IDVA referral, MARAC, target-hardening",
    "decision_reasons": "Convictions for violence against two former partners",
}  # fmt: skip


def scheme_documents(scenario: Scenario) -> dict[str, int]:
    """A DVDS right-to-ask disclosure (undertaking + disclosure record) and a refused application (letter),
    through the real scheme processes. Returns document ids by kind."""
    from tests.scheme_steps import MEETING, NO_DISCLOSURE, RISK, start, to_decision

    _app_id, disclosed = start(scenario, "right_to_ask")
    to_decision(scenario, disclosed)
    scenario.complete(disclosed, "decide_disclosure", "priya", DVDS_DECISION)
    scenario.complete(disclosed, "disclosure_meeting", "priya", MEETING)
    _app_id, refused = start(scenario, "right_to_ask", applicant={"name": "Jo Brown", "safe_contact": "email"})
    to_decision(scenario, refused, risk={**RISK, "relevant_convictions": False, "information_indicates_risk": False})
    scenario.complete(refused, "decide_disclosure", "priya", {**DVDS_DECISION, "disclose": False})
    scenario.complete(refused, "communicate_no_disclosure", "priya", NO_DISCLOSURE)
    with scenario.app.db.read() as s:
        return {d.kind: d.id for d in s.scalars(select(Document).where(Document.case_id.is_(None)))}


SCHEME_REQUIRED = {
    "confidentiality_undertaking": [
        "Undertaking of confidentiality", "Sam Taylor", "Alex Reed", "To be checked at the meeting",
        "Only so that you can", "confidential", "legal proceedings may follow", "Signed", "Witnessed by",
    ],
    "dvds_disclosure_record": [
        "DVDS disclosure record", "Alex Reed", "Lawful, necessary and proportionate Yes", "Pressing need",
        "Decided by The DVDS panel, meeting of 20 November 2026", "Jo Bright (IDVA service)",
        "Escalating threats", "IDVA referral, MARAC, target-hardening", "with the confidentiality warning",
        "Undertaking Signed at the meeting", "Police National Computer (PNC)", "Convictions found",
        "Two convictions for assault on former partners (2018, 2021)", "Referred to the IDVA",
    ],
    "non_disclosure_letter": [
        "Dear Jo Brown", "no disclosure will be made", "Support", "Sent by: email", "PO Box 100",
        "Contact details for the local domestic abuse service", "999", "0808 2000 247",
        "does not mean that there is no risk",
    ],
}  # fmt: skip


def test_each_scheme_document_renders_to_pdf_with_its_required_fields_for_police_only(scenario: Scenario) -> None:
    """R26 (warning, confidential, legal proceedings), R27 (signed undertaking), R35 (decision), R36 (letter)."""
    ids = scheme_documents(scenario)
    assert set(ids) == set(SCHEME_REQUIRED)
    with scenario.app.db.read() as s:
        priya, pat = scenario.user(s, "priya"), scenario.user(s, "pat")
    for kind, required in SCHEME_REQUIRED.items():
        text = pdf_text(fetch_document(scenario.app, priya, ids[kind], "pdf").content)
        missing = [field for field in required if field not in text]
        assert not missing, f"{kind}: missing from the PDF: {missing}\n{text}"
        with pytest.raises(NotFoundError):  # police records: a children's practitioner may not see them
            fetch_document(scenario.app, pat, ids[kind], "pdf")


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="poppler-utils (pdftoppm) is not installed")
def test_documents_render_to_png_pages(scenario: Scenario) -> None:
    """Each kind of stored document as PNG pages under test-output/documents/, to look at."""
    consent_form(scenario)
    register_extract(scenario)
    scheme_documents(scenario)
    OUTPUT.mkdir(parents=True, exist_ok=True)
    with scenario.app.db.read() as s:
        documents = list(s.scalars(select(Document).order_by(Document.id)))
        readers = {"pat": scenario.user(s, "pat"), "priya": scenario.user(s, "priya")}
    assert {d.kind for d in documents} == {"consent_form", "disclosure_register_extract", *SCHEME_REQUIRED}
    for document in documents:
        reader = readers["pat" if document.case_id else "priya"]
        pdf = fetch_document(scenario.app, reader, document.id, "pdf").content
        target = OUTPUT / document.kind
        subprocess.run(["pdftoppm", "-png", "-r", "60", "-", str(target)], input=pdf, check=True)
        pages = sorted(OUTPUT.glob(f"{document.kind}-*.png"))
        assert pages and all(p.stat().st_size > 1000 for p in pages)


def test_documents_download_from_the_api_and_the_case_page_links(scenario: Scenario) -> None:
    from tests.webkit import make_webkit

    document_id = consent_form(scenario)
    web = make_webkit(scenario.app, scenario)
    pdf = web.get("pat", f"/api/documents/{document_id}")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert pdf.headers["content-type"] == "application/pdf" and "attachment" in pdf.headers["content-disposition"]
    with scenario.app.db.read() as s:
        case_id = s.get(Document, document_id).case_id  # type: ignore[union-attr]
    case_page = web.get("pat", f"/cases/{case_id}")
    assert case_page.status_code == 200 and f'href="/documents/{document_id}.pdf"' in case_page.text
    html = web.get("max", f"/documents/{document_id}.html")
    assert html.status_code == 200 and "Not to be shared with the father" in html.text
    refused = web.get("olu", f"/api/documents/{document_id}")
    assert refused.status_code == 404 and refused.json()["hint"]
    assert web.get("pat", f"/documents/{document_id}.docx").status_code == 400
    with scenario.app.transaction() as s:
        s.execute(update(Document).where(Document.id == document_id).values(content_html="<p>forged</p>"))
    altered = web.get("pat", f"/api/documents/{document_id}?format=html")
    assert altered.status_code == 500 and "altered" in altered.json()["error"] and "forged" not in altered.text


def register_extract(scenario: Scenario) -> tuple[int, int]:
    """Two disclosures through the real processes (one with consent; one without, on ground (a)),
    then the register extract produced by a manager. Returns (case id, document id)."""
    case_id, ids = scenario.open_case(17)  # 17: not the consent form's 16, so case references cannot clash
    instance = scenario.start_episode(case_id)
    scenario.complete(instance, "seek_consent", "pat", {
        **EXPLAINED, "understanding_confirmed": True, "consent_outcome": "given", "consenting_person_id": ids["child"],
        "recipients": [{"agency": "School nursing", "contact": "Oakfield school nurse"}]})  # fmt: skip
    with scenario.app.transaction() as s:
        p4 = sharing.start_disclosure(scenario.app, s, scenario.user(s, "pat"), case_id).id
    scenario.complete(p4, "enter_disclosure", "pat", {
        "made_at": "2026-11-23T09:00",
        "recipient_agency": "School nursing", "recipient_contact": "Oakfield school nurse",
        "disclosure_method": "secure_email", "disclosure_purpose": "To plan health support at school",
        "disclosure_purpose_kind": "health_care",
        "disclosed_items": [{"content": "Attendance 71% this term", "kind": "fact", "information_kind": "education"},
                            {"content": "Seems tired and withdrawn in class", "kind": "opinion",
                             "information_kind": "health"}]})  # fmt: skip
    with scenario.app.transaction() as s:
        p2 = sharing.start_share_without_consent(scenario.app, s, scenario.user(s, "pat"), case_id).id
    scenario.complete(p2, "decide_grounds", "pat", {
        "grounds": ["harm_to_child"], "share_recipients": [{"agency": "Children's Social Care"}],
        "what_to_share": "The bruising seen on Monday", "share_information": ["concerns_about_harm"],
        "share_purposes": ["protect_from_harm"], "decision_reasons": "Risk of significant harm to the child",
        "in_doubt": False, "practitioner_decision": "share", "weighing": {
            "if_shared": "Social care can assess the risk today", "if_not_shared": "Further injury may go unseen",
            "proportionate": True}})  # fmt: skip
    scenario.complete(p2, "enter_disclosure", "pat", {
        "made_at": "2026-11-23T09:00", "recipient_agency": "Children's Social Care",
        "recipient_contact": "Duty social worker", "disclosure_method": "phone",
        "disclosure_purpose": "Referral", "recipient_told_consent_status": True,
        "disclosure_purpose_kind": "protect_from_harm",
        "disclosed_items": [{"content": "Bruising to the left arm seen on Monday", "kind": "fact",
                             "information_kind": "concerns_about_harm"}]})  # fmt: skip
    with scenario.app.transaction() as s:
        document_id = produce_register_extract(scenario.app, s, scenario.user(s, "max"), case_id).id
    return case_id, document_id


def test_a_disclosure_register_extract_is_a_stored_document_with_every_r21_r22_field(scenario: Scenario) -> None:
    case_id, document_id = register_extract(scenario)
    with scenario.app.db.read() as s:
        pat = scenario.user(s, "pat")
    text = pdf_text(fetch_document(scenario.app, pat, document_id, "pdf").content)
    required = [
        "Disclosure register extract", "2 disclosures recorded", "Made by Pat Practitioner",
        "School nursing: Oakfield school nurse", "Secure email", "Phone", "To plan health support at school",
        "Attendance 71% this term", "Fact", "Seems tired and withdrawn in class", "Opinion",
        "Children's Social Care", "Without consent", "share: Risk of significant harm",
        "Not sharing may result in harm to the child or young person",
        "Recipient told consent was refused or not sought Yes", "Bruising to the left arm seen on Monday",
    ]  # fmt: skip
    missing = [field for field in required if field not in text]
    assert not missing, f"missing from the PDF: {missing}\n{text}"
    with pytest.raises(NotFoundError), scenario.app.transaction() as s:
        produce_register_extract(scenario.app, s, scenario.user(s, "olu"), case_id)
    with scenario.app.db.read() as s:
        assert s.scalar(select(func.count()).select_from(Document).where(
            Document.kind == "disclosure_register_extract")) == 1  # fmt: skip


def test_an_id_beyond_any_database_integer_is_simply_not_found(scenario: Scenario) -> None:
    with scenario.app.db.read() as s:
        pat = scenario.user(s, "pat")
    for document_id in (0, -1, 2**31, 10**30):
        with pytest.raises(NotFoundError):
            fetch_document(scenario.app, pat, document_id, "html")


def test_a_task_held_outside_the_team_does_not_open_the_cases_documents(scenario: Scenario) -> None:
    """Issue 15, item 2: pat holds a task on North's case, then moves to South. The task shows that task,
    not the case's documents: the consent form is "not found" for pat until pat is back in North."""
    document_id = consent_form(scenario)
    with scenario.app.transaction() as s:
        case_id = s.get(Document, document_id).case_id  # type: ignore[union-attr]
    second = scenario.start_episode(case_id)  # pat holds an open task on the case
    assert any(t.assignee_id == scenario.users["pat"] for t in scenario.open_tasks(second))
    with scenario.app.transaction() as s:
        scenario.user(s, "pat").team_id = scenario.team_ids["south"]
    with scenario.app.db.read() as s:
        pat = scenario.user(s, "pat")
    with pytest.raises(NotFoundError, match=f"No document {document_id} that you can see"):
        fetch_document(scenario.app, pat, document_id, "pdf")
    assert events(scenario, "document_downloaded") == []
