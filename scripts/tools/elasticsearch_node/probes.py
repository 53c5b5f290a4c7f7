"""Questions asked over the network: is a port free, is the cluster ready."""

from __future__ import annotations

import contextlib
import json
import socket
import urllib.error
import urllib.request

from ..ports import free_port

__all__ = ["cluster_health", "free_port", "port_in_use"]


def port_in_use(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(1.0)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def cluster_health(
    url: str, timeout: float = 5.0, status: str = "yellow", nodes: int | None = None
) -> dict[str, object] | None:
    """Return `GET /_cluster/health` (waiting up to `timeout` for `status` and, if given, for
    that many `nodes`), or None if there is no answer.

    The minimal distribution has no `GET /` handler, so health is the readiness probe.
    """
    request = f"{url}/_cluster/health?wait_for_status={status}&timeout={max(int(timeout) - 1, 1)}s"
    if nodes is not None:
        request += f"&wait_for_nodes={nodes}&wait_for_no_initializing_shards=true"
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return dict(json.load(response))
    except urllib.error.HTTPError as error:  # 408 carries the (red) health in its body
        with contextlib.suppress(ValueError):
            return dict(json.load(error))
        return None
    except (urllib.error.URLError, OSError, ValueError):
        return None
