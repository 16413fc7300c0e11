"""What the mock services share (one package: services never import each other).

- JSON bodies: :data:`JsonInt`, :func:`refuse_null`, :func:`require_media_type` (415/400).
- Conditional requests: :func:`etag_for`, :data:`IfNoneMatch` / :data:`IfMatch`,
  :func:`none_match` (304), :func:`match_fails` (412), :func:`not_modified`.
- In-memory records: :class:`RecordStore` (ids never reused, ``If-Match`` checked under
  its lock), :func:`with_changes`, :func:`tagged` / :func:`tagged_unless_fresh` (the
  answer with its ``ETag``, or a 304), :func:`utcnow`.
- Pagination: :class:`Page`, :data:`Limit`, :data:`Offset`, :func:`page_of`.
- Waiting that a client disconnect cuts short: :func:`sleep_unless_disconnected`.
- OpenAPI ``responses=`` per kind of operation: :func:`read_responses` and friends.
- The factory body every mock shares: :func:`build_mock_app`.
"""

from backbone.core.pagination import Limit, Offset, Page, page_of
from backbone.mocks._common._app import build_mock_app
from backbone.mocks._common._body import (
    JSON_BODY,
    MERGE_PATCH_BODY,
    JsonInt,
    JsonNumber,
    json_number,
    present_members,
    refuse_null,
    require_media_type,
)
from backbone.mocks._common._conditional import (
    IfMatch,
    IfNoneMatch,
    etag_for,
    match_fails,
    none_match,
    not_modified,
)
from backbone.mocks._common._disconnect import disconnected, sleep_unless_disconnected
from backbone.mocks._common._docs import (
    BODY_REFUSED,
    ETAG_HEADER,
    MALFORMED,
    VALIDATION,
    Responses,
    create_responses,
    delete_responses,
    list_responses,
    read_responses,
    write_responses,
)
from backbone.mocks._common._store import (
    RecordStore,
    Versioned,
    tagged,
    tagged_unless_fresh,
    utcnow,
    with_changes,
)

__all__ = [
    "BODY_REFUSED",
    "ETAG_HEADER",
    "JSON_BODY",
    "MALFORMED",
    "MERGE_PATCH_BODY",
    "VALIDATION",
    "IfMatch",
    "IfNoneMatch",
    "JsonInt",
    "JsonNumber",
    "Limit",
    "Offset",
    "Page",
    "RecordStore",
    "Responses",
    "Versioned",
    "build_mock_app",
    "create_responses",
    "delete_responses",
    "disconnected",
    "etag_for",
    "json_number",
    "list_responses",
    "match_fails",
    "none_match",
    "not_modified",
    "page_of",
    "present_members",
    "read_responses",
    "refuse_null",
    "require_media_type",
    "sleep_unless_disconnected",
    "tagged",
    "tagged_unless_fresh",
    "utcnow",
    "with_changes",
    "write_responses",
]
