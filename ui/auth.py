"""HTTP Basic authentication in front of every route of the app.

Gradio's own `auth` leaves the page shell, theme, manifest and some API routes open; this
middleware answers 401 to anything without the login, so nothing is served to a stranger.
Browsers ask for the login themselves; API clients send an Authorization header."""

from __future__ import annotations

import base64
import binascii
import hmac
from pathlib import Path
from typing import Any

# Gradio polls this route on itself while starting; it says only whether startup finished.
UNAUTHENTICATED_PATHS = frozenset({"/gradio_api/startup-events"})


def read_auth(spec: str | None) -> list[tuple[str, str]] | None:
    """`USER:PASS`, or a file of such lines (keeps passwords out of the shell history)."""
    if not spec:
        return None
    path = Path(spec).expanduser()
    lines = path.read_text(encoding="utf-8").splitlines() if path.is_file() else [spec]
    pairs = [line.strip().split(":", 1) for line in lines if line.strip()]
    if not pairs or any(len(p) != 2 or not p[0] or not p[1] for p in pairs):
        raise ValueError("--auth wants USER:PASS or a file with one USER:PASS a line")
    return [(p[0], p[1]) for p in pairs]


def credentials_ok(header: str, users: list[tuple[str, str]]) -> bool:
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic":
        return False
    try:
        user, _, password = base64.b64decode(encoded, validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return False
    # compare every pair in constant time, so timing tells nothing about which part was wrong
    matches = [hmac.compare_digest(f"{user}:{password}", f"{u}:{p}") for u, p in users]
    return any(matches)


class BasicAuthMiddleware:
    """ASGI middleware: 401 with a Basic challenge unless the request carries a valid login."""

    def __init__(self, app: Any, users: list[tuple[str, str]]) -> None:
        self.app = app
        self.users = users

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] not in ("http", "websocket") or scope["path"] in UNAUTHENTICATED_PATHS:
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        if credentials_ok(headers.get(b"authorization", b"").decode("latin-1"), self.users):
            await self.app(scope, receive, send)
            return
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})
            return
        await send({"type": "http.response.start", "status": 401, "headers": [
            (b"www-authenticate", b'Basic realm="newsrag", charset="UTF-8"'),
            (b"content-type", b"text/plain; charset=utf-8")]})  # fmt: skip
        await send({"type": "http.response.body", "body": b"newsrag: login required\n"})
