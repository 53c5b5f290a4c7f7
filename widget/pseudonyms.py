"""Client addresses as the limits keep them: keyed digests, never the address.

An IP address is personal data, and the rate and sign-in limits keep one Redis key per
client (for seconds to minutes, but a dump file may catch them). The limits only need to
tell clients apart, so they count against an HMAC of the address under a key that is not
stored with them: ``client_pseudonym_key`` when set (every host sharing a Redis must then
set the same one, or each host counts a client on its own), else a random key made once
in the data dir and kept there (0600), shared by the workers of a host. A digest of the
address without a key would not do: the IPv4 space is small enough to try every address.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

from indexer.settings import Settings

KEY_FILE = "client-pseudonym.key"
KEY_BYTES = 32


class Pseudonyms:
    """The pseudonym of a client as ``limits.client_of`` names it (``addr:``, ``net:``);
    an API key's id is a digest already and stays as it is."""

    def __init__(self, key: bytes) -> None:
        self._key = key

    def of(self, client: str) -> str:
        kind, _, identity = client.partition(":")
        if kind == "key":
            return client
        digest = hmac.new(self._key, identity.encode("utf-8", "surrogatepass"), hashlib.sha256)
        return f"{kind}:{digest.hexdigest()[:24]}"


def pseudonym_key(settings: Settings) -> bytes:
    """The configured key, else the data dir's (made by the first worker that needs it);
    a process of its own when the data dir cannot hold one (then each worker counts on its
    own, as while Redis is away)."""
    configured = settings.client_pseudonym_key.get_secret_value()
    if configured:
        return configured.encode("utf-8")
    path = Path(settings.data_dir) / KEY_FILE
    try:
        return _read_or_make(path)
    except OSError:
        return secrets.token_bytes(KEY_BYTES)


def _read_or_make(path: Path) -> bytes:
    try:
        key = path.read_bytes()
        if len(key) == KEY_BYTES:
            return key
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    made = path.with_name(f".{KEY_FILE}.{os.getpid()}")
    made.unlink(missing_ok=True)
    descriptor = os.open(made, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as file:
        file.write(secrets.token_bytes(KEY_BYTES))
    try:
        os.link(made, path)  # the first worker's key wins; the others read it
    except FileExistsError:
        pass
    finally:
        made.unlink(missing_ok=True)
    return path.read_bytes()
