"""Single sign-on: which identity-provider account is which local user."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from safeshare.core.records.base import Base


class SsoIdentity(Base):
    """An account at the partnership's identity provider (issuer and subject), linked to one user.

    The subject (``sub``) never changes for a person at one provider, unlike a username or an
    email address, so it is what a returning sign-in is matched on.
    """

    __tablename__ = "sso_identity"
    __table_args__ = (UniqueConstraint("issuer", "subject"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    issuer: Mapped[str] = mapped_column(String(300))
    subject: Mapped[str] = mapped_column(String(255))
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    first_signed_in_at: Mapped[datetime]
    last_signed_in_at: Mapped[datetime]
