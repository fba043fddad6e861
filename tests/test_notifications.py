"""Notifications (issue #4): real SMTP delivery with rendered content, retry with back-off then failure
marking, in-app messages per user, and the start-up check that renders every template."""

from __future__ import annotations

import shutil
from datetime import timedelta
from email.message import Message
from pathlib import Path
from typing import Any

import pytest
from jinja2 import FileSystemLoader
from sqlalchemy import func, select

from notifications.channels.email import EmailChannel, SmtpSettings
from notifications.channels.in_app import mark_read, messages_for
from notifications.delivery import RetryPolicy, deliver_due, failed_notifications, requeue
from notifications.outbox import enqueue
from notifications.rendering import TEMPLATE_DIR, environment
from notifications.samples import SAMPLES
from notifications.template_check import check_templates, message_names
from safeshare.app import App
from safeshare.core.clock import FixedClock
from safeshare.core.errors import ConfigurationError, NotFoundError, PermissionDeniedError
from safeshare.core.records import AuditEvent, Notification
from tests.builders import Scenario
from tests.scheduling_support import Mailbox, free_port

pytest_plugins = ["tests.scheduling_fixtures"]  # timer_app, timer_scenario, smtp_server


@pytest.fixture
def scenario(timer_scenario: Scenario) -> Scenario:
    """These tests need no real models (bpmn/ is another issue's)."""
    return timer_scenario


def queue_reminder(scenario: Scenario, to: str = "max", **extra: Any) -> list[Notification]:
    with scenario.app.transaction() as s:
        return enqueue(
            s,
            scenario.app.clock,
            "task_reminder",
            {**SAMPLES["task_reminder"], **extra},
            recipients=[scenario.user(s, to)],
            case_id=None,
            dedupe_key=f"test:{to}:{extra}",
        )


def email_rows(app: App) -> list[Notification]:
    with app.db.read() as s:
        return list(s.scalars(select(Notification).where(Notification.channel == "email").order_by(Notification.id)))


def audit_types(app: App) -> list[str]:
    with app.db.read() as s:
        return list(s.scalars(select(AuditEvent.event_type).order_by(AuditEvent.seq)))


def parts(message: Message) -> dict[str, str]:
    return {
        p.get_content_type(): bytes(p.get_payload(decode=True)).decode()  # type: ignore[arg-type]
        for p in message.walk()
        if not p.is_multipart()
    }


def test_email_is_delivered_to_a_real_smtp_server_with_the_rendered_content(
    scenario: Scenario, smtp_server: tuple[Mailbox, SmtpSettings]
) -> None:
    mailbox, settings = smtp_server
    queue_reminder(scenario, case_reference="NF-<b>7</b>")
    report = deliver_due(scenario.app, {"email": EmailChannel(settings)})
    assert len(report.sent) == 1 and report.failed == report.retrying == []
    (message,) = mailbox.received
    (row,) = email_rows(scenario.app)
    assert row.recipient_email and mailbox.envelopes == [("safeshare@test", [row.recipient_email])]
    assert message["To"] == row.recipient_email and message["X-Safeshare-Notification"] == str(row.id)
    assert message["Subject"].strip() == (  # a folded header may unfold with a leading space
        'Reminder: "Give advice on sharing" on case NF-<b>7</b> is due 25 November 2026 09:00 UTC'
    )
    bodies = parts(message)
    assert "Dear Max Manager," in bodies["text/plain"]
    assert "is due by 25 November 2026 09:00 UTC" in bodies["text/plain"]
    assert "case NF-<b>7</b> is still open" in bodies["text/plain"]  # text is not HTML: not escaped
    assert "<strong>NF-&lt;b&gt;7&lt;/b&gt;</strong>" in bodies["text/html"]  # HTML is autoescaped
    (row,) = email_rows(scenario.app)
    assert (row.status, row.attempts, row.sent_at) == ("sent", 1, scenario.app.clock.now())
    assert audit_types(scenario.app)[-1] == "notification_sent"
    assert deliver_due(scenario.app, {"email": EmailChannel(settings)}).sent == []  # sent once only


def test_a_refusing_server_is_retried_with_back_off_then_the_message_is_marked_failed(
    scenario: Scenario, smtp_server: tuple[Mailbox, SmtpSettings]
) -> None:
    mailbox, settings = smtp_server
    mailbox.reply = "451 4.3.0 Mailbox temporarily unavailable"
    app, clock = scenario.app, scenario.app.clock
    assert isinstance(clock, FixedClock)
    policy = RetryPolicy(max_attempts=3, base_delay=timedelta(minutes=1))
    channels = {"email": EmailChannel(settings)}
    queue_reminder(scenario)

    assert deliver_due(app, channels, policy=policy).retrying != []
    (row,) = email_rows(app)
    assert (row.status, row.attempts) == ("pending", 1) and "451" in (row.last_error or "")
    assert row.next_attempt_at == clock.now() + timedelta(minutes=1)
    assert deliver_due(app, channels, policy=policy).retrying == []  # not due again yet: no hot loop
    clock.advance(timedelta(minutes=1))
    deliver_due(app, channels, policy=policy)
    assert email_rows(app)[0].next_attempt_at == clock.now() + timedelta(minutes=2)  # back-off doubles
    clock.advance(timedelta(minutes=2))
    report = deliver_due(app, channels, policy=policy)
    assert report.failed == [row.id] and mailbox.attempts == 3 and mailbox.received == []
    (row,) = email_rows(app)
    assert (row.status, row.attempts) == ("failed", 3)
    assert audit_types(app)[-1] == "notification_failed"
    with app.db.read() as s:
        assert [n.id for n in failed_notifications(s)] == [row.id]  # visible to an administrator, not lost
    clock.advance(timedelta(hours=5))
    assert deliver_due(app, channels, policy=policy).failed == []  # failed stays failed until requeued

    with app.transaction() as s, pytest.raises(PermissionDeniedError):
        requeue(app, s, scenario.user(s, "max"), row.id)
    mailbox.reply = "250 OK"
    with app.transaction() as s:
        requeue(app, s, scenario.user(s, "alex"), row.id)
    assert deliver_due(app, channels, policy=policy).sent == [row.id] and len(mailbox.received) == 1
    with app.transaction() as s, pytest.raises(NotFoundError):
        requeue(app, s, scenario.user(s, "alex"), row.id)


