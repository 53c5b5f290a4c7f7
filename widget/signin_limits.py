"""Sign-in limits: failed sign-ins to the agents' page, counted per address and per user
name, answered with a growing wait.

Someone guessing passwords fails again and again; a person mistypes a few times. So a
handful of failures (``signin_free_failures``) cost nothing, and each one after that
makes the address and the user name wait twice as long as the one before, from one
second up to ``signin_backoff_max_seconds``. While either waits, a sign-in is refused
with 429 and Retry-After *before* its password is checked: a refused guess costs no
password hash, and concurrent guesses cannot slip through together (each attempt is
counted before its check, see ``SignInLimiter``). The failures are forgotten
``signin_forget_seconds`` after the last one, and a right password clears its user
name (not its address: an account of one's own must not reset the count of guesses at
others' accounts).

The user name limit holds guesses spread over many addresses; it can make a real user
wait too while someone guesses at their name, but never longer than the maximum, and a
browser that signed in already is not asked again (``widget.password_checks``).

The state lives in Redis, shared by every worker and host, updated by scripts that run
atomically on Redis's clock; while Redis is away each process counts on its own, as the
rate limits do (``widget.limits``). User names are kept as digests, never in clear.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass

import redis
from redis.commands.core import Script

from widget.redis_link import RedisLink

# The first wait after the free failures; each further failure doubles it.
FIRST_BACKOFF_S = 1.0
LOCAL_MAX_ENTRIES = 100_000
_MICROS = 1_000_000

# KEYS: the address's and (optionally) the user name's key; ARGV: free failures, first
# backoff, longest backoff, forget after (times in microseconds). While any key waits,
# returns the microseconds until its wait ends and counts nothing; otherwise counts the
# attempt on every key (starting its wait once past the free ones) and returns 0.
ATTEMPT_SCRIPT = """
local now_parts = redis.call('TIME')
local now = tonumber(now_parts[1]) * 1000000 + tonumber(now_parts[2])
local free, first, longest, forget = tonumber(ARGV[1]), tonumber(ARGV[2]),
  tonumber(ARGV[3]), tonumber(ARGV[4])
local wait = 0
for _, key in ipairs(KEYS) do
  local blocked_until = tonumber(redis.call('HGET', key, 'until') or 0)
  if blocked_until - now > wait then wait = blocked_until - now end
end
if wait > 0 then return wait end
for _, key in ipairs(KEYS) do
  local attempts = redis.call('HINCRBY', key, 'n', 1)
  local backoff = 0
  if attempts > free then
    backoff = math.min(longest, first * 2 ^ math.min(attempts - free - 1, 62))
    redis.call('HSET', key, 'until', now + backoff)
  end
  redis.call('PEXPIRE', key, math.ceil((forget + backoff) / 1000))
end
return 0
"""
# KEYS: the address's key, after a right password: one attempt less.
REFUND_SCRIPT = """
if tonumber(redis.call('HGET', KEYS[1], 'n') or 0) > 0 then
  redis.call('HINCRBY', KEYS[1], 'n', -1)
