"""HTTP rules every layer shares, on plain values.

The FastAPI services, uvicorn's protocol (:mod:`backbone.core.server`) and the
gateway's raw ASGI handler each answer on their own path; the rules they answer by
live here once, free of any framework, so the gateway's hot path can use them cheaply.

- :data:`HTTP_METHODS`: the methods services route, count by name and list in ``Allow``.
"""

from __future__ import annotations

__all__ = ["HTTP_METHODS"]

HTTP_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
"""In the order an ``Allow`` header lists them; anything else is counted as ``OTHER``."""
