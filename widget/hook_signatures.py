"""Whether a webhook delivery comes from the community, and which delivery it is.

Each community signs its deliveries its own way (docs/webhooks.md has the whole contract):

- Discourse signs the body only: ``X-Discourse-Event-Signature: sha256=<hex HMAC-SHA256 of
  the body>``. Its delivery id, ``X-Discourse-Event-Id``, is a header outside the
  signature, and Discourse sends no time: a captured delivery with a new id passes.
  What makes such a replay harmless is that askfind applies no delivery on its word:
  the topic is read anew from the forum, deletes included.
- askfind's own Khoros hook signs a time with the body, as Stripe does:
  ``X-Askfind-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">``. A
  delivery whose ``t`` is more than ``hook_max_age_seconds`` away from this server's
  clock is refused, and the signature is the delivery's id: the same bytes again are
  the same delivery, and other bytes need a signature only the sender can make. Several
  ``v1=`` entries may be given (a sender changing its secret signs with both).

Every comparison with a computed signature runs in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import time
from collections.abc import Callable, Mapping

from werkzeug.exceptions import BadRequest, Forbidden

from widget.auth import signature_matches

DISCOURSE_SIGNATURE = "X-Discourse-Event-Signature"
DISCOURSE_DELIVERY = "X-Discourse-Event-Id"
ASKFIND_SIGNATURE = "X-Askfind-Signature"
ASKFIND_FORM = "t=<unix time>,v1=<hex HMAC-SHA256 of '<t>.<body>'>"
DELIVERY_ID = re.compile(r"[A-Za-z0-9_.\-]{1,100}")
TIMESTAMP = re.compile(r"\d{1,12}")
HEX_DIGEST = re.compile(r"[0-9a-f]{64}")

# (body, secret, headers, hook_max_age_seconds) -> the delivery's id, or an HTTP error.
Verifier = Callable[[bytes, str, Mapping[str, str], int], str]


def verify_discourse(body: bytes, secret: str, headers: Mapping[str, str], max_age: int) -> str:
    """The id of a Discourse delivery whose body carries the forum's signature.

    Raises:
        Forbidden: the signature does not match the body.
        BadRequest: a signed delivery without a usable ``X-Discourse-Event-Id``.
    """
    if not signature_matches(body, secret, headers.get(DISCOURSE_SIGNATURE)):
        raise Forbidden(f"the signature ({DISCOURSE_SIGNATURE}) does not match the body")
    delivery = headers.get(DISCOURSE_DELIVERY, "").strip()
    if not DELIVERY_ID.fullmatch(delivery):
        raise BadRequest(
            f"the delivery has no {DISCOURSE_DELIVERY} (letters, digits, '_.-', at most 100): "
            "every delivery needs an id, so that none is applied twice"
        )
    return delivery


def verify_askfind(
    body: bytes,
    secret: str,
    headers: Mapping[str, str],
    max_age: int,
    now: Callable[[], float] = time.time,
) -> str:
    """The id of a delivery signed as askfind's hooks sign (``t=...,v1=...``), if recent.

    Raises:
        Forbidden: no such signature, one that does not match, or a time further from
            this server's clock than ``max_age`` seconds.
    """
    header = headers.get(ASKFIND_SIGNATURE, "")
    stamp, signatures = _parsed_askfind_signature(header)
    if not secret or stamp is None or not signatures:
        raise Forbidden(
            f"{ASKFIND_SIGNATURE} must be {ASKFIND_FORM}; the older sha256=<HMAC of the body> "
            "carries no time and is refused"
        )
    expected = hmac.new(secret.encode("utf-8"), stamp.encode() + b"." + body, hashlib.sha256)
    matched = None
    for presented in signatures:  # every one, always: no early exit to time
        if hmac.compare_digest(expected.hexdigest().encode(), presented.encode()):
            matched = presented
    if matched is None:
        raise Forbidden(f"the signature ({ASKFIND_SIGNATURE}) does not match t and the body")
    skew = now() - int(stamp)
    if skew > max_age:
        raise Forbidden(
            f"the delivery was signed {skew:.0f} s ago; deliveries older than "
            f"{max_age} s (setting hook_max_age_seconds) are refused"
        )
    if -skew > max_age:
        raise Forbidden(
            f"the delivery's time t={stamp} is {-skew:.0f} s ahead of this server's clock "
            f"(at most {max_age} s, setting hook_max_age_seconds)"
        )
    return f"v1={matched}"


def askfind_signature(body: bytes, secret: str, stamp: int) -> str:
    """The ``X-Askfind-Signature`` value of ``body`` signed at unix time ``stamp`` (for
    senders written in Python, and the tests)."""
    digest = hmac.new(secret.encode("utf-8"), f"{stamp}.".encode() + body, hashlib.sha256)
    return f"t={stamp},v1={digest.hexdigest()}"


def _parsed_askfind_signature(header: str) -> tuple[str | None, list[str]]:
    """(t, the v1 signatures) of a header; (None, []) when it is not of that form."""
    stamp: str | None = None
    signatures: list[str] = []
    for part in header.split(","):
        name, _, value = part.strip().partition("=")
        value = value.strip().lower()
        if name == "t" and TIMESTAMP.fullmatch(value) and stamp is None:
            stamp = value
        elif name == "v1" and HEX_DIGEST.fullmatch(value):
            signatures.append(value)
        elif name not in ("t", "v1"):
            continue  # other schemes a sender may add later
        else:
            return None, []
    return stamp, signatures
