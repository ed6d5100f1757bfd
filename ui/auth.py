"""Logins and roles: HTTP Basic authentication in front of every route, and who may do what.

Gradio's own `auth` leaves the page shell, theme, manifest and some API routes open; this
middleware answers 401 to anything without the login, so nothing is served to a stranger.
Browsers ask for the login themselves; API clients send an Authorization header.

Each login is a `reader` (chat, search, evaluations of the offered question sets) or an
`admin` (also adds, uploads and deletes articles, and may point a session at a model server
of its own). Handlers ask `Access.role(request)` on the server for every action: hiding a
button in the page is only a convenience, never the check."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

Role = Literal["reader", "admin"]
ROLES: tuple[Role, ...] = ("reader", "admin")
# Gradio polls this route on itself while starting; it says only whether startup finished.
UNAUTHENTICATED_PATHS = frozenset({"/gradio_api/startup-events"})
# Routes that check their own credentials (API keys or the login) and answer 401 in the JSON
# shape their clients expect (ui/openai_api.py).
SELF_CHECKED_PREFIXES = ("/v1/", "/api/")
SCRYPT_PREFIX = "scrypt$"
# scrypt's interactive-login cost (RFC 7914 suggests N=2^14, r=8 for such use): ~50 ms here.
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


@dataclass(frozen=True)
class User:
    name: str
    secret: str  # the password, or its scrypt hash (see hash_password)
    role: Role = "reader"


def hash_password(password: str, salt: bytes | None = None) -> str:
    """`scrypt$N$r$p$salt$digest` (base64, no colons), for a line of the --auth file."""
    salt = salt or os.urandom(16)
    digest = hashlib.scrypt(
        password.encode(), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P, dklen=32
    )
    encoded = [base64.b64encode(part).decode() for part in (salt, digest)]
    return f"{SCRYPT_PREFIX}{SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${encoded[0]}${encoded[1]}"


def password_matches(password: str, secret: str) -> bool:
    """Constant-time comparison with a plain password or an scrypt hash."""
    if not secret.startswith(SCRYPT_PREFIX):
        return hmac.compare_digest(password.encode(), secret.encode())
    try:
        n, r, p, salt, digest = secret[len(SCRYPT_PREFIX) :].split("$")
        expected = base64.b64decode(digest, validate=True)
        computed = hashlib.scrypt(
            password.encode(),
            salt=base64.b64decode(salt, validate=True),
            n=int(n),
            r=int(r),
            p=int(p),
            dklen=len(expected),
            maxmem=2**28,
        )
    except (ValueError, binascii.Error):
        return False
    return hmac.compare_digest(computed, expected)


def parse_user(line: str) -> User:
    """`USER:PASS` or `USER:PASS:ROLE`; a last part that is no role belongs to the password."""
    name, _, rest = line.strip().partition(":")
    secret, _, maybe_role = rest.rpartition(":")
    if maybe_role in ROLES and secret:
        role: Role = "admin" if maybe_role == "admin" else "reader"
    else:
        secret, role = rest, "reader"
    if not name or not secret:
        raise ValueError(
            "--auth wants USER:PASS[:ROLE] or a file with one such line each (ROLE: reader or "
            "admin; PASS may be a hash from `newsrag hash-password`)"
        )
    return User(name, secret, role)


def read_auth(spec: str | None) -> list[User] | None:
    """`USER:PASS[:ROLE]`, or a file of such lines (keeps passwords out of the shell history)."""
    if not spec:
        return None
    path = Path(spec).expanduser()
    lines = path.read_text(encoding="utf-8").splitlines() if path.is_file() else [spec]
    users = [parse_user(line) for line in lines if line.strip() and not line.startswith("#")]
    if not users:
        raise ValueError("--auth names no users")
    names = [u.name for u in users]
    if len(set(names)) != len(names):
        raise ValueError("--auth names a user twice")
    return users


def read_api_keys(path: str | None) -> dict[str, Role] | None:
    """A file of `KEY` or `KEY:ROLE` lines (a key alone is a reader's)."""
    if not path:
        return None
    keys: dict[str, Role] = {}
    for line in Path(path).expanduser().read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        key, _, role = line.strip().rpartition(":")
        if role not in ROLES:
            key, role = line.strip(), "reader"
        if len(key) < 8 or any(c.isspace() for c in key):
            raise ValueError("--api-keys: each key needs 8 or more characters and no spaces")
        keys[key] = "admin" if role == "admin" else "reader"
    if not keys:
        raise ValueError("--api-keys names no keys")
    return keys


class Access:
    """Who is asking, from the request's Basic credentials, and what their role allows."""

    def __init__(
        self,
        users: list[User] | None,
        host: str = "127.0.0.1",
        api_keys: dict[str, Role] | None = None,
    ) -> None:
        self.users = {u.name: u for u in users or []}
        self.api_keys = api_keys or {}
        # Without logins, the one local user of a loopback app is its admin, as before; an app
        # bound beyond loopback without logins lets nobody change the library.
        self.default_role: Role = "admin" if host in LOOPBACK_HOSTS else "reader"
        self._verified: dict[bytes, str] = {}  # sha256(header) -> user; scrypt once per login
        # what an unknown name is checked against, so that it costs one scrypt like a known one
        self._decoy = hash_password("", salt=b"newsrag-decoy-16")

    @property
    def enabled(self) -> bool:
        return bool(self.users)

    def user_for(self, header: str) -> User | None:
        """The user whose valid login the Authorization header carries, else None."""
        key = hashlib.sha256(header.encode("latin-1", "replace")).digest()
        if key in self._verified:
            return self.users.get(self._verified[key])
        scheme, _, encoded = header.partition(" ")
        if scheme.lower() != "basic":
            return None
        try:
            name, _, password = base64.b64decode(encoded, validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return None
        user = self.users.get(name)
        # a made-up user costs the same check as a real one: timing tells no names apart
        secret = user.secret if user else self._decoy
        if not password_matches(password, secret) or user is None:
            return None
        if len(self._verified) > 1024:  # bounded: a flood of logins cannot grow it
            self._verified.clear()
        self._verified[key] = name
        return user

    def role(self, request: Any) -> Role:
        """The role of the login on a gr.Request (or anything with `headers`)."""
        if not self.enabled:
            return self.default_role
        headers = getattr(request, "headers", None) or {}
        user = self.user_for(str(headers.get("authorization", "")))
        return user.role if user else "reader"

    def api_role(self, authorization: str) -> Role | None:
        """The role for an API call (/v1, /api): a Bearer key when keys are configured, else
        the login when logins are, else the default role; None: not allowed."""
        if self.api_keys:
            scheme, _, key = authorization.partition(" ")
            matches = [(hmac.compare_digest(key.strip(), k), r) for k, r in self.api_keys.items()]
            found = [role for ok, role in matches if ok]
            return found[0] if scheme.lower() == "bearer" and found else None
        if self.enabled:
            user = self.user_for(authorization)
            return user.role if user else None
        return self.default_role

    def require_admin(self, request: Any, action: str) -> None:
        if self.role(request) != "admin":
            raise PermissionError(f"readers cannot {action}; ask an admin")


class BasicAuthMiddleware:
    """ASGI middleware: 401 with a Basic challenge unless the request carries a valid login."""

    def __init__(self, app: Any, access: Access) -> None:
        self.app = app
        self.access = access

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        path = scope.get("path", "")
        if (
            scope["type"] not in ("http", "websocket")
            or path in UNAUTHENTICATED_PATHS
            or path.startswith(SELF_CHECKED_PREFIXES)
        ):
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        if self.access.user_for(headers.get(b"authorization", b"").decode("latin-1")):
            await self.app(scope, receive, send)
            return
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})
            return
        await send(
            {
                "type": "http.response.start",
                "status": 401,
                "headers": [
                    (b"www-authenticate", b'Basic realm="newsrag", charset="UTF-8"'),
                    (b"content-type", b"text/plain; charset=utf-8"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": b"newsrag: login required\n"})
