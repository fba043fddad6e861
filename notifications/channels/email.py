"""SMTP email with the standard library: plain text with an HTML alternative.

Host, port, TLS mode and credentials come from the environment only (secrets are never in files
or the database), read with the other settings into :class:`safeshare.core.config.SmtpSettings`:

==============================  ===========================================  ==================
variable                        meaning                                      default
==============================  ===========================================  ==================
``SAFESHARE_SMTP_HOST``         SMTP server; unset means email is not sent   (unset)
                                yet (messages wait in the outbox)
``SAFESHARE_SMTP_PORT``         port                                         587, 465 with tls
``SAFESHARE_SMTP_SECURITY``     ``starttls``, ``tls`` (implicit) or ``none``  ``starttls``
``SAFESHARE_SMTP_USERNAME``     login name (no login when unset)             (unset)
``SAFESHARE_SMTP_PASSWORD``     password                                     (unset)
``SAFESHARE_SMTP_FROM``         sender address                               ``safeshare@localhost``
``SAFESHARE_SMTP_TIMEOUT``      seconds to wait for the server               20
==============================  ===========================================  ==================
"""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from email.utils import make_msgid

from notifications.channels.base import DeliveryError
from safeshare.core.config import SmtpSettings

__all__ = ["EmailChannel", "SmtpSettings", "build_message"]
from safeshare.core.records import Notification


def build_message(note: Notification, sender: str) -> EmailMessage:
    if not note.recipient_email:
        raise DeliveryError(f"Notification {note.id} has no email address", permanent=True)
    message = EmailMessage()
    message["Subject"] = note.subject
    message["From"] = sender
    message["To"] = note.recipient_email
    message["Message-ID"] = make_msgid(idstring=f"safeshare-{note.id}")
    message["X-Safeshare-Notification"] = str(note.id)
    message.set_content(note.body_text)
    if note.body_html:
        message.add_alternative(note.body_html, subtype="html")
    return message


class EmailChannel:
    """Sends each notification over one SMTP connection (notifications are few; simplicity wins)."""

    def __init__(self, settings: SmtpSettings) -> None:
        self.settings = settings

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        if s.security == "tls":
            return smtplib.SMTP_SSL(s.host, s.port, timeout=s.timeout, context=ssl.create_default_context())
        return smtplib.SMTP(s.host, s.port, timeout=s.timeout)

    def send(self, note: Notification) -> None:
        message = build_message(note, self.settings.sender)
        try:
            with self._connect() as smtp:
                if self.settings.security == "starttls":
                    smtp.starttls(context=ssl.create_default_context())
                if self.settings.username:
                    smtp.login(self.settings.username, self.settings.password or "")
                smtp.send_message(message)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            raise DeliveryError(
                f"The server refused the recipient: {exc.recipients}", permanent=min(codes) >= 500
            ) from exc
        except smtplib.SMTPResponseException as exc:
            error = exc.smtp_error.decode(errors="replace") if isinstance(exc.smtp_error, bytes) else exc.smtp_error
            raise DeliveryError(f"SMTP {exc.smtp_code} {error}", permanent=exc.smtp_code >= 500) from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise DeliveryError(f"{type(exc).__name__}: {exc}") from exc
