"""The routed paths in the gateway's OpenAPI document, generated from the route table.

The proxied paths are served by a plain ASGI handler, not by FastAPI routes, so FastAPI
cannot describe them: this module does, from the same configuration the handler routes
by. Each route prefix ``P`` gets ``P`` and ``P/{path}`` (``{path}`` stands for the rest
of the path, slashes included), every forwarded method, the upstream's answers
(``2XX`` and ``default``) and the statuses the gateway itself may answer.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from backbone.core.problems import PROBLEM_MEDIA_TYPE, Problem
from backbone.gateway.config import RouteConfig

__all__ = ["routed_paths"]

_OWN_ANSWERS = {
    "400": "The path could escape its route, or the request's framing is ambiguous.",
    "413": "The request body is over the gateway's limit.",
    "429": "The client is over its rate limit (`Retry-After`).",
    "431": "A header field, or the header section, is over the gateway's limit.",
    "502": "The upstream refused or dropped the connection, or answered with invalid HTTP.",
    "503": "The upstream's circuit is open (`Retry-After`).",
    "504": "The upstream did not answer within the route's timeout.",
}
_SUMMARIES = {
    "get": "read",
    "head": "read the headers only",
    "post": "create or act",
    "put": "replace",
    "patch": "change",
    "delete": "delete",
    "options": "ask the upstream about the resource",
}
_WITH_BODY = frozenset({"post", "put", "patch"})
_REQUEST_BODY = {
    "description": "Any body, in any media type, streamed to the upstream (over the limit: 413).",
    "required": False,
    "content": {
        "application/json": {"schema": {}},
        "application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
    },
}
_SUB_PATH = {
    "name": "path",
    "in": "path",
    "required": True,
    "description": "The rest of the path after the prefix (one or more segments).",
    "schema": {
        "type": "string",
        "minLength": 1,
        "maxLength": 1024,
        "pattern": r"^(?!\.\.?$)[^/\\%\x00-\x1f\x7f]+$",
    },
}


def _responses() -> dict[str, Any]:
    passthrough = {"description": "The upstream's answer, forwarded."}
    problem = {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}}
    own = {code: {"description": text, "content": problem} for code, text in _OWN_ANSWERS.items()}
    return {"2XX": passthrough, **own, "default": passthrough}


def _operation(route: RouteConfig, method: str, suffix: str) -> dict[str, Any]:
    name = route.label.capitalize()
    operation: dict[str, Any] = {
        "tags": ["proxy"],
        "operationId": f"proxy{name}{suffix}{method.capitalize()}",
        "summary": f"Forwarded: {_SUMMARIES[method]}.",
        "responses": _responses(),
    }
    if method in _WITH_BODY:
        operation["requestBody"] = _REQUEST_BODY
    return operation


def routed_paths(routes: Iterable[RouteConfig]) -> dict[str, dict[str, Any]]:
    """OpenAPI path items for every route: ``P`` and ``P/{path}``."""
    paths: dict[str, dict[str, Any]] = {}
    for route in routes:
        upstreams = ", ".join(route.upstreams)
        for path, suffix in ((route.prefix, ""), (f"{route.prefix}/{{path}}", "Path")):
            item: dict[str, Any] = {
                "description": f"Forwarded unchanged to {upstreams}.",
                **{method: _operation(route, method, suffix) for method in _SUMMARIES},
            }
            if suffix:
                item["parameters"] = [_SUB_PATH]
            paths[path] = item
    return paths


def problem_schema() -> dict[str, Any]:
    """The ``Problem`` component the routed responses refer to."""
    return Problem.model_json_schema()