def test_a_permanent_refusal_fails_at_once(scenario: Scenario, smtp_server: tuple[Mailbox, SmtpSettings]) -> None:
    mailbox, settings = smtp_server
    mailbox.reply = "550 5.1.1 No such user"
    queue_reminder(scenario)
    report = deliver_due(scenario.app, {"email": EmailChannel(settings)})
    assert len(report.failed) == 1 and mailbox.attempts == 1
    assert "550" in (email_rows(scenario.app)[0].last_error or "")


def test_an_unreachable_server_keeps_the_message_pending(scenario: Scenario) -> None:
    settings = SmtpSettings(host="127.0.0.1", port=free_port(), security="none", timeout=2)
    queue_reminder(scenario)
    report = deliver_due(scenario.app, {"email": EmailChannel(settings)})
    assert len(report.retrying) == 1
    (row,) = email_rows(scenario.app)
    assert row.status == "pending" and "Connection refused" in (row.last_error or "")


def test_in_app_messages_are_listed_per_user_and_marked_read(scenario: Scenario) -> None:
    queue_reminder(scenario, to="max")
    queue_reminder(scenario, to="sue")
    app = scenario.app
    with app.transaction() as s:
        max_user, sue = scenario.user(s, "max"), scenario.user(s, "sue")
        (mine,) = messages_for(s, max_user)
        assert mine.subject.startswith("Reminder:") and mine.status == "sent" and mine.body_html is None
        assert [m.recipient_user_id for m in messages_for(s, sue)] == [sue.id]
        with pytest.raises(NotFoundError):
            mark_read(s, app.clock, sue, mine.id)  # someone else's message
        mark_read(s, app.clock, max_user, mine.id)
    with app.db.read() as s:
        assert messages_for(s, scenario.user(s, "max"), unread_only=True) == []
        assert s.scalar(select(func.count()).select_from(Notification).where(Notification.read_at.is_not(None))) == 1


def test_every_template_renders_at_start_up_with_its_sample() -> None:
    report = check_templates()
    assert report.without_sample == [n for n in message_names() if n not in SAMPLES]
    required = {
        "task_assigned",
        "task_reminder",
        "consultation_escalated",
        "deadline_missed",
        "consent_form_copy",
        "scheme_outcome_disclosure",
        "scheme_outcome_no_disclosure",
    }
    assert required <= set(message_names())
    for name in required:
        assert {f"messages/{name}.subject.txt", f"messages/{name}.txt", f"messages/{name}.html"} <= set(
            report.rendered
        )


def test_a_broken_template_is_an_error_at_start_up(tmp_path: Path) -> None:
    shutil.copytree(TEMPLATE_DIR, tmp_path / "templates")
    messages = tmp_path / "templates" / "messages"
    (messages / "task_reminder.txt").write_text("Dear {{ recipient.name }}, due {{ due_at | no_such_filter }}\n")
    (messages / "deadline_missed.html").write_text("<p>{{ misspelt_variable }}</p>\n")
    env = environment().overlay(loader=FileSystemLoader(tmp_path / "templates"))
    with pytest.raises(ConfigurationError) as caught:
        check_templates(tmp_path / "templates", env)
    assert "messages/task_reminder.txt" in str(caught.value)
    assert "messages/deadline_missed.html" in str(caught.value) and "misspelt_variable" in str(caught.value)


def test_smtp_settings_come_from_the_environment() -> None:
    assert SmtpSettings.from_env({}) is None  # not configured: email waits in the outbox
    settings = SmtpSettings.from_env(
        {"SAFESHARE_SMTP_HOST": "mail.example.org", "SAFESHARE_SMTP_SECURITY": "tls",
         "SAFESHARE_SMTP_USERNAME": "safeshare", "SAFESHARE_SMTP_PASSWORD": "s3cret"}
    )
    assert settings is not None and (settings.port, settings.security, settings.username) == (465, "tls", "safeshare")
    with pytest.raises(ConfigurationError):
        SmtpSettings.from_env({"SAFESHARE_SMTP_HOST": "x", "SAFESHARE_SMTP_SECURITY": "ssl3"})
    with pytest.raises(ConfigurationError):
        SmtpSettings.from_env({"SAFESHARE_SMTP_HOST": "x", "SAFESHARE_SMTP_USERNAME": "u"})


def test_queuing_the_same_message_again_adds_only_what_is_new(scenario: Scenario) -> None:
    """A dedupe key makes a message once per recipient and channel, however often it is queued."""

    def queue(*names: str) -> list[Notification]:
        with scenario.app.transaction() as s:
            return enqueue(s, scenario.app.clock, "task_reminder", dict(SAMPLES["task_reminder"]),
                           recipients=[scenario.user(s, n) for n in names], dedupe_key="reminder:task-1")

    assert len(queue("max")) == 2  # email and in-app
    assert queue("max") == []
    added = queue("max", "pat")
    with scenario.app.db.read() as s:
        pat = scenario.user(s, "pat").id
    assert {(n.recipient_user_id, n.channel) for n in added} == {(pat, "email"), (pat, "in_app")}
    with scenario.app.db.read() as s:
        assert s.scalar(select(func.count()).select_from(Notification)) == 4
