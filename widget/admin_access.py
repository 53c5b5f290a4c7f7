"""Who may use the dashboard and the admin API: the checks behind ``/admin`` and
``/api/admin/``.

The dashboard is behind the agents' sign-in (:mod:`widget.agent_access`) with one more
condition: the agent is named in ``admin_users``. A signed-in agent who is not gets 403,
whoever they are otherwise; nobody signed in gets the sign-in's 401.

The admin API takes what it always took, a valid API key (scripts, ``curl``), and also an
admin agent's sign-in, so that the dashboard in the browser can call it with the
credentials of its login prompt whatever ``agent_auth`` is.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import current_app, request
from werkzeug.exceptions import Forbidden, Unauthorized

from widget.agent_access import current_agent, require_agent
from widget.auth import current_principal, unauthorized
from widget.context import engine_of

F = TypeVar("F", bound=Callable[..., Any])
ANONYMOUS = "anonymous"


class NotAnAdmin(Forbidden):
    """403: signed in as an agent, and not one of ``admin_users``."""


def is_admin() -> bool:
    """Whether this request's agent is one of ``admin_users``."""
    agent = current_agent()
    return agent is not None and agent in engine_of(current_app).settings.admin_users


def require_admin(view: F) -> F:
    """Let a view run only for an admin agent: 401 without a sign-in, 403 for other agents."""

    @require_agent
    @wraps(view)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        if not is_admin():
            raise NotAnAdmin(
                f"{current_agent()} is signed in but not an admin: the setting admin_users "
                "(ASKFIND_ADMIN_USERS) names who may open the dashboard"
            )
        return view(*args, **kwargs)

    return guarded  # type: ignore[return-value]


def require_operator(view: F) -> F:
    """Let a view run for a valid API key or an admin agent; 401 otherwise (``_not_signed_in``),
    403 for a signed-in agent who is not an admin."""

    @wraps(view)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        if current_principal() is None and not is_admin():
            # "anonymous" (agent_auth = off) has signed in as nobody: a script that forgot
            # its key learns how to send one.
            if current_agent() in (None, ANONYMOUS):
                raise _not_signed_in()
            raise NotAnAdmin(f"{current_agent()} is signed in but not an admin (admin_users)")
        return view(*args, **kwargs)

    return guarded  # type: ignore[return-value]


def _not_signed_in() -> Unauthorized:
    """The admin API's 401: a user name and password that were sent, where admins sign in
    with them (agent_auth = password), are said to be wrong; anything else gets the API
    key's 401, which says how to send a key."""
    settings = engine_of(current_app).settings
    credentials = request.authorization
    sent_a_user = credentials is not None and credentials.type == "basic" and credentials.username
    if settings.agent_auth == "password" and settings.admin_users and sent_a_user:
        return unauthorized(
            "this user name and password are not valid: the admin API takes the user name "
            "and password of an admin (admin_users) as the agents' page does (agent_users)"
        )
    return unauthorized()


def operator_name() -> str:
    """Who makes a change through the admin API: the API key by its id, else the admin."""
    principal = current_principal()
    if principal is not None:
        return f"api-key:{principal.key_id}"
    return f"admin:{current_agent()}"
