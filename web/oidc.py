"""Sign-in through the partnership's identity provider (OpenID Connect, authorization code flow with PKCE).

Included by :func:`web.app.create_app` only when single sign-on is configured, and ahead of the
password sign-in routes, so that the same addresses then answer for single sign-on: the sign-in
page offers the provider's button, and a posted password (page or API) is refused.

The flow: ``/sign-in/sso`` keeps a fresh state, nonce and PKCE verifier in the (signed) session and
sends the browser to the provider; the provider sends it back to ``/sign-in/sso/callback`` with a
code, which is exchanged for tokens over a direct call; the ID token is checked against the
provider's published keys (:func:`safeshare.services.sso.check_id_token`). The state is taken out of
the session on first use, so a replayed callback is refused. Every refusal shows a page in plain
words and writes an audit event.
"""

from __future__ import annotations

import logging
import secrets
from typing import Any

import httpx
from authlib.integrations.httpx_client import OAuth2Client
from authlib.oauth2.rfc6749.errors import OAuth2Error
from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from safeshare.core.errors import PermissionDeniedError
from safeshare.services.sso import (
    TRY_AGAIN,
    ProviderUnavailableError,
    SsoRefusedError,
    SsoSettings,
    check_id_token,
    record_sso_refusal,
    sign_in_with_claims,
)
from web.auth import safeshare_app, sign_in_session
from web.templating import render

log = logging.getLogger("safeshare.web.oidc")
router = APIRouter(include_in_schema=False)
SESSION_KEY = "oidc_pending"
#: Seconds to wait for the identity provider before telling the person it is not answering.
PROVIDER_TIMEOUT = 10.0


def sso_settings(request: Request) -> SsoSettings:
    settings: SsoSettings = request.app.state.sso
    return settings


def _safe_next(target: str | None) -> str:
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/tasks"


def _fetch_json(url: str) -> dict[str, Any]:
    try:
        response = httpx.get(url, timeout=PROVIDER_TIMEOUT, follow_redirects=False)
        response.raise_for_status()
        data = response.json()
    except (httpx.HTTPError, ValueError) as exc:
        log.warning("identity provider unreachable at %s: %s", url, exc)
        raise ProviderUnavailableError(
            "Your organisation's sign-in service is not answering at the moment",
            "Try again in a few minutes. If it keeps happening, contact your IT service desk",
        ) from exc
    if not isinstance(data, dict):
        raise ProviderUnavailableError(
            "Your organisation's sign-in service gave an answer this service cannot use",
            "Contact your IT service desk",
        )
    return data


def provider_metadata(settings: SsoSettings) -> dict[str, Any]:
    """The provider's discovery document (issuer, endpoints, key set address)."""
    metadata = _fetch_json(settings.metadata_url)
    missing = [k for k in ("issuer", "authorization_endpoint", "token_endpoint", "jwks_uri") if not metadata.get(k)]
    if missing:
        raise ProviderUnavailableError(
            "Your organisation's sign-in service gave an answer this service cannot use",
            "Contact your IT service desk",
        )
    return metadata


def _redirect_uri(request: Request, settings: SsoSettings) -> str:
    return settings.redirect_url or str(request.url_for("oidc_callback"))


def _sign_in_page(request: Request, *, next_url: str = "/tasks", error: str = "", status_code: int = 200) -> Response:
    settings = sso_settings(request)
    context = {
        "title": "Sign in",
        "next": next_url,
        "provider_name": settings.provider_name,
        "error": error,
    }
    return render(request, "sign_in_sso.html", context, status_code=status_code)


@router.get("/sign-in")
def sign_in_page(request: Request, next: str = "/tasks") -> Response:
    return _sign_in_page(request, next_url=_safe_next(next))


@router.post("/sign-in")
def password_sign_in_refused(request: Request) -> Response:
    return _sign_in_page(
        request,
        error="This service does not use passwords. Sign in with your organisation account instead",
        status_code=403,
    )


@router.post("/api/auth/token")
def api_password_sign_in_refused() -> Response:
    raise PermissionDeniedError(
        "This service does not take passwords: people sign in with their organisation account",
        "Sign in on the web pages with your organisation account",
    )


