"""Who may use the agents' page: the one check behind ``/agent`` and ``/api/agent/``.

The page is an internal tool; ``agent_auth`` says how it is protected:

- ``api-key``: a key of ``api_keys``, checked by :mod:`widget.auth` (the same keys and the
  same check as the write API). A browser sends it as the password of its login prompt
  (HTTP Basic; any user name), scripts as a header.
- ``password``: a user of ``agent_users`` with their password (HTTP Basic), checked
  against a salted scrypt hash (``askfind agent-user NAME`` makes one).
- ``off``: no check, for a deployment behind a proxy that authenticates agents itself.

What an agent may see beyond the public threads is what ``agent_groups`` grants their
name (``request_viewer_groups``): the agents' endpoints and ``/api/search`` with an
agent's credentials show those restricted threads, nothing else ever does.

Wrong credentials are limited per address and per user name (:mod:`widget.signin_limits`)
and password checks are bounded (:mod:`widget.password_checks`): guessing gets 429 and
never slows the public API.

Either way the browser shows its own login prompt (a 401 with a Basic challenge) and then
sends the credentials with every same-origin request of the page, its fetches included.
"""

from __future__ import annotations

import secrets
import string
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import current_app, g, request
from werkzeug.datastructures import WWWAuthenticate
from werkzeug.exceptions import TooManyRequests, Unauthorized
from werkzeug.security import generate_password_hash

from indexer.visibility import viewer_groups
from widget import metrics
from widget.auth import API_KEY_HEADER, current_principal, presented_key
from widget.context import engine_of
from widget.limits import client_of, retry_after
from widget.runtime import runtime_of

REALM = "askfind agents"
# Named in every 401, whatever agent_auth is: the message is also how one learns the other.
SIGN_IN_WAYS = (
    "Two ways to sign in: an API key (setting agent_auth = api-key, the default): "
    "`askfind api-key` makes one, its digest goes into api_keys (ASKFIND_API_KEYS), the key "
    "into the browser's login prompt as the password (any user name) or into "
    "'Authorization: Bearer <key>'; or a user and password (agent_auth = password, "
    "ASKFIND_AGENT_AUTH=password): `askfind agent-user NAME` prints the entry for "
    "agent_users (ASKFIND_AGENT_USERS)"
)
F = TypeVar("F", bound=Callable[..., Any])
# Generated passwords: letters and digits only, so that none starts or ends with what reads
# as punctuation ("password -pdjs22GRub5"); 13 of 62 are 77 bits, more than 9 random bytes.
PASSWORD_ALPHABET = string.ascii_letters + string.digits
PASSWORD_CHARS = 13


class TooManySignIns(TooManyRequests):
    """429: too many failed sign-ins from this address or for this user name."""


class InvalidAgentUser(ValueError):
    """An ``agent_users`` entry that cannot be made; ``parameter``: "name" or "password",
    the one at fault, for the command line to name its own argument or option."""

    def __init__(self, message: str, parameter: str) -> None:
        super().__init__(message)
        self.parameter = parameter


def password_entry(name: str, password: str) -> str:
    """An ``agent_users`` entry: the name and a salted hash of the password.

    Raises:
        InvalidAgentUser: the name is empty or holds ':' or ',' (the entry's separators),
            or the password is empty (anyone could sign in with it).
    """
    if not name or ":" in name or "," in name:
        raise InvalidAgentUser("a user name must not be empty or contain ':' or ','", "name")
    if not password:
        raise InvalidAgentUser("the password must not be empty", "password")
    return f"{name}:{generate_password_hash(password)}"


def new_password() -> str:
    """A random password for a user of the agents' page (``askfind demo`` makes one)."""
    return "".join(secrets.choice(PASSWORD_ALPHABET) for _ in range(PASSWORD_CHARS))


def current_agent() -> str | None:
    """The name of the agent making this request (None when not authenticated).

    The name is what judgements are stored with: the user's name, or for an API key
    ``key:`` and the first digits of its digest (never the key).
    """
    if "askfind_agent" not in g:
        g.askfind_agent = _authenticate()
    agent: str | None = g.askfind_agent
    return agent


def request_viewer_groups() -> frozenset[str] | None:
    """What this request may see (``Filters.viewer_groups``): the public threads, and with
    an agent's credentials what ``agent_groups`` grants that agent.

    Credentials are checked only where they are presented: the public widget sends none.

    Raises:
        Unauthorized: credentials were presented and are not an agent's (as on /agent).
    """
    if not _presents_credentials():
        return frozenset()
    if current_agent() is None:
        raise _unauthorized()
    return agent_viewer_groups()


