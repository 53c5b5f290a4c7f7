"""Password checks of the agents' page, bounded so that guessing never slows the public API.

A password is checked against a salted scrypt hash (``askfind agent-user``): about 32 MB
of memory and tens of milliseconds of a core, by design. Run for every guess in the
serving threads, 32 guessing clients took every thread and both cores, and suggestions
waited seconds behind them. Three bounds keep that cost away from the public API:

- **A budget for the whole service**: at most ``signin_checks_per_second`` checks a
  second (a burst of twice that, at least one), shared by every worker through Redis
  (``widget.limits``). The CPU that checks can take is therefore fixed, however many
  addresses guess at once; past it a sign-in gets 503 with Retry-After.
- **One check at a time per process** (``CHECKS_AT_ONCE``): a second one meanwhile gets
  503 at once rather than hold a serving thread while it waits. Memory stays at one
  hash's worth per worker, and at most one serving thread per worker computes a hash.
- **Remembered successes**: a browser sends the name and password with every request of
  the page. A right one is remembered for ``REMEMBER_S`` in this process, under an HMAC
  with a key drawn at start-up and never stored, so an agent's later requests cost no
  hash and are not refused while someone else guesses. Failures are never remembered:
  each wrong guess must pay, and counts (``widget.signin_limits``).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from collections import OrderedDict
from functools import cache

from werkzeug.exceptions import ServiceUnavailable
from werkzeug.security import check_password_hash, generate_password_hash

from widget.limits import RateLimiter, retry_after

CHECKS_AT_ONCE = 1
# What a sign-in refused because another check runs is told to wait: a few checks' time.
BUSY_RETRY_S = 1
REMEMBER_S = 600.0
REMEMBER_MAX_ENTRIES = 10_000
BUDGET_BUCKET = "signin-checks"
BUDGET_CLIENT = "service"


class PasswordChecks:
    """Check passwords against ``agent_users`` hashes within the bounds of the module."""

    def __init__(self, budget: RateLimiter) -> None:
        self._budget = budget
        self._at_once = threading.BoundedSemaphore(CHECKS_AT_ONCE)
        self._secret = secrets.token_bytes(32)
        self._remembered: OrderedDict[bytes, float] = OrderedDict()
        self._lock = threading.Lock()

    def remembered(self, name: str, password: str, stored_hash: str) -> bool:
        """Whether this name, password and hash matched within the last ``REMEMBER_S``."""
        fingerprint = self._fingerprint(name, password, stored_hash)
        now = time.monotonic()
        with self._lock:
            expires = self._remembered.get(fingerprint)
            if expires is None:
                return False
            if expires <= now:
                del self._remembered[fingerprint]
                return False
            return True

    def matches(self, name: str, password: str, stored_hash: str | None) -> bool:
        """Check ``password`` against ``stored_hash`` (None: an unknown user, checked against
        a hash of its own so that the answer takes as long) within the bounds.

        Raises:
            ServiceUnavailable: the service's budget of checks is spent, or this process's
                check did not finish in time; with Retry-After.
        """
        wait = self._budget.wait_seconds(BUDGET_BUCKET, BUDGET_CLIENT)
        if wait > 0:
            raise _busy(retry_after(wait))
        if not self._at_once.acquire(blocking=False):
            raise _busy(BUSY_RETRY_S)
        try:
            valid = check_password_hash(stored_hash or _unknown_user_hash(), password)
        finally:
            self._at_once.release()
        if stored_hash is None or not valid:
            return False
        self._remember(self._fingerprint(name, password, stored_hash))
        return True

    def _remember(self, fingerprint: bytes) -> None:
        with self._lock:
            self._remembered[fingerprint] = time.monotonic() + REMEMBER_S
            self._remembered.move_to_end(fingerprint)
            while len(self._remembered) > REMEMBER_MAX_ENTRIES:
                self._remembered.popitem(last=False)

    def _fingerprint(self, name: str, password: str, stored_hash: str) -> bytes:
        # The stored hash is part of it: a user given a new password in agent_users is
        # not let in with the old one.
        material = "\0".join((name, password, stored_hash)).encode("utf-8", "surrogatepass")
        return hmac.new(self._secret, material, hashlib.sha256).digest()


def _busy(seconds: int) -> ServiceUnavailable:
    return ServiceUnavailable(
        f"the agents' sign-in is busy: try again in {seconds} s", retry_after=seconds
    )


@cache
def _unknown_user_hash() -> str:
    """Checked when the user name is unknown, so that a wrong name takes as long as a wrong
    password and timing does not tell which names exist."""
    return generate_password_hash("no such user")