end
return 0
"""


@dataclass(frozen=True, slots=True)
class SignInPolicy:
    """How many failures are free, how long the waits grow, when failures are forgotten."""

    free_failures: int
    backoff_max_s: float
    forget_s: float

    def backoff_s(self, failures: int) -> float:
        """The wait after ``failures`` failures in a row (0 while they are free)."""
        if failures <= self.free_failures:
            return 0.0
        # The exponent is capped so that a long guessing run cannot overflow a float.
        doublings = min(failures - self.free_failures - 1, 62)
        return min(self.backoff_max_s, FIRST_BACKOFF_S * 2.0**doublings)


class SignInLimiter:
    """Sign-in attempts per address and per user name, in Redis or in this process.

    An attempt is counted *before* its credentials are checked, atomically with the test
    whether it must wait: of 32 guesses arriving at once, only the free ones and one more
    are let through to a check, and after each wait exactly one. An attempt that turns
    out right is taken back from its address (``succeeded``).
    """

    def __init__(self, link: RedisLink, namespace: str, policy: SignInPolicy) -> None:
        self._link = link
        self._prefix = f"askfind:{namespace}:signin"
        self._policy = policy
        self._scripts: dict[str, Script] = {}
        self._local = _LocalAttempts(policy)

    def attempt(self, client: str, user: str | None) -> float:
        """0 when this sign-in may be checked (it is counted as a failure until it proves
        right); otherwise how long the address or the user name must still wait."""
        keys = self._keys(client, user)
        policy = self._policy
        args = [
            policy.free_failures,
            round(FIRST_BACKOFF_S * _MICROS),
            round(policy.backoff_max_s * _MICROS),
            round(policy.forget_s * _MICROS),
        ]
        waited = self._link.run(lambda r: self._run(r, "attempt", ATTEMPT_SCRIPT, keys, args), None)
        if waited is None:
            return self._local.attempt(keys)
        return int(waited) / _MICROS

    def succeeded(self, client: str, user: str | None) -> None:
        """A right password: the attempt is taken back from the address, and the user name
        starts afresh (the address does not: an account of one's own must not reset the
        count of guesses at others' accounts)."""
        address = f"{self._prefix}:{client}"
        if (
            self._link.run(lambda r: self._run(r, "refund", REFUND_SCRIPT, [address], []), None)
            is None
        ):
            self._local.refund(address)
        if user is not None:
            key = self._user_key(user)
            self._link.run(lambda r: r.delete(key), None)
            self._local.forget(key)

    def _keys(self, client: str, user: str | None) -> list[str]:
        keys = [f"{self._prefix}:{client}"]
        if user is not None:
            keys.append(self._user_key(user))
        return keys

    def _user_key(self, user: str) -> str:
        # A digest: user names typed at the prompt (often mistyped e-mail addresses or
        # passwords) never reach Redis in clear.
        digest = hashlib.sha256(user.encode("utf-8", "surrogatepass")).hexdigest()[:24]
        return f"{self._prefix}:user:{digest}"

    def _run(
        self, client: redis.Redis, name: str, source: str, keys: list[str], args: list[int]
    ) -> int:
        # A Script runs by its SHA and loads itself again after Redis restarted empty.
        script = self._scripts.get(name)
        if script is None:
            script = self._scripts[name] = client.register_script(source)
        return int(script(keys=keys, args=args, client=client))


class _LocalAttempts:
    """The same counting over a bounded dict: the fallback of one process."""

    def __init__(self, policy: SignInPolicy) -> None:
        self._policy = policy
        # key -> (attempts, blocked until, forgotten at), on the monotonic clock
        self._entries: OrderedDict[str, tuple[int, float, float]] = OrderedDict()
        self._lock = threading.Lock()

    def attempt(self, keys: list[str]) -> float:
        now = time.monotonic()
        with self._lock:
            current = [self._current(key, now) for key in keys]
            wait = max(blocked_until - now for _, blocked_until, _ in current)
            if wait > 0:
                return wait
            for key, (attempts, blocked_until, _) in zip(keys, current, strict=True):
                attempts += 1
                backoff = self._policy.backoff_s(attempts)
                if backoff > 0:
                    blocked_until = now + backoff
                forgotten_at = now + self._policy.forget_s + backoff
                self._entries[key] = (attempts, blocked_until, forgotten_at)
                self._entries.move_to_end(key)
            while len(self._entries) > LOCAL_MAX_ENTRIES:
                self._entries.popitem(last=False)
        return 0.0

    def refund(self, key: str) -> None:
        now = time.monotonic()
        with self._lock:
            attempts, blocked_until, forgotten_at = self._current(key, now)
            if attempts > 0:
                self._entries[key] = (attempts - 1, blocked_until, forgotten_at)

    def forget(self, key: str) -> None:
        with self._lock:
            self._entries.pop(key, None)

    def _current(self, key: str, now: float) -> tuple[int, float, float]:
        entry = self._entries.get(key)
        if entry is None or entry[2] <= now:
            return (0, 0.0, 0.0)
        return entry
