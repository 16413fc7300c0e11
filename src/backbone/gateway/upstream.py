"""The gateway's way upstream: an ``httpx.AsyncClient`` per route, balanced per attempt.

Requests are addressed to a route, not to a server: ``http://users/users/123``. The
:class:`BalancingTransport` picks one of the route's instances for each attempt (so a
retry goes to the next instance, as nginx's ``proxy_next_upstream`` does), sets
``Host`` to that instance's, and reports the outcome to the pool's passive health.

:class:`ProxyClient` is an ``httpx.AsyncClient`` for proxying: it keeps no cookies
(one client's cookies must never reach another client's request), never follows
redirects (the client gets them), ignores proxy variables in the environment, and
its ``send()`` goes straight to the transport when no auth or event hook is set,
which is always the case in the gateway: httpx's per-request bookkeeping (cookie
extraction, auth and redirect loops) costs more CPU than the proxying itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from http.cookiejar import CookieJar
from typing import Any

import httpx
from httpx._client import USE_CLIENT_DEFAULT, UseClientDefault
from httpx._types import AuthTypes

from backbone.gateway.routing import FAILURE_STATUSES, Route
from backbone.gateway.transport import AiohttpTransport

__all__ = ["BalancingTransport", "ProxyClient", "route_origin"]


def route_origin(label: str) -> str:
    """The origin the requests of route ``label`` are addressed to (``http://<label>``)."""
    return f"http://{label}"


class BalancingTransport(AiohttpTransport):
    """Sends each attempt to the next healthy instance of the request's route."""

    def __init__(self, routes: Mapping[str, Route], **options: Any) -> None:
        super().__init__(**options)
        self._routes = dict(routes)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        route = self._routes.get(request.url.host)
        if route is None:
            return await super().handle_async_request(request)
        pool = route.pool
        instance = pool.pick()
        try:
            response = await self.send_to(request, instance.url, instance.netloc)
        except httpx.TransportError:
            pool.report(instance, ok=False)
            raise
        pool.report(instance, ok=response.status_code not in FAILURE_STATUSES)
        return response


class _NoCookies(CookieJar):
    """A cookie jar that keeps nothing and sends nothing."""

    def extract_cookies(self, response: Any, request: Any) -> None:
        return None

    def add_cookie_header(self, request: Any) -> None:
        return None


class ProxyClient(httpx.AsyncClient):
    """An ``httpx.AsyncClient`` without cookie jar, redirects or proxies from the environment."""

    def __init__(self, *, transport: httpx.AsyncBaseTransport, timeout: httpx.Timeout) -> None:
        super().__init__(
            transport=transport,
            timeout=timeout,
            follow_redirects=False,
            trust_env=False,
            cookies=_NoCookies(),
        )

    async def send(
        self,
        request: httpx.Request,
        *,
        stream: bool = False,
        auth: AuthTypes | UseClientDefault | None = USE_CLIENT_DEFAULT,
        follow_redirects: bool | UseClientDefault = USE_CLIENT_DEFAULT,
    ) -> httpx.Response:
        """``httpx.AsyncClient.send``; the lean path when nothing needs httpx's machinery."""
        hooks = self.event_hooks
        if (
            self.auth is not None
            or not isinstance(auth, UseClientDefault | None)
            or follow_redirects is True
            or hooks["request"]
            or hooks["response"]
            or self.is_closed
        ):
            return await super().send(
                request, stream=stream, auth=auth, follow_redirects=follow_redirects
            )
        response = await self._transport.handle_async_request(request)
        if not stream:
            try:
                await response.aread()
            finally:
                await response.aclose()
        return response
