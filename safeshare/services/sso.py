"""Single sign-on with OpenID Connect: settings, checking the ID token, and users made from its claims.

A partnership's staff already have accounts at an identity provider (Microsoft Entra ID, GOV.UK
One Login, ...). When ``SAFESHARE_OIDC_CLIENT_ID`` is set, the service signs people in there and
local passwords are turned off. The provider's groups (or any claim holding a list) decide the
roles and team: a person whose groups map to no role is refused, so being in the provider's
directory alone never gives access to safeguarding records.

Secrets never live in the repository: the client secret comes from ``SAFESHARE_OIDC_CLIENT_SECRET``
or, better, a file named by ``SAFESHARE_OIDC_CLIENT_SECRET_FILE`` (a container or systemd secret).

The web side (redirects, session state) is :mod:`web.oidc`; this module knows nothing of HTTP
requests, so the checks can be tested on their own.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from joserfc import jwt
from joserfc.errors import (
    BadSignatureError,
    ExpiredTokenError,
    InvalidClaimError,
    JoseError,
    MissingClaimError,
)
from joserfc.jwk import KeySet
from sqlalchemy import select
from sqlalchemy.orm import Session

from safeshare.core.audit import record_event
from safeshare.core.clock import Clock
from safeshare.core.errors import ConfigurationError, SafeshareError
from safeshare.core.records import Role, SsoIdentity, Team, User, UserRole

#: Seconds of difference tolerated between our clock and the provider's.
CLOCK_LEEWAY = 60
#: Algorithms accepted on an ID token (never "none", never a shared-secret HMAC).
ALLOWED_ALGORITHMS = ["RS256", "PS256", "ES256"]


@dataclass(frozen=True)
class SsoSettings:
    """What a partnership fills in to use its identity provider (all from the environment).

    ``role_map`` and ``team_map`` map a value of ``groups_claim`` (a group's name or object id) to
    one of our roles, or to the name of one of our teams.
    """

    metadata_url: str
    client_id: str
    client_secret: str = field(repr=False)
    scopes: str = "openid profile email"
    groups_claim: str = "groups"
    username_claim: str = "preferred_username"
    role_map: Mapping[str, tuple[Role, ...]] = field(default_factory=dict)
    team_map: Mapping[str, str] = field(default_factory=dict)
    provider_name: str = "your organisation"
    #: The callback address registered at the provider; empty: derived from the request (fine without a proxy).
    redirect_url: str = ""

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> SsoSettings | None:
        """The settings, or None when single sign-on is not configured (local passwords then apply)."""
        env = os.environ if environ is None else environ
        client_id = env.get("SAFESHARE_OIDC_CLIENT_ID", "").strip()
        if not client_id:
            return None
        metadata_url = env.get("SAFESHARE_OIDC_METADATA_URL", "").strip()
        issuer = env.get("SAFESHARE_OIDC_ISSUER", "").strip()
        if not metadata_url and issuer:
            metadata_url = issuer.rstrip("/") + "/.well-known/openid-configuration"
        if not metadata_url:
            raise ConfigurationError(
                "SAFESHARE_OIDC_CLIENT_ID is set but neither SAFESHARE_OIDC_ISSUER nor SAFESHARE_OIDC_METADATA_URL is",
                "Set the identity provider's issuer URL (its address ending before /.well-known)",
            )
        secret = _client_secret(env)
        role_map = _parse_map(env.get("SAFESHARE_OIDC_ROLE_MAP", ""), "SAFESHARE_OIDC_ROLE_MAP")
        roles: dict[str, tuple[Role, ...]] = {}
        valid = {r.value for r in Role}
        for group, value in role_map.items():
            names = [v.strip() for v in value.split("+") if v.strip()]
            unknown = [n for n in names if n not in valid]
            if unknown or not names:
                raise ConfigurationError(
                    f"SAFESHARE_OIDC_ROLE_MAP maps {group!r} to {value!r}, which is not a role here",
                    f"Use one or more of: {', '.join(sorted(valid))} (joined with +)",
                )
            roles[group] = tuple(Role(n) for n in names)
        if not roles:
            raise ConfigurationError(
                "SAFESHARE_OIDC_ROLE_MAP is empty, so nobody could be given a role",
                "Map at least one of the provider's groups to a role, e.g. 'sg-practitioners=practitioner'",
            )
        return cls(
            metadata_url=metadata_url,
            client_id=client_id,
            client_secret=secret,
            scopes=env.get("SAFESHARE_OIDC_SCOPES", "").strip() or cls.scopes,
            groups_claim=env.get("SAFESHARE_OIDC_GROUPS_CLAIM", "").strip() or cls.groups_claim,
            username_claim=env.get("SAFESHARE_OIDC_USERNAME_CLAIM", "").strip() or cls.username_claim,
            role_map=roles,
            team_map=_parse_map(env.get("SAFESHARE_OIDC_TEAM_MAP", ""), "SAFESHARE_OIDC_TEAM_MAP"),
            provider_name=env.get("SAFESHARE_OIDC_PROVIDER_NAME", "").strip() or cls.provider_name,
            redirect_url=env.get("SAFESHARE_OIDC_REDIRECT_URL", "").strip(),
        )


def _client_secret(env: Mapping[str, str]) -> str:
    path = env.get("SAFESHARE_OIDC_CLIENT_SECRET_FILE", "").strip()
    if path:
        try:
            return Path(path).read_text().strip()
        except OSError as exc:
            raise ConfigurationError(
                f"The client secret file {path} cannot be read ({exc.strerror})",
                "Check SAFESHARE_OIDC_CLIENT_SECRET_FILE and the file's permissions",
            ) from exc
    secret = env.get("SAFESHARE_OIDC_CLIENT_SECRET", "").strip()
    if not secret:
        raise ConfigurationError(
            "Single sign-on needs the client secret the identity provider issued",
            "Put it in a file named by SAFESHARE_OIDC_CLIENT_SECRET_FILE (or in SAFESHARE_OIDC_CLIENT_SECRET)",
        )
    return secret


def _parse_map(text: str, name: str) -> dict[str, str]:
    """``a=b;c=d`` (or one pair per line) into a dict; a pair without ``=`` stops start-up."""
    result: dict[str, str] = {}
    for part in text.replace("\n", ";").split(";"):
        if not part.strip():
            continue
        key, sep, value = part.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise ConfigurationError(f"{name} has {part.strip()!r}, which is not GROUP=VALUE", f"Fix {name}")
        result[key.strip()] = value.strip()
    return result


class SsoRefusedError(SafeshareError):
    """A sign-in through the identity provider that we refuse; ``reason`` is kept in the audit trail."""

    status_code = 403

    def __init__(self, reason: str, message: str, hint: str = "", *, subject: str | None = None) -> None:
        super().__init__(message, hint)
        self.reason = reason
        self.subject = subject


class ProviderUnavailableError(SafeshareError):
    """The identity provider did not answer, or answered with something we cannot use."""

    status_code = 503


TRY_AGAIN = "Go back to the sign-in page and sign in again. If this keeps happening, contact your IT service desk"


def check_id_token(
    id_token: str,
    jwks: Mapping[str, Any],
    *,
    issuer: str,
    client_id: str,
    nonce: str,
    clock: Clock,
) -> dict[str, Any]:
    """The ID token's claims, once its signature, issuer, audience, expiry and nonce are right.

    The expiry is judged by our injected clock, so a test (or a training copy) moves one clock.
    """
    try:
        keys = KeySet.import_key_set(dict(jwks))  # type: ignore[arg-type]
        token = jwt.decode(id_token, keys, algorithms=ALLOWED_ALGORITHMS)
    except BadSignatureError as exc:
        raise SsoRefusedError(
            "bad_signature",
            "The sign-in could not be confirmed: it was not signed by your organisation's sign-in service",
            TRY_AGAIN,
        ) from exc
    except (JoseError, ValueError) as exc:
        raise SsoRefusedError(
            "unreadable_token", "The sign-in could not be confirmed: its proof of identity cannot be read", TRY_AGAIN
        ) from exc
    claims = dict(token.claims)
    now: Callable[[], int] = lambda: int(clock.now().timestamp())  # noqa: E731
    registry = jwt.JWTClaimsRegistry(
        now=now,
        leeway=CLOCK_LEEWAY,
        iss={"essential": True, "value": issuer},
        aud={"essential": True, "value": client_id},
        sub={"essential": True},
        exp={"essential": True},
        nonce={"essential": True, "value": nonce},
    )
    subject = str(claims.get("sub", "")) or None
    try:
        registry.validate(claims)
    except ExpiredTokenError as exc:
        raise SsoRefusedError(
            "expired_token",
            "The sign-in took too long and its proof of identity has expired",
            TRY_AGAIN,
            subject=subject,
        ) from exc
    except (InvalidClaimError, MissingClaimError) as exc:
        claim = getattr(exc, "claim", "")
        reason, message = {
            "aud": ("wrong_audience", "The sign-in was meant for a different service, not this one"),
            "iss": ("wrong_issuer", "The sign-in came from a sign-in service this service does not use"),
            "nonce": ("wrong_nonce", "The sign-in does not belong to the sign-in you started"),
        }.get(claim, ("invalid_claims", "The sign-in could not be confirmed: its proof of identity is incomplete"))
        raise SsoRefusedError(reason, message, TRY_AGAIN, subject=subject) from exc
    except JoseError as exc:
        raise SsoRefusedError(
            "invalid_claims", "The sign-in could not be confirmed: its proof of identity is not valid yet", TRY_AGAIN
        ) from exc
    return claims


def _groups(settings: SsoSettings, claims: Mapping[str, Any]) -> list[str]:
    value = claims.get(settings.groups_claim, [])
    if isinstance(value, str):
        return [value]
    return [str(v) for v in value] if isinstance(value, list) else []


def roles_and_team(session: Session, settings: SsoSettings, claims: Mapping[str, Any]) -> tuple[set[Role], Team | None]:
    """The roles and team the provider's groups give; refused when no group maps to a role."""
    groups = _groups(settings, claims)
    roles = {role for g in groups for role in settings.role_map.get(g, ())}
    if not roles:
        raise SsoRefusedError(
            "unmapped_group",
            "Your account at your organisation is not in a group that may use this service",
            "Ask your manager to request access for you through your IT service desk",
            subject=str(claims.get("sub", "")) or None,
        )
    team_names = sorted({settings.team_map[g] for g in groups if g in settings.team_map})
    if len(team_names) > 1:
        raise SsoRefusedError(
            "several_teams",
            f"Your account is in groups for more than one team here ({', '.join(team_names)})",
            "Ask your IT service desk to leave you in one team's group",
            subject=str(claims.get("sub", "")) or None,
        )
    team = None
    if team_names:
        team = session.scalar(select(Team).where(Team.name == team_names[0]))
        if team is None:
            raise SsoRefusedError(
                "unknown_team",
                f"Your group's team, {team_names[0]}, has not been set up in this service",
                "Ask an administrator of this service to add the team",
                subject=str(claims.get("sub", "")) or None,
            )
    return roles, team


def sign_in_with_claims(
    session: Session, clock: Clock, settings: SsoSettings, issuer: str, claims: Mapping[str, Any]
) -> User:
    """The user for these (already checked) claims: created at first sign-in, roles and team updated
    at every sign-in, so a change made at the provider takes effect the next time the person signs in.

    A first sign-in whose username matches an existing local account takes that account over (its
    cases and history stay with the person); from then on the provider's subject is what matches.
    """
    subject = str(claims["sub"])
    roles, team = roles_and_team(session, settings, claims)
    now = clock.now()
    identity = session.scalar(select(SsoIdentity).where(SsoIdentity.issuer == issuer, SsoIdentity.subject == subject))
    username = str(claims.get(settings.username_claim) or claims.get("email") or subject)[:80]
    display_name = str(claims.get("name") or username)[:120]
    email = str(claims.get("email") or "")[:200]
    user = session.get(User, identity.user_id) if identity else None
    created = False
    if user is None:
        user = session.scalar(select(User).where(User.username == username))
    if user is None:
        user = User(username=username, display_name=display_name, email=email or username, is_active=True)
        session.add(user)
        created = True
    if not user.is_active:
        raise SsoRefusedError(
            "account_disabled",
            "Your account in this service has been switched off",
            "Ask an administrator of this service if you need it back",
            subject=subject,
        )
    before = {"roles": sorted(r.value for r in user.roles), "team_id": user.team_id}
    user.display_name = display_name
    if email:
        user.email = email
    user.role_rows = [UserRole(role=r.value) for r in sorted(roles)]
    user.team_id = team.id if team else None
    user.password_hash = None  # a local password is never a way in once the provider vouches for the person
    session.flush()
    if identity is None:
        session.add(
            SsoIdentity(issuer=issuer, subject=subject, user_id=user.id, first_signed_in_at=now, last_signed_in_at=now)
        )
    else:
        identity.last_signed_in_at = now
    new_roles = sorted(r.value for r in roles)
    after: dict[str, Any] = {"roles": new_roles, "team_id": user.team_id}
    if created:
        record_event(
            session,
            clock,
            user,
            "user_created",
            f"User {user.username} created at first single sign-on with roles {', '.join(new_roles)}",
            detail={"user_id": user.id, "issuer": issuer, "subject": subject, **after},
        )
    elif before != after:
        record_event(
            session,
            clock,
            user,
            "user_updated",
            f"User {user.username} changed at single sign-on: roles {', '.join(new_roles)}",
            detail={"user_id": user.id, "before": before, "after": after},
        )
    record_event(
        session,
        clock,
        user,
        "signed_in",
        f"{user.display_name} signed in through single sign-on",
        detail={"issuer": issuer, "subject": subject},
    )
    return user


def record_sso_refusal(session: Session, clock: Clock, error: SsoRefusedError, issuer: str | None) -> None:
    """An audit event for a refused single sign-on (written by the caller in its own transaction)."""
    record_event(
        session,
        clock,
        None,
        "sign_in_refused",
        f"Single sign-on refused: {error.message}",
        detail={"reason": error.reason, "issuer": issuer, "subject": error.subject},
    )
