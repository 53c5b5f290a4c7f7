"""The HTTP client of the load: one keep-alive connection, as a browser tab's widget holds."""

from __future__ import annotations

import http.client
import time
import urllib.parse


class KeepAliveClient:
    """One persistent HTTP/1.1 connection, as a browser tab's widget would hold.

    gunicorn closes idle keep-alive connections after a couple of seconds; a request that
    meets a closed connection is retried once on a new one, and counted.
    """

    def __init__(
        self, host: str, port: int, timeout_s: float = 60.0, headers: dict[str, str] | None = None
    ) -> None:
        self._connection = http.client.HTTPConnection(host, port, timeout=timeout_s)
        self._headers = headers or {}
        self.reconnects = 0
        self.last_headers: dict[str, str] = {}  # of the last answer (X-Cache, Retry-After)

    def get(self, path: str, headers: dict[str, str] | None = None) -> tuple[int, float, bytes]:
        """GET ``path``; returns (status, seconds, body). Status 0: the request failed.

        ``headers`` are sent besides (or instead of) the client's own.
        """
        started = time.perf_counter()
        self.last_headers = {}
        for attempt in (1, 2):
            try:
                self._connection.request("GET", path, headers={**self._headers, **(headers or {})})
                answer = self._connection.getresponse()
                body = answer.read()
                self.last_headers = dict(answer.getheaders())
                return answer.status, time.perf_counter() - started, body
            except (http.client.HTTPException, ConnectionError, TimeoutError):
                self._connection.close()
                if attempt == 2:
                    return 0, time.perf_counter() - started, b""
                self.reconnects += 1
        raise AssertionError("unreachable")

    def close(self) -> None:
        self._connection.close()


def suggest_path(text: str) -> str:
    return "/api/suggest?" + urllib.parse.urlencode({"q": text})
