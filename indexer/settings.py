"""One typed settings object for askfind: defaults, a TOML file, then ASKFIND_* variables."""

from __future__ import annotations

import json
import os
import re
import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, SecretStr, ValidationError, ValidationInfo, field_validator
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    SettingsError,
    TomlConfigSettingsSource,
)

from indexer.errors import ConfigError
from indexer.json_input import not_utf8

CONFIG_ENV = "ASKFIND_CONFIG"
DEFAULT_CONFIG_FILE = "askfind.toml"


class Settings(BaseSettings):
    """Every knob of askfind, with its default and what it is for.

    Precedence, lowest first: the defaults below, the TOML file (``askfind.toml`` in the
    working directory, or the file named by ``ASKFIND_CONFIG``), ``ASKFIND_<NAME>``
    environment variables, and finally explicit overrides (command-line options).
    """

    model_config = SettingsConfigDict(env_prefix="ASKFIND_", frozen=True, extra="forbid")

    # --- storage -------------------------------------------------------------------
    data_dir: Path = Field(
        Path("askfind-data"), description="Where the embedded index and the caches live."
    )
    backend: Literal["embedded", "elasticsearch"] = Field(
        "embedded", description="Which index backend answers searches."
    )

    # --- Elasticsearch (backend = elasticsearch) -----------------------------------
    elasticsearch_url: str = Field(
        "http://127.0.0.1:9200",
        description="Address of the Elasticsearch cluster (several nodes comma-separated).",
    )
    elasticsearch_api_key: SecretStr = Field(
        SecretStr(""),
        description="API key (the encoded form) to authenticate with; wins over user and password.",
    )
    elasticsearch_username: str = Field(
        "", description="User for basic authentication (empty: none)."
    )
    elasticsearch_password: SecretStr = Field(
        SecretStr(""), description="Password for basic authentication."
    )
    elasticsearch_verify_certs: bool = Field(
        True, description="Verify the cluster's TLS certificate (https addresses)."
    )
    elasticsearch_ca_certs: Path | None = Field(
        None,
        description="CA certificates (PEM file) the cluster's certificate is checked "
        "against; default: the system's.",
    )
    elasticsearch_index_prefix: str = Field(
        "askfind",
        pattern=r"^[a-z0-9][a-z0-9_.-]*$",
        max_length=200,
        description="Name of the alias searched; the indices behind it are named after it "
        "(askfind-v20260101120000000000).",
    )
    elasticsearch_request_timeout: float = Field(
        5.0,
        gt=0,
        description="Seconds a search or single write may take before askfind gives up "
        "and answers 503.",
    )
    elasticsearch_num_candidates: int = Field(
        200,
        ge=1,
        le=10000,
        description="Nearest-neighbour candidates per shard the HNSW search visits for the "
        "vector top-K (recall against speed).",
    )
    elasticsearch_vocabulary_in_memory: int = Field(
        1_000_000,
        ge=0,
        description="Each serving process keeps the index's vocabulary in memory to expand "
        "the word being typed without a request, if it has at most this many terms (about "
        "70 bytes each); 0: always ask Elasticsearch.",
    )
    elasticsearch_bulk_size: int = Field(
        500, ge=1, description="Threads per bulk request while indexing."
    )
    elasticsearch_shards: int = Field(
        1,
        ge=1,
        description="Primary shards of a new index: one per 30 GB of primary size expected "
        "(about 3 million threads; docs/operations.md, Elasticsearch as a cluster).",
    )
    elasticsearch_replicas: str = Field(
        "0-1",
        pattern=r"^\d+(-(\d+|all))?$",
        description="Replicas of a new index: a number, or a range that follows the number "
        "of nodes (0-1: none on a single node, one as soon as there are two).",
    )

    # --- community connectors (askfind sync, /api/hooks) ----------------------------
    discourse_url: str = Field(
        "", description="Address of the Discourse forum read live (empty: none)."
    )
    discourse_api_key: SecretStr = Field(
        SecretStr(""), description="Discourse API key (sent as Api-Key; empty: anonymous)."
    )
    discourse_api_username: str = Field(
        "system", description="Discourse user the API key acts as (sent as Api-Username)."
    )
    discourse_webhook_secret: SecretStr = Field(
        SecretStr(""),
        description="Secret of the Discourse webhook; X-Discourse-Event-Signature is checked "
        "against it (empty: the hook is refused).",
    )
    khoros_url: str = Field(
        "", description="Address of the Khoros (Lithium) community read live (empty: none)."
    )
    khoros_token: SecretStr = Field(
        SecretStr(""), description="Khoros Community API v2 access token (sent as Bearer)."
    )
    khoros_webhook_secret: SecretStr = Field(
        SecretStr(""),
        description="Secret of askfind's Khoros hook; X-Askfind-Signature: t=<unix time>,"
        "v1=<HMAC-SHA256 of '<t>.<body>'> is checked against it (empty: the hook is refused).",
    )
    restricted_boards: Annotated[tuple[str, ...], NoDecode] = Field(
        (),
        description="Boards only some groups may see (Khoros exports carry no permissions): "
        "board:group|group entries, comma-separated; a public thread of such a board is "
        "indexed as restricted to those groups, whatever its source.",
    )
    khoros_page_size: int = Field(
        100, ge=1, le=1000, description="Messages per LiQL request (its LIMIT)."
    )
    source_timeout: float = Field(
        30.0, gt=0, description="Seconds a request to a community's API may take."
    )
    source_retries: int = Field(
        4,
        ge=0,
        description="Retries of a community API request that failed with 429, 5xx or a "
        "network error (with backoff, honouring Retry-After).",
    )
    hook_max_bytes: int = Field(
        1024 * 1024, ge=1024, description="Largest webhook body accepted, in bytes."
    )
    hook_max_age_seconds: int = Field(
        300,
        ge=1,
        description="Oldest a signed Khoros delivery (its t=) may be, in seconds, and how far "
        "ahead the sender's clock may run; older or later: refused (403).",
    )
    hook_delivery_memory_seconds: int = Field(
        7 * 86400,
        ge=600,
        description="Seconds the ids of applied webhook deliveries are remembered (in Redis "
        "when configured, and in hooks.sqlite in data_dir); a delivery seen within that time "
        "is refused (409).",
    )

    # --- analysis ------------------------------------------------------------------
    languages: Annotated[tuple[str, ...], NoDecode] = Field(
        ("de", "en"),
        description="Languages analysed (ISO 639-1, comma-separated); detection picks among these.",
    )
    default_language: str = Field(
        "de", description="Language assumed when detection is unsure and none is given."
    )
    language_confidence: float = Field(
        0.9,
        ge=0.0,
        le=1.0,
        description="Detection confidence below which a query is analysed in every language.",
    )
    prefix_min_chars: int = Field(
        3, ge=1, description="Shortest half-typed last word that is matched as a prefix."
    )
    prefix_max_expansions: int = Field(
        30, ge=1, description="At most this many index terms a half-typed word expands to."
    )
    compound_min_chars: int = Field(
        8, ge=4, description="German words at least this long are tried for compound splitting."
    )

    # --- embeddings ----------------------------------------------------------------
    embedding_model: str = Field(
        "use-multilingual-v3",
        description="The embedding model: a name of a bundled model (use-multilingual-v3, "
        "all-MiniLM-L6-v2, multilingual-e5-small), a sentence-transformers model name or local "
        "path, or an ensemble 'model*weight + model*weight' whose cosines are averaged with "
        "those weights.",
    )
    embedding_runtime: Literal["onnx-int8", "onnx", "torch"] = Field(
        "onnx-int8",
        description="How transformer models run: ONNX Runtime with int8 weights, ONNX float32, "
        "or torch (needs the sentence-transformers extra).",
    )
    model_cache_dir: Path = Field(
        Path.home() / ".cache" / "askfind" / "models",
        description="Where models converted for ONNX Runtime and the lemmatiser's dictionaries "
        "are kept (shared by all indexes).",
    )
    embedding_batch_size: int = Field(
        64, ge=1, description="Documents per batch where sentence-transformers embeds them."
    )
    embedding_max_tokens: int = Field(
        64,
        ge=16,
        description="Word pieces (words, for use-multilingual-v3) of a document that are "
        "embedded, title first.",
    )
    embedding_language_shares: dict[str, tuple[float, ...]] = Field(
        default_factory=dict,
        description="For queries in a language (the analyser sure of it), each model's share "
        'of the cosine, in the order of embedding_model (e.g. {"de": [0.9, 0.1]}); other '
        "queries take embedding_model's weights. Documents are embedded once either way.",
    )
    embedding_threads: int = Field(
        0,
        ge=0,
        description="Documents embedded at once while indexing (each on one core); 0: one per "
        "core. A query is embedded on one core.",
    )

    # --- retrieval -----------------------------------------------------------------
    lexical_candidates: int = Field(100, ge=1, description="Lexical top-K handed to the ranker.")
    vector_candidates: int = Field(100, ge=1, description="Vector top-K handed to the ranker.")
    title_boost: float = Field(2.0, ge=0, description="BM25 weight of the title field.")
    body_boost: float = Field(1.0, ge=0, description="BM25 weight of the question body.")
    solution_boost: float = Field(0.5, ge=0, description="BM25 weight of the accepted solution.")
    answers_boost: float = Field(0.1, ge=0, description="BM25 weight of the other replies.")
    bm25_k1: float = Field(1.2, ge=0, description="BM25 term-frequency saturation.")
    bm25_b: float = Field(0.75, ge=0, le=1, description="BM25 length normalisation.")
    ann_min_threads: int = Field(
        20000,
        ge=0,
        description="From this many threads on, vector search scans compact codes (4-bit "
        "product quantisation, the best candidates rescored from 8-bit codes) instead of "
        "the full vectors.",
    )
    ann_rescored: int = Field(
        1000,
        ge=1,
        description="Candidates of the compact scan rescored (recall vs speed): 1000 finds "
        "98 % of the exact top 100 at 1,000,000 threads (scripts/vector-recall).",
    )

    # --- ranking -------------------------------------------------------------------
    fusion: Literal["linear", "rrf"] = Field(
        "linear", description="How lexical and vector candidates are fused."
    )
    vector_weight: float = Field(1.0, ge=0, description="Weight of the cosine in linear fusion.")
    lexical_weight: float = Field(
        0.1, ge=0, description="Weight of the normalised BM25 score in linear fusion."
    )
    coverage_weight: float = Field(
        0.05, ge=0, description="Weight of the share of query terms matched in linear fusion."
    )
    model_languages: Annotated[tuple[str, ...], NoDecode] = Field(
        (),
        description="Languages the embedding model was trained on (comma-separated; empty: "
        "all, as for the multilingual default). Queries in other languages are fused with the "
        "other_language_* weights.",
    )
    other_language_vector_weight: float = Field(
        1.0, ge=0, description="vector_weight for queries in a language the model does not know."
    )
    other_language_lexical_weight: float = Field(
        0.2, ge=0, description="lexical_weight for queries in a language the model does not know."
    )
    other_language_coverage_weight: float = Field(
        0.3, ge=0, description="coverage_weight for queries in a language the model does not know."
    )
    rrf_k: float = Field(60.0, gt=0, description="The k of reciprocal rank fusion.")
    prior_solved: float = Field(
        0.03, ge=0, description="Bonus of a thread with an accepted answer."
    )
    prior_kudos: float = Field(0.02, ge=0, description="Bonus at 1,000 kudos (log-scaled).")
    prior_views: float = Field(0.01, ge=0, description="Bonus at 1,000,000 views (log-scaled).")
    prior_replies: float = Field(0.005, ge=0, description="Bonus at 100 replies (log-scaled).")
    prior_recency: float = Field(
        0.005, ge=0, description="Bonus of a brand-new thread, halving every half-life."
    )
    recency_half_life_days: float = Field(
        365.0, gt=0, description="Age in days at which the recency bonus has halved."
    )
    prior_article: float = Field(
        0.03,
        ge=0,
        description="Bonus of a help article (it has no accepted solution or kudos; written "
        "and kept up by the operator, it counts like an accepted solution).",
    )
    excluded_states: Annotated[tuple[Literal["closed", "archived"], ...], NoDecode] = Field(
        ("closed", "archived"),
        description="Thread states never suggested nor found (comma-separated; empty: every "
        "thread is). Forums that close solved topics on their own (Discourse's Solved "
        "plugin can) may want only archived.",
    )
    fast_moving_boards: Annotated[tuple[str, ...], NoDecode] = Field(
        (),
        description="Boards whose answers go stale as tariffs and firmware change "
        "(comma-separated): their accepted solutions older than outdated_after_days are "
        "marked as possibly outdated and rank lower.",
    )
    outdated_after_days: float = Field(
        365.0,
        gt=0,
        description="Age in days from which an accepted solution on a fast-moving board may "
        "be outdated.",
    )
    prior_outdated: float = Field(
        0.05,
        ge=0,
        description="Penalty of a possibly outdated accepted solution (more than prior_solved: "
        "it ranks below an open question as similar).",
    )
    confidence_models: dict[str, tuple[float, float, float, float, float]] = Field(
        default_factory=lambda: {
            "de": (-6.1, 3.06, 0.99, 4.93, 2.75),
            "en": (-5.42, 3.82, 3.33, 4.61, 0.74),
            "cross": (-5.08, 5.54, 2.13, 2.04, 1.79),
            "other": (-5.49, 2.01, 2.13, 4.85, 2.25),
        },
        description="Logistic confidence per kind of match - 'de', 'en': a thread in that "
        "language; 'cross': a thread in another language than the query; 'other': the rest "
        "- as [bias, weight of the cosine, of the share of query terms matched, of the "
        "cosine's margin over the query's 10th-nearest thread, of ranking first] (fitted by "
        "scripts/tune).",
    )
    confidence_floor: float = Field(
        0.15,
        ge=0,
        le=1,
        description="/api/suggest shows nothing below this confidence (scripts/tune: the highest "
        "floor at which 90 % of the questions with a right thread among their top 5 still see "
        "one).",
    )
    article_confidence_floor: float = Field(
        0.015,
        ge=0,
        le=1,
        description="confidence_floor of help articles: an article covers many questions, so "
        "its cosine to any one of them runs lower than a thread's (the demo's articles, 16 "
        "questions: a right one shown for 8 of the 10 they answer, a wrong one for 2).",
    )

    # --- HTTP service --------------------------------------------------------------
    host: str = Field("127.0.0.1", description="Address `askfind serve` binds to.")
    port: int = Field(8000, ge=1, le=65535, description="Port `askfind serve` listens on.")
    workers: int = Field(2, ge=1, description="gunicorn worker processes.")
    suggest_limit: int = Field(5, ge=1, description="Suggestions returned when no limit is given.")
    suggest_max_limit: int = Field(20, ge=1, description="Largest limit /api/suggest accepts.")
    articles_shown: int = Field(
        2,
        ge=0,
        le=10,
        description="Help articles /api/suggest and /api/search return in a section of their "
        "own (`articles`) when no articles= is given; 0: articles rank among the threads.",
    )
    search_max_limit: int = Field(100, ge=1, description="Largest limit /api/search accepts.")
    search_max_offset: int = Field(10000, ge=0, description="Largest offset /api/search accepts.")
    query_max_chars: int = Field(
        500,
        ge=1,
        description="Longest query GET /api/search and /api/suggest accept, in characters "
        "(longer text: POST /api/search).",
    )
    message_max_chars: int = Field(
        5000,
        ge=1,
        description="Longest pasted message POST /api/search accepts, in characters (its "
        "question sentences and key terms are searched, not its greeting or signature).",
    )
    url_max_bytes: int = Field(
        8000,
        ge=256,
        le=8100,
        description="Longest request target (path and query string) accepted, in bytes; "
        "longer: 414. At most 8100: gunicorn refuses request lines over 8190 bytes itself.",
    )
    header_max_count: int = Field(
        100, ge=10, le=1000, description="Most header fields a request may carry (more: 431)."
    )
    header_max_bytes: int = Field(
        8190,
        ge=1024,
        le=65536,
        description="Longest header field (name and value) accepted, in bytes (longer: 431).",
    )
    snippet_chars: int = Field(200, ge=20, description="Length of snippets in results.")

    # --- agents' page ----------------------------------------------------------------
    agent_auth: Literal["api-key", "password", "off"] = Field(
        "api-key",
        description="How the agents' page (/agent and /api/agent/) is protected: an API key "
        "of api_keys (a header, or the password of the browser's login prompt), a user of "
        "agent_users, or off (only behind a proxy that authenticates agents itself).",
    )
    agent_users: Annotated[tuple[str, ...], NoDecode] = Field(
        (),
        description="Users of the agents' page with agent_auth = password: name:hash entries, "
        "comma-separated (`askfind agent-user NAME` makes one; the hash is salted scrypt).",
    )
    agent_groups: Annotated[tuple[str, ...], NoDecode] = Field(
        (),
        description="What agents may see beyond public threads: name:group|group entries, "
        "comma-separated; the name is a user of agent_users, key:<first 12 hex digits of an "
        "API key's digest> for a key, or anonymous with agent_auth = off; * is every group. "
        "Agents not named see public threads only.",
    )
    admin_users: Annotated[tuple[str, ...], NoDecode] = Field(
        (),
        description="Who may open the dashboard at /admin: names as agent_groups names them "
        "(a user of agent_users, key:<first 12 hex digits of an API key's digest>, or "
        "anonymous with agent_auth = off), comma-separated; other agents get 403 there.",
    )
    chart_library_dir: Path = Field(
        Path.home() / ".cache" / "askfind" / "charts" / "node_modules" / "uplot" / "dist",
        description="Where the dashboard's charting library (uPlot, from npm; scripts/install "
        "puts it there) is read from; without it the dashboard shows its figures as tables.",
    )
    signin_free_failures: int = Field(
        5,
        ge=1,
        description="Failed sign-ins to the agents' page an address or a user name may make "
        "before each further one makes it wait, from 1 s doubling up to "
        "signin_backoff_max_seconds (429 with Retry-After).",
    )
    signin_backoff_max_seconds: float = Field(
        300.0, gt=0, description="Longest wait after failed sign-ins to the agents' page."
    )
    signin_forget_seconds: float = Field(
        900.0,
        gt=0,
        description="Seconds after the last failed sign-in when an address's or a user "
        "name's failures are forgotten.",
    )
    signin_checks_per_second: float = Field(
        2.0,
        ge=0,
        description="Password checks (salted scrypt, agent_auth = password) the whole service "
        "runs per second at most, so that guessing never slows the public API; past them "
        "a sign-in gets 503 with Retry-After (0: no budget).",
    )
    agent_duplicates: bool = Field(
        True,
        description="Fold threads that agents marked as duplicates into their canonical thread "
        "when ranking, as moderators' duplicate_of links are.",
    )

    # --- widget --------------------------------------------------------------------
    widget_origins: Annotated[tuple[str, ...], NoDecode] = Field(
        (),
        description="Origins of the pages that embed the widget (scheme://host[:port], "
        "comma-separated; * for any): their browsers may call the API and send events. "
        "The service's own origin is always allowed.",
    )
    events_max_bytes: int = Field(
        4096, ge=256, description="Largest analytics event accepted by /api/events, in bytes."
    )
    events_retention_days: int = Field(
        90,
        ge=1,
        le=3650,
        description="Days analytics events and agents' queries are kept; older ones are "
        "deleted by `askfind purge`, which the service runs once a day.",
    )
    experiment_holdout_share: float = Field(
        0.0,
        ge=0.0,
        le=0.5,
        description="Share of widget sessions, drawn at random, that get no suggestions, so "
        "that the report measures deflection against them (0: no experiment; see "
        "docs/operations.md).",
    )
    experiment_name: str = Field(
        "deflection",
        min_length=1,
        max_length=100,
        description="Name of the deflection experiment: renaming it draws the sessions' arms anew.",
    )
    gap_similarity: float = Field(
        0.55,
        gt=0,
        le=1,
        description="Content gaps (`askfind gaps`): a question joins the group of meaning "
        "whose centroid its embedding has at least this cosine with (scripts/content-gaps "
        "--fit: from 0.45 to 0.6 every gap topic of the replay is found, no answered one, and "
        "every group is pure; phrasings of different topics have cosines of 0.49 at most).",
    )

    # --- Redis: cache and rate limits ------------------------------------------------
    redis_url: str = Field(
        "",
        description="Redis for the suggestion cache and rate limits (redis://host:port/db); "
        "empty: none, each process caches and limits on its own.",
    )
    redis_timeout: float = Field(
        0.25, gt=0, description="Seconds a Redis connect or command may take before it is skipped."
    )
    redis_retry_seconds: float = Field(
        1.0,
        gt=0,
        description="After a Redis failure, seconds served without Redis before it is tried again.",
    )
    cache_ttl_seconds: int = Field(
        300, ge=0, description="Seconds a suggestion answer stays cached (0: no caching)."
    )
    cache_vector_ttl_seconds: int = Field(
        86400, ge=0, description="Seconds a query embedding stays in Redis (0: not shared)."
    )
    cache_local_entries: int = Field(
        10000, ge=0, description="Suggestion answers a process keeps itself while Redis is away."
    )
    index_version_interval: float = Field(
        0.5,
        ge=0,
        description="Seconds between checks whether another process changed the index (cached "
        "suggestions are keyed by the index version).",
    )
    rate_limit_per_second: float = Field(
        10.0,
        ge=0,
        description="Requests per second each client (IP address, or API key) may send to each "
        "of the read API, events and the write API (0: no limit).",
    )
    rate_limit_burst: int = Field(
        40, ge=1, description="Requests a client may send at once before the rate applies."
    )
    client_pseudonym_key: SecretStr = Field(
        SecretStr(""),
        description="Key of the HMAC that the rate and sign-in limits keep client addresses "
        "as (never the address); empty: a random key made once in data_dir. Hosts sharing "
        "one Redis set the same key, or each counts a client on its own.",
    )
    proxy_hops: int = Field(
        0,
        ge=0,
        description="Reverse proxies in front of askfind whose X-Forwarded-For and "
        "X-Forwarded-Proto are trusted (0: the connecting address is the client).",
    )

    # --- write API and administration ------------------------------------------------
    api_keys: Annotated[tuple[str, ...], NoDecode] = Field(
        (),
        description="SHA-256 digests (hex) of the API keys for the write API, reports and "
        "the agents' page (comma-separated; `askfind api-key` makes one).",
    )
    write_max_bytes: int = Field(
        4 * 1024 * 1024, ge=1024, description="Largest body POST /api/threads accepts, in bytes."
    )
    write_max_threads: int = Field(
        200, ge=1, description="Most threads one POST /api/threads may carry."
    )
    thread_max_chars: int = Field(
        100_000,
        ge=1000,
        description="Longest text a thread keeps on ingest (POST /api/threads, askfind index, "
        "sync, webhooks), in characters: its body, its accepted answer, and its other answers "
        "together each; longer text is cut, ending in '…', and the thread is reported as "
        "truncated.",
    )

    # --- feedback ----------------------------------------------------------------------
    feedback_boost: float = Field(
        0.03,
        ge=0,
        le=0.2,
        description="Largest score bonus of a thread customers found helpful for similar "
        "queries (0: feedback off).",
    )
    feedback_similarity: float = Field(
        0.85,
        ge=0,
        le=1,
        description="Cosine from which an earlier query counts as similar for feedback.",
    )
    feedback_min_sessions: int = Field(
        2, ge=1, description="Net helpful votes (sessions) before feedback boosts a thread."
    )
    feedback_refresh_seconds: float = Field(
        300.0, ge=0, description="Seconds between re-reads of the helpful votes (0: every search)."
    )

    # --- curation ----------------------------------------------------------------------
    curation_refresh_seconds: float = Field(
        1.0,
        ge=0,
        description="Seconds between checks whether an operator changed the curation rules "
        "(pins, hidden threads, synonyms; 0: every search).",
    )
    pin_similarity: float = Field(
        0.8,
        ge=0,
        le=1,
        description="Cosine from which a query counts as meaning one of a pin's example "
        "questions (a query holding every term of one always counts; docs/curation.md).",
    )

    # --- logs --------------------------------------------------------------------------
    log_format: Literal["auto", "json", "text"] = Field(
        "auto",
        description="Logs as one JSON object a line (with request ids), or as text; auto: "
        "text when stderr is a terminal, JSON otherwise.",
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        "INFO", description="Least severe log level written."
    )
    access_log: bool = Field(True, description="Log one line per HTTP request.")

    @field_validator("languages", "model_languages", mode="before")
    @classmethod
    def _language_list(cls, value: Any, info: ValidationInfo) -> Any:
        """Accept "de,en" (how the docs write it), a JSON list, or a list; check the codes."""
        if isinstance(value, str):
            if value.lstrip().startswith("["):
                try:
                    value = json.loads(value)
                except json.JSONDecodeError as e:
                    raise ValueError(f"not a JSON list: {e}") from e
            else:
                value = [code for code in value.split(",") if code.strip()]
        codes = tuple(str(code).strip().lower() for code in value)
        for code in codes:
            if not (2 <= len(code) <= 3 and code.isascii() and code.isalpha()):
                raise ValueError(f"{code!r} is not an ISO 639-1 language code")
        if not codes and info.field_name == "languages":
            raise ValueError("at least one language is needed")
        return codes

    @field_validator("confidence_models")
    @classmethod
    def _confidence_for_every_kind(
        cls, value: dict[str, tuple[float, float, float, float, float]]
    ) -> dict[str, tuple[float, float, float, float, float]]:
        if "other" not in value:
            raise ValueError("needs an 'other' model, for matches no other kind covers")
        return value

    @field_validator("agent_users", mode="before")
    @classmethod
    def _user_list(cls, value: Any) -> Any:
        """Accept "name:hash,name:hash" or a list; names without ':' or ',', hashes given."""
        if isinstance(value, str):
            value = [entry for entry in value.split(",") if entry.strip()]
        entries = tuple(str(entry).strip() for entry in value)
        for entry in entries:
            name, _, password_hash = entry.partition(":")
            if not name.strip() or "$" not in password_hash:
                raise ValueError(
                    f"{name or entry!r} is not name:hash (`askfind agent-user NAME` makes one)"
                )
        return entries

    @field_validator("agent_groups", "restricted_boards", mode="before")
    @classmethod
    def _group_grants(cls, value: Any, info: ValidationInfo) -> Any:
        """Accept "name:group|group,name:group" or a list; each entry names its groups."""
        if isinstance(value, str):
            value = [entry for entry in value.split(",") if entry.strip()]
        entries = tuple(str(entry).strip() for entry in value)
        for entry in entries:
            name, _, groups = entry.rpartition(":")
            if not name.strip() or not [g for g in groups.split("|") if g.strip()]:
                raise ValueError(f"{info.field_name}: {entry!r} is not name:group|group")
        return entries

    @field_validator("fast_moving_boards", "excluded_states", "admin_users", mode="before")
    @classmethod
    def _name_list(cls, value: Any) -> Any:
        """Accept "Tarife,Router" (or "closed,archived") or a list of names."""
        if isinstance(value, str):
            value = value.split(",")
        return tuple(dict.fromkeys(str(board).strip() for board in value if str(board).strip()))

    @field_validator("widget_origins", mode="before")
    @classmethod
    def _origin_list(cls, value: Any) -> Any:
        """Accept "https://a.example,https://b.example" or a list; check each is an origin."""
        if isinstance(value, str):
            value = [origin for origin in value.split(",") if origin.strip()]
        origins = tuple(str(origin).strip().rstrip("/").lower() for origin in value)
        for origin in origins:
            if origin != "*" and not re.fullmatch(r"https?://[a-z0-9.\-\[\]:]+", origin):
                raise ValueError(f"{origin!r} is not an origin like https://help.example.com")
        return origins

    @field_validator("api_keys", mode="before")
    @classmethod
    def _digest_list(cls, value: Any) -> Any:
        """Accept "digest1,digest2" or a list; each must be a SHA-256 hex digest, never a key."""
        if isinstance(value, str):
            value = [digest for digest in value.split(",") if digest.strip()]
        digests = tuple(str(digest).strip().lower() for digest in value)
        for digest in digests:
            if not re.fullmatch(r"[0-9a-f]{64}", digest):
                raise ValueError(
                    "api_keys holds SHA-256 digests (64 hex digits) of the keys, not the keys: "
                    "`askfind api-key` prints one"
                )
        return digests

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        config_file = os.environ.get(CONFIG_ENV, DEFAULT_CONFIG_FILE)
        toml = TomlConfigSettingsSource(settings_cls, toml_file=config_file)
        return (init_settings, env_settings, toml)


