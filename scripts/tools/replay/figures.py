"""What a replay reports: its answers summed up, per 1-s window, around an outage, from cache."""

from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np

from ..instruments.http_client import KeepAliveClient, suggest_path
from ..instruments.stats import percentiles
from .load import WARMUP_SECONDS, Answer

# Recovery after an outage: 1-s windows; "normal" is a p95 within this factor of before.
WINDOW_S = 1.0
NORMAL_FACTOR = 1.5
HIT_REQUESTS = 1000
HIT_QUERY = "router restarts every night"


def summary(answers: list[Answer], seconds: float) -> dict[str, Any]:
    statuses = Counter(answer.status for answer in answers)
    ok = [a.seconds for a in answers if a.status == 200]
    caches = Counter(a.cache for a in answers if a.status == 200)
    return {
        "requests": len(answers),
        "seconds": round(seconds, 2),
        "requests_per_s": round(len(answers) / seconds, 1),
        "statuses": {str(status): count for status, count in sorted(statuses.items())},
        "errors": sum(count for status, count in statuses.items() if status not in (200, 429)),
        "rate_limited": statuses.get(429, 0),
        "latency_ms": _rounded(percentiles(ok, 1000)),
        "cache_hit_ratio": round(caches["hit"] / max(1, sum(caches.values())), 3),
    }


def windows(answers: list[Answer], origin: float, end: float) -> list[dict[str, Any]]:
    """Per 1-s window from ``origin``: answers, 5xx and failures, and the p95 in ms."""
    found = []
    start = origin
    while start + WINDOW_S <= end + 1e-9:
        inside = [a for a in answers if start <= a.done < start + WINDOW_S]
        latencies = [a.seconds for a in inside if a.status == 200]
        found.append(
            {
                "from_s": round(start - origin, 1),
                "answers": len(inside),
                "server_errors": sum(a.status >= 500 for a in inside),
                "failed": sum(a.status == 0 for a in inside),
                "p95_ms": round(float(np.percentile(latencies, 95)) * 1000, 1)
                if latencies
                else None,
            }
        )
        start += WINDOW_S
    return found


def outage_figures(
    answers: list[Answer], began: float, ended: float, killed: float, returned: float
) -> dict[str, Any]:
    """Answers while Redis or Elasticsearch was away, and how soon latency was normal again."""
    before = windows(answers, began + WARMUP_SECONDS / 2, killed)
    baseline = float(np.median([w["p95_ms"] for w in before if w["p95_ms"] is not None]))
    after = windows(answers, returned, ended)
    recovered = None
    for index, window in enumerate(after):
        following = after[index + 1 : index + 2] or [window]
        if all(w["p95_ms"] is not None and w["p95_ms"] <= NORMAL_FACTOR * baseline
               for w in (window, *following)):  # fmt: skip
            recovered = window["from_s"] + WINDOW_S
            break
    outage = [a for a in answers if killed <= a.done < returned + 5.0]
    statuses = Counter(a.status for a in outage)
    return {
        "killed_at_s": round(killed - began, 1),
        "down_for_s": round(returned - killed, 1),
        "requests_during_outage_and_5s_after": len(outage),
        "statuses_during_outage_and_5s_after": {str(k): n for k, n in sorted(statuses.items())},
        "server_errors_5xx": sum(a.status >= 500 for a in outage),
        "failed_no_answer": sum(a.status == 0 for a in outage),
        "rate_limited_429": sum(a.status == 429 for a in outage),
        "baseline_p95_ms": round(baseline, 1),
        "seconds_to_normal_after_return": recovered,
        "windows_during": windows(answers, killed, returned),
        "windows_after": after[:10],
    }


def cache_hit_latency(port: int, requests: int) -> dict[str, Any]:
    """One query repeated on one connection: the first a miss, the rest hits in Redis."""
    client = KeepAliveClient("127.0.0.1", port)
    path = suggest_path(HIT_QUERY) + "&limit=5"
    client.get(path, {"X-Forwarded-For": "10.255.0.0"})
    latencies, sources = [], Counter()
    for n in range(requests):
        # As many clients as requests: the rate limit is not what is measured here.
        status, seconds, _ = client.get(path, {"X-Forwarded-For": f"10.254.{n // 250}.{n % 250}"})
        if status == 200:
            latencies.append(seconds)
        sources[client.last_headers.get("X-Cache")] += 1
    client.close()
    return {"latency_ms": _rounded(percentiles(latencies, 1000)), "x_cache": dict(sources)}


def _rounded(figures: dict[str, float]) -> dict[str, float]:
    return {key: round(value, 2) for key, value in figures.items()}


def redis_keys(url: str) -> int:
    import redis

    with redis.Redis.from_url(url) as client:
        return int(client.dbsize())
