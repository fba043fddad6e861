"""ASGI middleware: a cap on request bodies, and security headers on every response."""

from __future__ import annotations

import contextlib
import json
import secrets
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

MAX_BODY_BYTES = 1_000_000


class BodyTooLargeError(Exception):
    pass


def _too_large_body() -> bytes:
    return json.dumps(
        {
            "error": f"The request body is larger than {MAX_BODY_BYTES // 1_000_000} MB",
            "hint": "Send less data; attach large documents another way",
            "fields": {},
        }
    ).encode()


class BodyLimitMiddleware:
    """Refuse bodies over ``limit`` bytes with 413 before any handler runs (nothing is changed).

    Checks ``Content-Length`` up front and also counts a chunked body as it arrives.
    """

    def __init__(self, app: ASGIApp, limit: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        length = headers.get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > self.limit):
            await self._refuse(send)
            return
        received = 0
        too_large = False
        started = False

        async def limited_receive() -> Message:
            nonlocal received, too_large
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    too_large = True
                    raise BodyTooLargeError
            return message

        async def tracking_send(message: Message) -> None:
            # Once the body is known to be too large, whatever the app answers (a parsing error) is replaced.
            nonlocal started
            if too_large:
                return
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        with contextlib.suppress(BodyTooLargeError):  # answered below
            await self.app(scope, limited_receive, tracking_send)
        if too_large and not started:
            await self._refuse(send)

    async def _refuse(self, send: Send) -> None:
        body = _too_large_body()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
            }
        )
        await send({"type": "http.response.body", "body": body})


def content_security_policy(nonce: str) -> str:
    """The pages' policy: scripts only from here or inline with this request's nonce (also used by the
    last-resort error page in web/observability.py, which is answered outside this middleware)."""
    return (
        f"default-src 'self'; script-src 'self' 'nonce-{nonce}'; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; font-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
    )


class SecurityHeadersMiddleware:
    """A per-request CSP nonce (``scope['state']['csp_nonce']``) and the usual protective headers."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        nonce = secrets.token_urlsafe(16)
        scope.setdefault("state", {})["csp_nonce"] = nonce
        policy = content_security_policy(nonce)
        extra: list[tuple[bytes, bytes]] = [
            (b"x-content-type-options", b"nosniff"),
            (b"x-frame-options", b"DENY"),
            (b"referrer-policy", b"same-origin"),
        ]
        if not str(scope.get("path", "")).startswith(("/static/", "/assets/")):
            extra.append((b"cache-control", b"no-store"))  # case data never lingers in a shared cache

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers: list[Any] = list(message.get("headers", []))
                names = {h[0].lower() for h in headers}
                if b"content-type" in names and any(
                    h[0].lower() == b"content-type" and h[1].startswith(b"text/html") for h in headers
                ):
                    headers.append((b"content-security-policy", policy.encode()))
                headers.extend(h for h in extra if h[0] not in names)
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)
