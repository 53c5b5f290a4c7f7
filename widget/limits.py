"""Rate limits per client, shaped for as-you-type traffic: bursts allowed, floods refused.

A customer typing a question sends a request every few keystrokes (the widget waits for
150 ms of quiet), a handful a second at most and then nothing while they read. The
limit is therefore a rate with a generous burst: the generic cell rate algorithm (GCRA,
the token bucket of ATM networks, ITU-T I.371) lets ``rate_limit_burst`` requests
through at once and then one every ``1 / rate_limit_per_second`` seconds. It keeps one
number per client (the "theoretical arrival time") instead of a log of requests.

The state lives in Redis, so all workers and hosts share it; the script runs atomically
there and reads Redis's clock, so the workers' clocks do not matter. While Redis is away
each process limits on its own (then a client gets the rate once per worker). The same
script can fetch one more key for a request it lets through (``admit``): a cached
suggestion then costs one Redis round trip, not two.

Clients are their API key when they present a valid one, otherwise their address; IPv6
clients are limited per /64, the block a single subscriber gets.
"""

from __future__ import annotations

import ipaddress
import math
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import redis
from redis.commands.core import Script

from widget.redis_link import RedisLink

# KEYS[1]: the client's key, KEYS[2] (optional): a key to read for a request let through;
# ARGV: emission interval and burst tolerance, in microseconds. Returns {0, value of
# KEYS[2] or nil} when the request may pass, else {microseconds until it would, nil}.
GCRA_SCRIPT = """
local now_parts = redis.call('TIME')
local now = tonumber(now_parts[1]) * 1000000 + tonumber(now_parts[2])
local interval = tonumber(ARGV[1])
local tolerance = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
local allow_at = tat + interval - tolerance
if now < allow_at then return {allow_at - now, false} end
local new_tat = tat + interval
redis.call('SET', KEYS[1], new_tat, 'PX', math.ceil((new_tat - now) / 1000) + 1)
if KEYS[2] then return {0, redis.call('GET', KEYS[2])} end
return {0, false}
"""
LOCAL_MAX_CLIENTS = 100_000
_FAILED = object()
IPV6_PREFIX = 64


def client_of(remote_addr: str | None, key_id: str | None) -> str:
    """Who a request counts against: its API key, else its address (IPv6 by /64)."""
    if key_id:
        return f"key:{key_id}"
    try:
        address = ipaddress.ip_address(remote_addr or "")
    except ValueError:
        return f"addr:{remote_addr}"
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return f"addr:{address.ipv4_mapped}"
        network = ipaddress.ip_network(f"{address}/{IPV6_PREFIX}", strict=False)
        return f"net:{network}"
    return f"addr:{address}"


@dataclass(frozen=True, slots=True)
class Admission:
    """A rate-limit decision, and what Redis held under the key read along with it."""

    wait_seconds: float  # 0: the request may pass now
    # Whether Redis answered: if not, nothing was read and ``value`` means nothing.
    read: bool = False
    value: bytes | None = None


class RateLimiter:
    """GCRA limits in Redis, or in this process while Redis is away."""

    def __init__(self, link: RedisLink, namespace: str, per_second: float, burst: int) -> None:
        self._link = link
        self._namespace = namespace
        self.enabled = per_second > 0
        self._interval_us = round(1_000_000 / per_second) if self.enabled else 0
        self._tolerance_us = self._interval_us * burst
        self._script: Script | None = None
        self._local = _LocalGcra(self._interval_us, self._tolerance_us)

    def wait_seconds(self, bucket: str, client: str) -> float:
        """0 if the request may pass now; otherwise how long the client must wait."""
        return self.admit(bucket, client).wait_seconds

    def admit(self, bucket: str, client: str, read: str | None = None) -> Admission:
        """Decide on a request and, if it may pass, read the key ``read`` in the same
        round trip (a request refused reads nothing)."""
        if not self.enabled:
            if read is None:
                return Admission(0.0)
            value = self._link.run(lambda r: r.get(read), _FAILED)
            return Admission(0.0) if value is _FAILED else Admission(0.0, True, value)
        key = f"askfind:{self._namespace}:limit:{bucket}:{client}"
        keys = [key] if read is None else [key, read]
        answer = self._link.run(lambda r: self._gcra(r, keys), None)
        if answer is None:
            return Admission(self._local.wait_seconds(key))
        waited, value = answer
        return Admission(int(waited) / 1_000_000, read is not None, value)

    def _gcra(self, client: redis.Redis, keys: list[str]) -> list[Any]:
        # A Script runs by its SHA and loads itself again after Redis restarted empty.
        if self._script is None:
            self._script = client.register_script(GCRA_SCRIPT)
        args = [self._interval_us, self._tolerance_us]
        return list(self._script(keys=keys, args=args, client=client))


def retry_after(seconds: float) -> int:
    """The Retry-After value for a wait: whole seconds, at least one."""
    return max(1, math.ceil(seconds))


class _LocalGcra:
    """The same algorithm over a bounded dict: the fallback of one process."""

    def __init__(self, interval_us: int, tolerance_us: int) -> None:
        self._interval = interval_us / 1_000_000
        self._tolerance = tolerance_us / 1_000_000
        self._arrivals: OrderedDict[str, float] = OrderedDict()
        self._lock = threading.Lock()

    def wait_seconds(self, key: str) -> float:
        now = time.monotonic()
        with self._lock:
            tat = max(self._arrivals.get(key, now), now)
            allow_at = tat + self._interval - self._tolerance
            if now < allow_at:
                return allow_at - now
            self._arrivals[key] = tat + self._interval
            self._arrivals.move_to_end(key)
            while len(self._arrivals) > LOCAL_MAX_CLIENTS:
                self._arrivals.popitem(last=False)
            return 0.0