def agent_viewer_groups() -> frozenset[str] | None:
    """What the agent of this request may see (public threads only without an agent)."""
    return viewer_groups(current_agent(), engine_of(current_app).settings.agent_groups)


def require_agent(view: F) -> F:
    """Let a view run only for an authenticated agent; 401 with a login challenge otherwise."""

    @wraps(view)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        if current_agent() is None:
            raise _unauthorized()
        return view(*args, **kwargs)

    return guarded  # type: ignore[return-value]


def _authenticate() -> str | None:
    """The agent's name, or None. A sign-in with wrong credentials counts against the
    address (and the user name); while they must wait, sign-ins are refused with 429 before
    anything is checked (``widget.signin_limits``)."""
    settings = engine_of(current_app).settings
    if settings.agent_auth == "off":
        return "anonymous"
    if settings.agent_auth == "api-key":
        return _key_sign_in()
    return _password_sign_in(dict(entry.split(":", 1) for entry in settings.agent_users))


def _key_sign_in() -> str | None:
    """A valid key passes: its check is one SHA-256 and keys cannot be guessed, so it is
    never refused for another's guesses. A wrong one counts."""
    if presented_key(request) is None:
        return None
    principal = current_principal()
    if principal is not None:
        return f"key:{principal.key_id}"
    _refuse_while_waiting(runtime_of(current_app).signin.attempt(_client(), None))
    return None


def _password_sign_in(users: dict[str, str]) -> str | None:
    """A user of ``agent_users`` whose password matches; the check is bounded
    (``widget.password_checks``) and a browser already signed in skips it."""
    credentials = request.authorization
    if credentials is None or credentials.type != "basic" or not credentials.username:
        return None
    name, password = credentials.username, credentials.password or ""
    if not password:
        # No entry askfind makes has one, and an entry hashed by hand must not let in
        # whoever leaves the login prompt's password empty. Never a match: not counted.
        return None
    stored_hash = users.get(name)
    runtime = runtime_of(current_app)
    if stored_hash is not None and runtime.password_checks.remembered(name, password, stored_hash):
        return name
    client = _client()
    _refuse_while_waiting(runtime.signin.attempt(client, name))
    # Refused as busy (503), the attempt stays counted too: only guessers meet that often.
    if runtime.password_checks.matches(name, password, stored_hash):
        runtime.signin.succeeded(client, name)
        return name
    return None  # the attempt stays counted


def _client() -> str:
    """Who sign-in attempts count against besides the user name: the address (IPv6: /64)."""
    return runtime_of(current_app).pseudonyms.of(client_of(request.remote_addr, None))


def _refuse_while_waiting(wait_seconds: float) -> None:
    if wait_seconds > 0:
        metrics.RATE_LIMITED.labels(bucket="signin").inc()
        wait = retry_after(wait_seconds)
        raise TooManySignIns(
            f"too many failed sign-ins from this address or for this user name: try again "
            f"in {wait} s",
            retry_after=wait,
        )


def _unauthorized() -> Unauthorized:
    """A 401 that says what was wrong, then every way to sign in with the settings for it."""
    challenge = WWWAuthenticate("basic", {"realm": REALM, "charset": "UTF-8"})
    return Unauthorized(f"{_problem()}. {SIGN_IN_WAYS}", www_authenticate=challenge)


def _presents_credentials() -> bool:
    return request.authorization is not None or bool(request.headers.get(API_KEY_HEADER))


def _problem() -> str:
    """What keeps this request out, in the terms of the settings."""
    settings = engine_of(current_app).settings
    presented = _presents_credentials()
    if settings.agent_auth == "api-key":
        if not settings.api_keys:
            problem = "the agents' page takes an API key (agent_auth = api-key): none is configured"
        elif not presented:
            problem = "the agents' page needs an API key (agent_auth = api-key)"
        else:
            problem = "this API key is not valid for the agents' page (agent_auth = api-key)"
        if settings.agent_users:  # users made with `askfind agent-user` are not read then
            problem += "; the users of agent_users sign in only with agent_auth = password"
        return problem
    if not settings.agent_users:
        return "the agents' page takes a user (agent_auth = password), and none is configured"
    if not presented:
        return "the agents' page needs a user name and password (agent_auth = password)"
    return "this user name and password are not valid for the agents' page"
