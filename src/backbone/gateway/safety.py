"""Requests the gateway refuses before anything is forwarded.

- **Paths that could escape their route**: rather than normalise (and risk disagreeing
  with the upstream about what a path means), a path with a dot segment (``.`` or
  ``..``), an encoded slash or backslash, a backslash, or a control character is
  refused, whatever the depth of percent-encoding (``%2e``, ``%252e``...).
- **Ambiguous framing** (request smuggling): ``Content-Length`` together with
  ``Transfer-Encoding``, more than one ``Content-Length`` value (even equal ones: the
  field is forwarded as it came, and an upstream may read a list differently), a
  ``Transfer-Encoding`` other than exactly ``chunked`` (in any case), a
  ``Content-Length`` that is not a number, and ``Content_Length`` or
  ``Transfer_Encoding``, which CGI-style upstreams read as the real thing.
- **Oversized headers**: one field, or the whole section, over its limit (431).

Each check returns ``None`` when the request is fine, else a :class:`Refusal`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import unquote_to_bytes

__all__ = ["Refusal", "check_header_size", "check_path", "declared_length"]

Header = tuple[bytes, bytes]

_CONTROL = re.compile(rb"[\x00-\x1f\x7f\\]")
_MAX_DECODINGS = 4
_OWS = b" \t"
# Names a CGI-style server (``HTTP_CONTENT_LENGTH``) cannot tell from the framing fields.
_LOOKALIKES = frozenset({b"content_length", b"transfer_encoding"})


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why a request is refused, and with which status."""

    status: int
    detail: str


_PATH_REFUSED = Refusal(400, "The path could escape its route and is refused.")


def _segment_is_unsafe(segment: bytes) -> bool:
    """A dot segment or a hidden separator, at any depth of percent-encoding."""
    for depth in range(_MAX_DECODINGS + 1):
        if segment in (b".", b".."):
            return True
        if depth and (b"/" in segment or _CONTROL.search(segment)):
            return True
        if b"%" not in segment:
            return False
        segment = unquote_to_bytes(segment)
    return True  # still encoded after that many rounds: nobody needs this


def check_path(raw_path: bytes) -> Refusal | None:
    """Refuse a raw request path that could mean something else upstream."""
    if _CONTROL.search(raw_path):
        return _PATH_REFUSED
    if b"%" not in raw_path and b"/." not in raw_path:
        return None  # the common case: nothing to decode, no dot segment possible
    if any(_segment_is_unsafe(segment) for segment in raw_path.split(b"/")):
        return _PATH_REFUSED
    return None


def declared_length(headers: Sequence[Header]) -> int | Refusal | None:
    """The body length the request declares: 0 when it declares none, ``None`` if chunked.

    Refuses (400) every framing a front-end and a back-end could read differently. Only
    optional whitespace (space, tab) is ignored around a value: a vertical tab or a
    form feed is part of it, whatever Python's ``strip()`` would say.
    """
    lengths: list[bytes] = []
    encodings: list[bytes] = []
    for name, value in headers:
        if name == b"content-length":
            lengths.append(value.strip(_OWS))
        elif name == b"transfer-encoding":
            encodings.append(value.strip(_OWS).lower())
        elif name in _LOOKALIKES:
            return Refusal(400, f"The request's framing is ambiguous ({name.decode()}).")
    if encodings:
        if lengths or encodings != [b"chunked"]:
            return Refusal(400, "The request's framing is ambiguous (Transfer-Encoding).")
        return None
    if not lengths:
        return 0
    if len(lengths) > 1 or b"," in lengths[0]:
        return Refusal(400, "The request has more than one Content-Length value.")
    length = lengths[0]
    if not length.isdigit() or len(length) > 18:
        return Refusal(400, "The request's Content-Length is not a number.")
    return int(length)


def check_header_size(
    headers: Sequence[Header], *, max_field: int, max_total: int
) -> Refusal | None:
    """431 when one header field, or all of them, are larger than allowed."""
    total = 0
    for name, value in headers:
        size = len(name) + len(value) + 4  # ": " and CRLF, as on the wire
        if size > max_field:
            return Refusal(431, "A request header field is too large.")
        total += size
    if total > max_total:
        return Refusal(431, "The request's header section is too large.")
    return None