@router.get("/sign-in/sso")
def start(request: Request, next: str = "/tasks") -> Response:
    """Send the browser to the provider, keeping what we will check on its return in the session."""
    settings = sso_settings(request)
    try:
        metadata = provider_metadata(settings)
    except ProviderUnavailableError as exc:
        return _sign_in_page(request, next_url=_safe_next(next), error=f"{exc.message}. {exc.hint}", status_code=503)
    state = secrets.token_urlsafe(32)
    nonce = secrets.token_urlsafe(32)
    verifier = secrets.token_urlsafe(48)
    client = OAuth2Client(
        settings.client_id, scope=settings.scopes, redirect_uri=_redirect_uri(request, settings),
        code_challenge_method="S256",
    )
    url, _ = client.create_authorization_url(
        metadata["authorization_endpoint"], state=state, nonce=nonce, code_verifier=verifier
    )
    request.session[SESSION_KEY] = {"state": state, "nonce": nonce, "verifier": verifier, "next": _safe_next(next)}
    return RedirectResponse(url, status_code=302)


def _refused(request: Request, error: SsoRefusedError, issuer: str | None) -> Response:
    app = safeshare_app(request)
    with app.transaction() as session:
        record_sso_refusal(session, app.clock, error, issuer)
    context = {"title": "You could not be signed in", "message": error.message, "hint": error.hint}
    return render(request, "sso_refused.html", context, status_code=error.status_code)


@router.get("/sign-in/sso/callback", name="oidc_callback")
def callback(request: Request) -> Response:
    """Check the provider's answer, then sign the person in (creating or updating their account)."""
    settings = sso_settings(request)
    pending = request.session.pop(SESSION_KEY, None)
    params = request.query_params
    if not isinstance(pending, dict) or not secrets.compare_digest(str(pending.get("state")), params.get("state", "")):
        return _refused(
            request,
            SsoRefusedError(
                "replayed_state",
                "This sign-in link has already been used, or it was not started from this browser",
                "Go back to the sign-in page and sign in again",
            ),
            None,
        )
    if params.get("error"):
        return _refused(
            request,
            SsoRefusedError(
                "provider_refused",
                "Your organisation's sign-in service did not sign you in",
                TRY_AGAIN,
            ),
            None,
        )
    try:
        metadata = provider_metadata(settings)
        issuer = str(metadata["issuer"])
        client = OAuth2Client(
            settings.client_id,
            settings.client_secret,
            token_endpoint_auth_method="client_secret_basic",
            redirect_uri=_redirect_uri(request, settings),
            timeout=PROVIDER_TIMEOUT,
        )
        try:
            token = client.fetch_token(
                metadata["token_endpoint"], code=params.get("code", ""), code_verifier=pending["verifier"]
            )
        except (OAuth2Error, httpx.HTTPError) as exc:
            log.warning("code exchange refused: %s", exc)
            return _refused(
                request,
                SsoRefusedError(
                    "code_refused", "Your organisation's sign-in service would not confirm this sign-in", TRY_AGAIN
                ),
                issuer,
            )
        finally:
            client.close()
        id_token = token.get("id_token")
        if not id_token:
            return _refused(
                request,
                SsoRefusedError(
                    "no_id_token", "Your organisation's sign-in service sent no proof of identity", TRY_AGAIN
                ),
                issuer,
            )
        jwks = _fetch_json(str(metadata["jwks_uri"]))
    except ProviderUnavailableError as exc:
        return _sign_in_page(request, next_url=str(pending.get("next")), error=f"{exc.message}. {exc.hint}",
                             status_code=503)
    app = safeshare_app(request)
    try:
        claims = check_id_token(
            str(id_token), jwks, issuer=issuer, client_id=settings.client_id, nonce=str(pending["nonce"]),
            clock=app.clock,
        )
        with app.transaction() as session:
            user = sign_in_with_claims(session, app.clock, settings, issuer, claims)
            user_id, version = user.id, user.session_version
    except SsoRefusedError as exc:
        return _refused(request, exc, issuer)
    sign_in_session(request, user_id, version)
    return RedirectResponse(_safe_next(str(pending.get("next"))), status_code=303)
