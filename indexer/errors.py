"""The error hierarchy of askfind: one base class, a subclass per kind of failure."""

import json


class AskfindError(Exception):
    """Base of every error askfind raises on purpose."""


class ConfigError(AskfindError):
    """A setting is missing or invalid."""


class InvalidQuery(AskfindError):
    """A search request cannot be answered as asked (empty, too long, bad filter...).

    ``parameter``: the name of the parameter at fault, where one is (as the HTTP API
    names it: "q", "board", "from", ...), so the command line can name its own option.
    """

    def __init__(self, message: str, parameter: str | None = None) -> None:
        super().__init__(message)
        self.parameter = parameter


class InvalidEvent(AskfindError):
    """An analytics event from the widget is malformed, too large or of an unknown kind."""


SELF_DUPLICATE = "a thread cannot be a duplicate of itself"


class DuplicateOfItself(InvalidEvent):
    """A thread was judged a duplicate of itself."""


class InvalidRecord(AskfindError):
    """A source record is not a valid thread; the reader reports and skips it."""


class BackendUnavailable(AskfindError):
    """The index backend cannot be reached or has no index yet."""


class IndexNotFound(BackendUnavailable):
    """No index has been built in the data directory."""


class ThreadNotFound(AskfindError):
    """No thread with the requested id exists.

    ``thread_id``: the id that was asked for, where one was, so that an answer can name it
    in the reader's language.
    """

    def __init__(self, message: str, thread_id: str | None = None) -> None:
        super().__init__(message)
        self.thread_id = thread_id


class RebuildInProgress(AskfindError):
    """Another full rebuild of the same index is running."""


class IndexWriteError(AskfindError):
    """Threads could not be written to the index; a rebuild that meets it is not published."""


class SourceUnavailable(AskfindError):
    """A community's API cannot be reached, refuses the credentials, or answers nonsense."""


class InvalidSignature(AskfindError):
    """A webhook's signature does not match its body (or the hook has no secret configured)."""


class UnreadableJson(AskfindError, ValueError):
    """JSON from outside cannot be read: not UTF-8, broken, nested too deeply, or holding
    a number too long to convert (``indexer.json_input``). A ValueError too, as the
    decoder's own errors are."""


class RepeatedKey(UnreadableJson):
    """A JSON object gives the same key twice (``{"q": "WLAN", "q": "DSL"}``), where
    only objects with unique keys are taken (``indexer.json_input.parse_json``)."""

    def __init__(self, key: str) -> None:
        super().__init__(f"an object gives the key {json.dumps(key)} more than once")
        self.key = key