def load_settings(**overrides: Any) -> Settings:
    """Read the settings; ``overrides`` (e.g. from command-line options) win over everything.

    Raises:
        ConfigError: the settings file is not UTF-8 TOML, or a value in it or the
            environment is not valid.
    """
    explicit = {key: value for key, value in overrides.items() if value is not None}
    config_file = os.environ.get(CONFIG_ENV)
    if config_file and not Path(config_file).is_file():
        raise ConfigError(f"{CONFIG_ENV} names {config_file!r}, which is not a file")
    name = config_file or DEFAULT_CONFIG_FILE
    try:
        return Settings(**explicit)
    except UnicodeDecodeError as e:  # tomllib decodes the file's bytes as UTF-8
        raise ConfigError(f"the settings file {name} is {not_utf8(e)}") from e
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"the settings file {name} is not valid TOML: {e}") from e
    except SettingsError as e:
        raise ConfigError(f"invalid settings: {e}") from e
    except ValidationError as e:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in e.errors()
        )
        raise ConfigError(f"invalid settings: {problems}") from e


def describe_settings() -> list[tuple[str, str, str]]:
    """Return (name, default, help) for every setting: the source of the documentation."""
    rows = []
    for name, field in Settings.model_fields.items():
        default = field.get_default(call_default_factory=True)
        if isinstance(default, tuple):
            default = ",".join(default)
        elif isinstance(default, dict):
            default = json.dumps({key: list(value) for key, value in default.items()})
        rows.append((name, str(default), field.description or ""))
    return rows
