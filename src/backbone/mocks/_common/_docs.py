"""The ``responses=`` documentation routes share, worded as in the contracts.

The drift test compares the status codes each operation documents with its contract,
so a resource's operations take their whole ``responses`` from one function here.
"""

from __future__ import annotations

from typing import Any

from backbone.core.problems import problem_responses

Responses = dict[int | str, dict[str, Any]]

ETAG_PATTERN = r'^"[\x21\x23-\x7e]*"$'
ETAG_HEADER = {
    "ETag": {
        "description": "A strong entity tag for the current representation.",
        "required": True,
        "schema": {"type": "string", "pattern": ETAG_PATTERN},
    }
}
VALIDATION = problem_responses([422], description="The request did not validate.")
MALFORMED = problem_responses(
    [400], description="The body could not be decoded (e.g. JSON that is not UTF-8)."
)
BODY_REFUSED = problem_responses([413, 415])


def _not_found(noun: str) -> Responses:
    return problem_responses([404], description=f"No {noun} has this id.")


def _precondition_failed(noun: str) -> Responses:
    description = f"`If-Match` did not match the {noun}'s current `ETag`; nothing changed."
    return problem_responses([412], description=description)


def list_responses() -> Responses:
    """``GET`` of a collection."""
    return {200: {"description": "The page (possibly empty)."}, **VALIDATION}


def create_responses(noun: str) -> Responses:
    """``POST`` to a collection."""
    location = {
        "description": f"The new {noun}'s URL, relative.",
        "required": True,
        "schema": {"type": "string"},
    }
    created = {"description": "Created.", "headers": {"Location": location, **ETAG_HEADER}}
    return {201: created, **MALFORMED, **BODY_REFUSED, **VALIDATION}


def read_responses(noun: str) -> Responses:
    """``GET`` of one record, conditional on ``If-None-Match``."""
    not_modified = {"description": "`If-None-Match` matched; no body.", "headers": ETAG_HEADER}
    return {
        200: {"description": f"The {noun}.", "headers": ETAG_HEADER},
        304: not_modified,
        **_not_found(noun),
        **VALIDATION,
    }


def write_responses(noun: str, *, conflict: str | None = None) -> Responses:
    """``PUT`` or ``PATCH`` of one record; ``conflict`` describes its 409, if it has one."""
    refused = problem_responses([409], description=conflict) if conflict else {}
    return {
        200: {"description": f"The {noun} as now stored.", "headers": ETAG_HEADER},
        **MALFORMED,
        **_not_found(noun),
        **refused,
        **_precondition_failed(noun),
        **BODY_REFUSED,
        **VALIDATION,
    }


def delete_responses(noun: str) -> Responses:
    """``DELETE`` of one record."""
    return {
        204: {"description": "Deleted; the id now answers 404."},
        **_not_found(noun),
        **_precondition_failed(noun),
        **VALIDATION,
    }
