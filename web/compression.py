"""Light pages: gzip for assets and API answers, and a ``Cache-Control`` on static assets.

A page is about 250 KB uncompressed, nearly all of it GOV.UK Frontend's CSS and JavaScript and bpmn-js; gzip
takes that to about a fifth, and the cache header means a browser fetches them once a day, not on every page.

HTML pages are left uncompressed on purpose. They carry the session's CSRF token and echo what a person typed
(a search, a form sent back with its errors); compressing a secret beside attacker-chosen text in one response
is what the BREACH attack reads over HTTPS. Pages are a few kilobytes, so leaving them as they are costs little.
"""

from __future__ import annotations

from starlette.middleware.gzip import GZipMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Mounted asset folders (web/app.py). GOV.UK Frontend and bpmn-js change only when package-lock.json does;
# our own CSS and JavaScript change with a release, so they are cached for an hour and then revalidated
# (StaticFiles answers with an ETag, so revalidation is a 304 without the body).
STATIC_PREFIXES: dict[str, str] = {
    "/assets/": "public, max-age=604800",
    "/static/govuk/": "public, max-age=604800",
    "/static/bpmn-js/": "public, max-age=604800",
    "/static/app/": "public, max-age=3600",
}
COMPRESSED_PREFIXES = (*STATIC_PREFIXES, "/api/")
MINIMUM_SIZE = 500  # bytes: below this gzip's header outweighs what it saves


class CompressionAndCachingMiddleware:
    """gzip for assets and the API (see the module's note on pages), and cache headers on assets."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.gzip = GZipMiddleware(app, minimum_size=MINIMUM_SIZE)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        cache = next((value for prefix, value in STATIC_PREFIXES.items() if path.startswith(prefix)), None)

        async def send_with_cache(message: Message) -> None:
            if cache and message["type"] == "http.response.start" and message["status"] in (200, 304):
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"cache-control", cache.encode())]
            await send(message)

        inner = self.gzip if path.startswith(COMPRESSED_PREFIXES) else self.app
        await inner(scope, receive, send_with_cache)
