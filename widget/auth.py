"""API-key authentication: the one place that decides whether a request carries a valid key.

Keys are never stored: the settings hold their SHA-256 digests (``api_keys``), so a
leaked configuration file gives nobody a key. A presented key is hashed and compared
with every configured digest in constant time (``hmac.compare_digest``), and all of them
are compared whatever the outcome, so timing tells nothing about which digest nearly
matched. Keys are random 256-bit tokens (``askfind api-key``): a fast hash is enough,
there is no password to guess.

A key may come as ``Authorization: Bearer <key>``, as ``X-API-Key: <key>`` (scripts),
or as the password of HTTP Basic authentication (a browser's login prompt on internal
pages; the user name is ignored).

Webhooks authenticate differently: the sender signs the body with a shared secret
(``signature_matches``), compared in constant time too.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any, TypeVar

from flask import Request, current_app, g, request
from werkzeug.datastructures import WWWAuthenticate
from werkzeug.exceptions import Unauthorized

KEY_BYTES = 32
API_KEY_HEADER = "X-API-Key"
# Browsers show their login prompt for Basic; scripts read the realm and use Bearer.
REALM = "askfind"
F = TypeVar("F", bound=Callable[..., Any])
# Named in every 401: where a key comes from, where its digest goes, how to send it.
HOW_TO_SEND_A_KEY = (
    "`askfind api-key` makes a key; its digest goes into the setting api_keys "
    "(ASKFIND_API_KEYS), and the key into 'Authorization: Bearer <key>', 'X-API-Key: <key>' "
    "or the password of a login prompt"
)


@dataclass(frozen=True, slots=True)
class Principal:
    """Who a request authenticated as: the digest prefix names the key in logs and limits."""

    key_id: str


def new_api_key() -> str:
    """A fresh random key (URL-safe, 43 characters)."""
    return secrets.token_urlsafe(KEY_BYTES)


def digest_of(key: str) -> str:
    """The SHA-256 hex digest of a key: what ``api_keys`` holds."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def presented_key(req: Request) -> str | None:
    """The key a request carries, from whichever header it uses (None when none)."""
    header = req.headers.get("Authorization", "")
    scheme, _, credentials = header.partition(" ")
    if scheme.lower() == "bearer" and credentials.strip():
        return credentials.strip()
    if scheme.lower() == "basic" and credentials.strip():
        try:
            decoded = base64.b64decode(credentials.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return None
        return decoded.partition(":")[2] or None
    key = req.headers.get(API_KEY_HEADER, "").strip()
    return key or None


def authenticate(req: Request, digests: tuple[str, ...]) -> Principal | None:
    """The principal of a request with a valid key; None without one or with a wrong one."""
    key = presented_key(req)
    if key is None or not digests:
        return None
    candidate = digest_of(key)
    matched: str | None = None
    for digest in digests:  # every digest, always: no early exit to time
        if hmac.compare_digest(candidate, digest):
            matched = digest
    return Principal(key_id=matched[:12]) if matched else None


def signature_matches(body: bytes, secret: str, header: str | None) -> bool:
    """Tell whether ``header`` is ``sha256=<hex HMAC-SHA256 of body under secret>``.

    An empty secret matches nothing: a hook without one configured accepts no delivery.
    """
    if not secret or not header:
        return False
    scheme, _, presented = header.strip().partition("=")
    if scheme.lower() != "sha256":
        return False
    expected = hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()
    # Bytes: compare_digest refuses str with non-ASCII characters, which a header may hold.
    return hmac.compare_digest(expected.encode(), presented.strip().lower().encode("utf-8"))


def current_principal() -> Principal | None:
    """This request's principal (authenticated once per request, on first ask)."""
    if "askfind_principal" not in g:
        from widget.context import engine_of

        g.askfind_principal = authenticate(request, engine_of(current_app).settings.api_keys)
    principal: Principal | None = g.askfind_principal
    return principal


def require_api_key(view: F) -> F:
    """Let a view run only for requests with a valid API key; 401 with a challenge otherwise."""

    @wraps(view)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        if current_principal() is None:
            raise unauthorized()
        return view(*args, **kwargs)

    return guarded  # type: ignore[return-value]


def unauthorized(message: str | None = None) -> Unauthorized:
    """A 401 with the login challenge; ``message`` by default says what was wrong with the
    key and how to send one, with the settings to use."""
    from widget.context import engine_of

    if message is None:
        if not engine_of(current_app).settings.api_keys:
            problem = "this needs an API key, and none is configured"
        elif presented_key(request) is None:
            problem = "this needs an API key"
        else:
            problem = "the API key is not valid"
        message = f"{problem}. {HOW_TO_SEND_A_KEY}"
    challenge = WWWAuthenticate("basic", {"realm": REALM, "charset": "UTF-8"})
    return Unauthorized(message, www_authenticate=challenge)
