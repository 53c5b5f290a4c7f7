"""The HTTP client the live connectors share: timeouts, retries with backoff, clear errors.

Community APIs rate-limit (Discourse answers 429 with Retry-After) and have bad minutes;
a sync that gives up on the first 502 would leave the index behind until the next night.
So every request has a timeout, and 429, 5xx and network errors are retried with
exponential backoff (Retry-After wins when the server sends one) before the run fails
with :class:`SourceUnavailable`. 404 and 410 are answers, not failures: the caller asked
for something that is gone.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Mapping
from typing import Any

import requests

from indexer.errors import SourceUnavailable
from indexer.json_input import parse_json

log = logging.getLogger(__name__)

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
GONE_STATUSES = frozenset({404, 410})
BACKOFF_S = 0.5
MAX_WAIT_S = 60.0
USER_AGENT = "askfind-connector/0.1 (+https://github.com/askfind)"


class ApiClient:
    """GET JSON from one site's API with the site's authentication headers."""

    def __init__(
        self,
        base_url: str,
        headers: Mapping[str, str],
        timeout_s: float,
        retries: int,
        session: requests.Session | None = None,
    ) -> None:
        if not base_url.startswith(("http://", "https://")):
            raise SourceUnavailable(f"{base_url!r} is not an http(s) address")
        self.base_url = base_url.rstrip("/")
        self.timeout_s = timeout_s
        self.retries = retries
        self.session = session or requests.Session()
        self.session.headers.update({"User-Agent": USER_AGENT, "Accept": "application/json"})
        self.session.headers.update(headers)

    def get(self, path: str, params: Any = None) -> Any | None:
        """The decoded JSON at ``path``; None when the site says it is not there (404, 410).

        Raises:
            SourceUnavailable: the site cannot be reached, refuses the credentials, keeps
                failing after the retries, or does not answer JSON.
        """
        url = f"{self.base_url}/{path.lstrip('/')}"
        for attempt in range(self.retries + 1):
            try:
                response = self.session.get(url, params=params, timeout=self.timeout_s)
            except requests.RequestException as e:
                if attempt == self.retries:
                    raise SourceUnavailable(f"{url} cannot be reached: {e}") from e
                self._wait(attempt, None, f"{type(e).__name__}")
                continue
            if response.status_code in GONE_STATUSES:
                return None
            if response.status_code in RETRY_STATUSES and attempt < self.retries:
                self._wait(attempt, response.headers.get("Retry-After"), response.status_code)
                continue
            if response.status_code in (401, 403):
                raise SourceUnavailable(
                    f"{url} refused the credentials ({response.status_code}): check the "
                    "API key or token in the settings"
                )
            if response.status_code >= 400:
                raise SourceUnavailable(f"{url} answered {response.status_code}")
            try:
                return parse_json(response.content)
            except ValueError as e:
                raise SourceUnavailable(f"{url} did not answer JSON") from e
        raise SourceUnavailable(f"{url} kept failing")  # not reached: the loop returns

    def _wait(self, attempt: int, retry_after: str | None, why: object) -> None:
        delay = BACKOFF_S * 2**attempt
        if retry_after is not None:
            with contextlib.suppress(ValueError):  # an HTTP date: keep the backoff
                delay = float(retry_after)
        delay = min(max(delay, 0.0), MAX_WAIT_S)
        log.warning("source request failed (%s); retrying in %.1f s", why, delay)
        time.sleep(delay)

    def close(self) -> None:
        self.session.close()
