"""Structured logs: one JSON object a line, each with the id of the request it belongs to.

Or text, for a person at a terminal: ``log_format = "auto"`` (the default) writes JSON
when stderr, where the logs go, is not a terminal (a service manager, a container, a
pipe, a file) and text when it is.

The request id comes from the caller's ``X-Request-Id`` (when it is a sane token) or is
made here, is sent back in the answer's ``X-Request-Id``, and is attached to every log
record written while the request runs, so one request's lines can be found among many
workers'. Query text reaches the logs only through :func:`indexer.privacy.redact`, and
so does every other text a record carries (:class:`RedactingFilter`): a path with an
address in it, a refused request line, an exception's message.
"""

from __future__ import annotations

import contextvars
import json
import logging
import logging.config
import re
import sys
import uuid
from datetime import UTC, datetime
from typing import Any

from indexer.privacy import redact

REQUEST_ID_HEADER = "X-Request-Id"
_SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
_request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "askfind_request_id", default=None
)
# Attributes every LogRecord has; anything else was passed in ``extra=`` and is logged.
_STANDARD = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "taskName"}
_HANDLER_NAME = "askfind"
# A request id is askfind's own token or a caller's checked one; its digits are no number.
_NOT_REDACTED = _STANDARD | {"request_id"}


def request_id_from(header: str | None) -> str:
    """The caller's request id if it is a plain token, else a new one (never their junk)."""
    if header and _SANE_REQUEST_ID.fullmatch(header):
        return header
    return uuid.uuid4().hex


def bind_request_id(request_id: str | None) -> contextvars.Token[str | None]:
    return _request_id.set(request_id)


def reset_request_id(token: contextvars.Token[str | None]) -> None:
    _request_id.reset(token)


def current_request_id() -> str | None:
    return _request_id.get()


class RedactingFilter(logging.Filter):
    """Redact what a record was given besides its message template: string arguments,
    string extras (a logged path) and the text of its exception.

    The templates are askfind's and its libraries' own text; the arguments are where a
    request's content gets in. Numbers pass as they are (a count is not personal).
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(_redacted_argument(value) for value in record.args)
        elif isinstance(record.args, dict):
            record.args = {key: _redacted_argument(v) for key, v in record.args.items()}
        for key, value in list(record.__dict__.items()):
            if key not in _NOT_REDACTED and isinstance(value, str):
                setattr(record, key, redact(value))
        if record.exc_info and not record.exc_text:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
        return True


def _redacted_argument(value: object) -> object:
    if isinstance(value, int | float) or value is None:
        return value
    return redact(str(value))


class JsonFormatter(logging.Formatter):
    """A log record as one line of JSON: time, level, logger, message, request id, extras."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = getattr(record, "request_id", None) or current_request_id()
        if request_id:
            entry["request_id"] = request_id
        for key, value in record.__dict__.items():
            if key not in _STANDARD and key not in entry:
                entry[key] = value
        if record.exc_text:
            entry["exception"] = record.exc_text
        elif record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """Plain text for people reading a terminal, with the request id when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        request_id = current_request_id()
        return f"{line} [request {request_id}]" if request_id else line


def formatter(log_format: str) -> logging.Formatter:
    if resolved_format(log_format) == "json":
        return JsonFormatter()
    return TextFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s")


def resolved_format(log_format: str) -> str:
    """``json`` or ``text``: ``auto`` is text on a terminal and JSON everywhere else."""
    if log_format != "auto":
        return log_format
    return "text" if sys.stderr.isatty() else "json"


def configure_logging(log_format: str, level: str) -> None:
    """Send every logger's records to stderr in the chosen format (idempotent)."""
    logging.config.dictConfig(logging_config(log_format, level))


def logging_config(log_format: str, level: str) -> dict[str, Any]:
    """askfind's logging as a dictConfig: one handler on the root logger, to stderr.

    gunicorn applies it too (``logconfig_dict``), after its own defaults, so its loggers
    hand their records to the root: worker boots and shutdowns appear in the same format
    as askfind's lines. (Without a root of its own, gunicorn's defaults would replace
    askfind's handler with theirs.)
    """
    # The Elasticsearch client logs every request it sends at INFO: four lines a
    # suggestion. faiss's loader logs at INFO which of its CPU builds (AVX2, AVX512) it
    # tried and failed to load, in every worker. Their warnings and errors still come
    # through; DEBUG shows everything.
    chatty = level if level == "DEBUG" else "WARNING"
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {_HANDLER_NAME: {"()": formatter, "log_format": log_format}},
        "filters": {_HANDLER_NAME: {"()": RedactingFilter}},
        "handlers": {
            _HANDLER_NAME: {
                "class": "logging.StreamHandler",
                "formatter": _HANDLER_NAME,
                "filters": [_HANDLER_NAME],
                "stream": "ext://sys.stderr",
            }
        },
        "root": {"level": level, "handlers": [_HANDLER_NAME]},
        "loggers": {
            "gunicorn.error": {"level": level, "handlers": [], "propagate": True},
            "gunicorn.access": {"level": "WARNING", "handlers": [], "propagate": True},
            "elastic_transport": {"level": chatty},
            "faiss": {"level": chatty},
        },
    }
