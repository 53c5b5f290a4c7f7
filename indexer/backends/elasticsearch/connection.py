"""The Elasticsearch client from the settings, and its failures as askfind's errors.

Searches must never hang a request: each call is bounded by
``elasticsearch_request_timeout``. On one node it is retried at most once (a keep-alive
connection the server closed), so an unreachable node turns into ``BackendUnavailable``
(HTTP 503) within about twice the timeout. The client is built without contacting the
cluster: the service starts, and reports not ready, while Elasticsearch is down, and
recovers by itself when it comes back (the client retries a node marked dead on the next
request).

With several nodes (a comma-separated ``elasticsearch_url``) elasticsearch-py spreads the
requests over them (round robin from a random start per process) and sends a request that
failed on one node (refused, reset, timed out, or answered 502/503/504) to the next. A node
that did not answer is marked dead and skipped for 1 s, growing to 30 s while it stays
away: a node that crashed or restarts costs a retry, not an error. Each node is tried at
most once per request, so a cluster that is entirely unreachable answers 503 within
(nodes) x the timeout.

Answers are parsed with orjson: the four searches of a suggestion bring back about 70 KB
of JSON, which the standard library parses in 2.4 ms and orjson in 0.5 (measured at
100,000 threads), and it writes the query vector without a float object per dimension.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import elastic_transport
from elasticsearch import (
    ApiError,
    AuthenticationException,
    AuthorizationException,
    Elasticsearch,
    NotFoundError,
    OrjsonSerializer,
    SerializationError,
    TransportError,
)

from indexer.errors import BackendUnavailable, IndexNotFound
from indexer.settings import Settings

SEARCH_RETRIES = 1
# Answers a node gives while it stops, starts or has lost the master: another may serve.
# (Not 429: a cluster that is too busy is no less busy on the next node.)
NODE_FAILURE_STATUSES = (502, 503, 504)
# Index creation, alias swaps, refreshes and bulk requests may take longer than a search.
ADMIN_TIMEOUT_S = 120.0
# Statuses that say "not now" rather than "wrong request": worth retrying later.
TRANSIENT_STATUSES = (429, 500, 502, 503, 504)


class FastJson(OrjsonSerializer):
    """orjson, and the standard library for the rare value orjson refuses to write (an
    integer beyond 64 bits, which Elasticsearch then refuses as that document's error)."""

    def json_dumps(self, data: Any) -> bytes:
        try:
            return super().json_dumps(data)
        except TypeError:
            return elastic_transport.JsonSerializer.json_dumps(self, data)


def create_client(settings: Settings) -> Elasticsearch:
    """A client for the configured cluster (no request is sent here)."""
    hosts = [url.strip() for url in settings.elasticsearch_url.split(",") if url.strip()]
    api_key = settings.elasticsearch_api_key.get_secret_value()
    password = settings.elasticsearch_password.get_secret_value()
    credentials: dict[str, object] = {}
    if api_key:
        credentials["api_key"] = api_key
    elif settings.elasticsearch_username:
        credentials["basic_auth"] = (settings.elasticsearch_username, password)
    ca_certs = settings.elasticsearch_ca_certs
    several_nodes = len(hosts) > 1
    return Elasticsearch(
        hosts,
        serializer=FastJson(),
        request_timeout=settings.elasticsearch_request_timeout,
        # The first node asked, then each other node once.
        max_retries=max(SEARCH_RETRIES, len(hosts) - 1),
        # A node that does not answer in time may be dying: another may answer. With one
        # node, waiting a second timeout would only double the time to a 503.
        retry_on_timeout=several_nodes,
        retry_on_status=NODE_FAILURE_STATUSES,
        verify_certs=settings.elasticsearch_verify_certs,
        ca_certs=str(ca_certs) if ca_certs else None,
        **credentials,  # type: ignore[arg-type]
    )


def describe(error: Exception) -> str:
    """A short account of a client error for messages and logs."""
    if isinstance(error, ApiError):
        return f"HTTP {error.status_code} {error.error}: {_reason(error)}"
    return f"{type(error).__name__}: {error}"


def _reason(error: ApiError) -> str:
    body = error.body if isinstance(error.body, dict) else {}
    cause = body.get("error", {})
    if isinstance(cause, dict):
        return str(cause.get("reason") or cause.get("type") or error.message)
    return str(cause or error.message)


def is_index_missing(error: Exception) -> bool:
    return isinstance(error, NotFoundError) and error.error == "index_not_found_exception"


def is_transient(error: Exception) -> bool:
    """Tell whether an error may go away if the request is sent again later."""
    if isinstance(error, ApiError):
        return error.status_code in TRANSIENT_STATUSES
    # Connection refused or reset, timeouts, TLS failures; not a response we could not parse.
    return isinstance(error, TransportError) and not isinstance(error, SerializationError)


@contextlib.contextmanager
def translated_errors(what: str, url: str) -> Iterator[None]:
    """Raise the client's failures as askfind errors.

    Unreachable, overloaded or refusing (credentials) clusters are ``BackendUnavailable``;
    a missing alias, or an index of vectors from another embedding model, is
    ``IndexNotFound``. Other API errors (a request askfind got wrong)
    propagate unchanged: they are bugs, not outages.
    """
    try:
        yield
    except NotFoundError as e:
        if is_index_missing(e):
            raise IndexNotFound(
                f"no askfind index in Elasticsearch at {url}: run `askfind index` first"
            ) from e
        raise
    except (AuthenticationException, AuthorizationException) as e:
        raise BackendUnavailable(
            f"Elasticsearch at {url} refused {what} ({describe(e)}): check the credentials"
        ) from e
    except (ApiError, TransportError) as e:
        if is_transient(e):
            raise BackendUnavailable(
                f"Elasticsearch at {url} is unavailable for {what} ({describe(e)})"
            ) from e
        if isinstance(e, ApiError) and e.status_code == 400 and "number of dimensions" in str(e):
            raise IndexNotFound(
                f"the index in Elasticsearch at {url} holds vectors of another embedding model "
                f"({e.message}): rebuild it with `askfind index`"
            ) from e
        raise
