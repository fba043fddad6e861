"""Sign-in records: API tokens (stored hashed) and sign-in attempts (to limit guessing)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from safeshare.core.records.base import Base


class ApiToken(Base):
    """A bearer token for an API client, acting as one user.

    Only the SHA-256 of the token is kept: a stolen database does not yield
    working tokens. The token is shown once, when it is issued.
    """

    __tablename__ = "api_token"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    expires_at: Mapped[datetime | None]


class SignInAttempt(Base):
    """One attempt to sign in, kept so repeated failures for a username from one address can be slowed
    down. Attempts refused because of that slowing down are audited but not kept here: they must not
    count as failures, or the slowing down would never end."""

    __tablename__ = "sign_in_attempt"
    __table_args__ = (Index("ix_sign_in_attempt_username_at", "username", "attempted_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80))
    succeeded: Mapped[bool]
    attempted_at: Mapped[datetime]
    remote_address: Mapped[str | None] = mapped_column(String(64))
