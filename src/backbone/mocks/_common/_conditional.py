"""Entity tags and conditional requests (RFC 9110 §8.8.3, §13.1).

- :func:`etag_for`: a strong tag derived from a record's JSON representation, so it
  changes exactly when the representation does.
- ``If-None-Match`` (reads) uses the weak comparison: a match, or ``*``, is a 304.
- ``If-Match`` (writes) uses the strong comparison: a weak tag never matches, ``*``
  matches any existing record; anything else is a 412.
"""

from __future__ import annotations

import hashlib
import re
from typing import Annotated

from fastapi import Header
from pydantic import BaseModel
from starlette.responses import Response

# An entity-tag: an optional weak indicator, then a quoted opaque tag (RFC 9110 §8.8.3).
_ENTITY_TAG = re.compile(r'(W/)?("[\x21\x23-\x7e\x80-\xff]*")')

IfNoneMatch = Annotated[
    str | None,
    Header(
        alias="If-None-Match",
        description="Entity tags (or `*`); when one matches the current `ETag` "
        "(weak comparison) the answer is 304.",
    ),
]
IfMatch = Annotated[
    str | None,
    Header(
        alias="If-Match",
        description="Entity tags (or `*`); unless one matches the current `ETag` "
        "(strong comparison) the answer is 412.",
    ),
]


def etag_for(record: BaseModel) -> str:
    """A strong entity tag for ``record``'s JSON representation."""
    digest = hashlib.sha256(record.model_dump_json().encode()).hexdigest()
    return f'"{digest[:32]}"'


def _tags(header: str) -> list[tuple[bool, str]]:
    """``(weak, opaque-tag)`` for every entity tag in a field value; garbage is skipped."""
    return [(weak == "W/", tag) for weak, tag in _ENTITY_TAG.findall(header)]


def none_match(if_none_match: str | None, etag: str) -> bool:
    """True when ``If-None-Match`` is ``*`` or names ``etag`` (weak comparison): a 304."""
    if if_none_match is None:
        return False
    if if_none_match.strip() == "*":
        return True
    return any(tag == etag for _, tag in _tags(if_none_match))


def match_fails(if_match: str | None, etag: str) -> bool:
    """True when ``If-Match`` is present and neither ``*`` nor ``etag`` (strong): a 412."""
    if if_match is None or if_match.strip() == "*":
        return False
    return not any(not weak and tag == etag for weak, tag in _tags(if_match))


def not_modified(etag: str) -> Response:
    """The 304 answer: no body, the current tag."""
    return Response(status_code=304, headers={"ETag": etag})
