"""What one app needs besides the engine: Redis, the caches, the limits and the feedback.

Built once per app (each gunicorn worker), after the fork: Redis connections and the
feedback refresher's thread must belong to the process that uses them.
"""

from __future__ import annotations

import hashlib
import math
import threading
from dataclasses import dataclass

from flask import Flask

from indexer.analytics.feedback import FeedbackLoader
from indexer.engine import Engine
from indexer.search import SearchService
from widget.cache import IndexVersion, RedisVectorCache, SuggestionCache
from widget.limits import RateLimiter
from widget.password_checks import PasswordChecks
from widget.pseudonyms import Pseudonyms, pseudonym_key
from widget.redis_link import RedisLink
from widget.signin_limits import SignInLimiter, SignInPolicy

RUNTIME_KEY = "askfind.runtime"


@dataclass
class Runtime:
    redis: RedisLink
    suggestions: SuggestionCache
    limiter: RateLimiter
    # What the limits count a client's address as (never the address itself).
    pseudonyms: Pseudonyms
    # Failed sign-ins to the agents' page, and the bounded password checks behind it.
    signin: SignInLimiter
    password_checks: PasswordChecks
    index_version: IndexVersion
    search: SearchService
    feedback: FeedbackLoader | None
    # One write at a time per process: writes are rare, and the embedded store and the
    # embedding cache take one writer anyway.
    write_lock: threading.Lock


def build_runtime(app: Flask, engine: Engine) -> Runtime:
    """Connect (lazily) to Redis and set up the caches, limits and feedback of an app."""
    settings = engine.settings
    # Cached answers and limits of differently configured services never mix in one Redis.
    namespace = hashlib.sha256(settings.model_dump_json().encode()).hexdigest()[:12]
    link = RedisLink(settings.redis_url, settings.redis_timeout, settings.redis_retry_seconds)
    vectors = RedisVectorCache(
        link, engine.embedder.model_id, engine.embedder.dimension, settings.cache_vector_ttl_seconds
    )
    search = SearchService(
        settings, engine.analyzer, engine.embedder, engine.backend, vector_cache=vectors
    )
    feedback = None
    if settings.feedback_boost > 0:
        from widget.events import event_store_of

        feedback = FeedbackLoader(
            lambda: event_store_of(app).read(types=("helpful",)), search.query_vector, settings
        )
        search.feedback = feedback
    return Runtime(
        redis=link,
        suggestions=SuggestionCache(
            link, namespace, settings.cache_ttl_seconds, settings.cache_local_entries
        ),
        limiter=RateLimiter(
            link, namespace, settings.rate_limit_per_second, settings.rate_limit_burst
        ),
        pseudonyms=Pseudonyms(pseudonym_key(settings)),
        signin=SignInLimiter(
            link,
            namespace,
            SignInPolicy(
                settings.signin_free_failures,
                settings.signin_backoff_max_seconds,
                settings.signin_forget_seconds,
            ),
        ),
        password_checks=PasswordChecks(
            RateLimiter(
                link,
                namespace,
                settings.signin_checks_per_second,
                max(1, math.ceil(2 * settings.signin_checks_per_second)),
            )
        ),
        index_version=IndexVersion(engine.backend, settings.index_version_interval),
        search=search,
        feedback=feedback,
        write_lock=threading.Lock(),
    )


def runtime_of(app: Flask) -> Runtime:
    runtime: Runtime = app.extensions[RUNTIME_KEY]
    return runtime
