"""A real OpenID Connect provider for the tests, built with Authlib's server side (on Flask) and served
by Werkzeug on a free loopback port: discovery document, an authorization page with a sign-in form,
a token endpoint (client secret and PKCE checked), and a JWKS endpoint with the signing key.

``fault`` makes the next ID tokens wrong in one way a real provider (or an attacker) might: meant
for another audience, already expired, or signed with a key that is not the published one.
"""

from __future__ import annotations

import secrets
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.oauth2.rfc6749 import grants
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oidc.core import UserInfo
from authlib.oidc.core.grants import OpenIDCode
from flask import Flask, request
from joserfc.jwk import KeySet, RSAKey
from markupsafe import escape
from werkzeug.serving import make_server

CLIENT_ID = "safeshare-test-client"
CLIENT_SECRET = "test-client-secret-" + "s" * 20


@dataclass
class Account:
    """A person with an account at the provider."""

    sub: str
    username: str
    name: str
    email: str
    groups: list[str]


@dataclass
class Client:
    client_id: str
    client_secret: str
    redirect_uris: list[str]

    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> str:
        return self.redirect_uris[0]

    def get_allowed_scope(self, scope: str) -> str:
        allowed = {"openid", "profile", "email"}
        return " ".join(s for s in scope.split() if s in allowed)

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return redirect_uri in self.redirect_uris

    def check_client_secret(self, client_secret: str) -> bool:
        return secrets.compare_digest(client_secret, self.client_secret)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return method in ("client_secret_basic", "client_secret_post")

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type == "authorization_code"


@dataclass
class Code:
    code: str
    client_id: str
    redirect_uri: str
    scope: str
    user: Account
    nonce: str | None
    code_challenge: str | None
    code_challenge_method: str | None
    auth_time: int

    def get_redirect_uri(self) -> str:
        return self.redirect_uri

    def get_scope(self) -> str:
        return self.scope

    def get_nonce(self) -> str | None:
        return self.nonce

    def get_auth_time(self) -> int:
        return self.auth_time

    def get_acr(self) -> None:
        return None

    def get_amr(self) -> None:
        return None


@dataclass
class Provider:
    """The running provider; ``issuer`` is its base address."""

    issuer: str
    accounts: dict[str, Account]
    clients: dict[str, Client]
    key: RSAKey
    other_key: RSAKey
    fault: str | None = None
    now: Any = field(default=time.time)
    codes: dict[str, Code] = field(default_factory=dict)

    def register_redirect(self, uri: str) -> None:
        self.clients[CLIENT_ID].redirect_uris.append(uri)


def _build(provider: Provider) -> Flask:
    app = Flask("test-oidc-provider")

    def query_client(client_id: str) -> Client | None:
        return provider.clients.get(client_id)

    def save_token(token: dict[str, Any], req: Any) -> None:
        """Access tokens are not used by the service (it reads the ID token), so none are kept."""

    server = AuthorizationServer(app, query_client=query_client, save_token=save_token)

    class CodeGrant(grants.AuthorizationCodeGrant):
        TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]

        def save_authorization_code(self, code: str, req: Any) -> None:
            payload = req.payload
            provider.codes[code] = Code(
                code=code,
                client_id=req.client.get_client_id(),
                redirect_uri=payload.redirect_uri,
                scope=payload.scope,
                user=req.user,
                nonce=payload.data.get("nonce"),
                code_challenge=payload.data.get("code_challenge"),
                code_challenge_method=payload.data.get("code_challenge_method"),
                auth_time=int(provider.now()),
            )

        def query_authorization_code(self, code: str, client: Client) -> Code | None:
            found = provider.codes.get(code)
            return found if found and found.client_id == client.get_client_id() else None

        def delete_authorization_code(self, authorization_code: Code) -> None:
            provider.codes.pop(authorization_code.code, None)

        def authenticate_user(self, authorization_code: Code) -> Account:
            return authorization_code.user

    class IdToken(OpenIDCode):
        def resolve_client_private_key(self, client: Client) -> RSAKey:
            return provider.other_key if provider.fault == "bad_signature" else provider.key

        def get_client_algorithm(self, client: Client) -> str:
            return "RS256"

        def get_encode_header(self, client: Client) -> dict[str, str]:
            return {"alg": "RS256", "kid": str(provider.key.kid)}  # a forged token names the published key

        def get_client_claims(self, client: Client) -> dict[str, Any]:
            now = int(provider.now())
            audience = "some-other-service" if provider.fault == "wrong_audience" else client.get_client_id()
            expires = now - 600 if provider.fault == "expired" else now + 300
            return {"iss": provider.issuer, "aud": [audience], "iat": now - (900 if provider.fault == "expired"
                                                                            else 0), "exp": expires}

        def exists_nonce(self, nonce: str, req: Any) -> bool:
            return any(c.nonce == nonce for c in provider.codes.values())

        def generate_user_info(self, user: Account, scope: str) -> UserInfo:
            return UserInfo(
                sub=user.sub, name=user.name, preferred_username=user.username, email=user.email, groups=user.groups
            )

    server.register_grant(CodeGrant, [IdToken(require_nonce=True), CodeChallenge(required=True)])

    @app.get("/.well-known/openid-configuration")
    def discovery() -> dict[str, Any]:
        return {
            "issuer": provider.issuer,
            "authorization_endpoint": f"{provider.issuer}/authorize",
            "token_endpoint": f"{provider.issuer}/token",
            "jwks_uri": f"{provider.issuer}/jwks",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "code_challenge_methods_supported": ["S256"],
        }

    @app.get("/jwks")
    def jwks() -> dict[str, Any]:
        return KeySet([provider.key]).as_dict(private=False)

    @app.route("/authorize", methods=["GET", "POST"])
    def authorize() -> Any:
        if request.method == "GET":
            server.get_consent_grant(end_user=None)  # checks the client, redirect address and PKCE first
            options = "".join(
                f'<option value="{escape(a.username)}">{escape(a.name)}</option>' for a in provider.accounts.values()
            )
            return (
                "<!doctype html><html lang='en'><head><title>Test identity provider</title></head><body><main>"
                "<h1>Test identity provider: sign in</h1>"
                f"<form method='post' action='/authorize?{escape(request.query_string.decode())}'>"
                f"<label for='account'>Account</label><select id='account' name='account'>{options}</select>"
                "<button type='submit'>Continue</button></form></main></body></html>"
            )
        account = provider.accounts.get(request.form.get("account", ""))
        return server.create_authorization_response(grant_user=account)

    @app.post("/token")
    def issue_token() -> Any:
        return server.create_token_response()

    return app


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def running_provider(accounts: list[Account]) -> Iterator[Provider]:
    """Start the provider on a free loopback port; stop it when the block ends."""
    port = free_port()
    issuer = f"http://127.0.0.1:{port}"
    provider = Provider(
        issuer=issuer,
        accounts={a.username: a for a in accounts},
        clients={CLIENT_ID: Client(CLIENT_ID, CLIENT_SECRET, [])},
        key=RSAKey.generate_key(2048, parameters={"kid": "signing-1"}, private=True),
        other_key=RSAKey.generate_key(2048, parameters={"kid": "signing-1"}, private=True),
    )
    server = make_server("127.0.0.1", port, _build(provider), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield provider
    finally:
        server.shutdown()
        thread.join(timeout=10)
