"""The assistant API as ``backbone assistant`` speaks it (contracts/openapi/assistant.yaml).

Errors form one tree; each message is for people and never holds a token::

    ApiError            the API refused (its problem+json detail and pointer), or answered
    |                   something this CLI does not understand
    +-- Unreachable     no connection, or the connection was lost
    +-- LoginRequired   no stored login, or the refresh token no longer works

:class:`Session` adds the bearer token to each request. An access token that has
expired, or a 401, makes it rotate the pair once with the refresh token and store the
new pair; when that fails too, the user has to log in again.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx

from backbone.cli._credentials import Credentials, CredentialsError, CredentialStore

__all__ = [
    "ApiError",
    "LoginRequired",
    "Session",
    "Unreachable",
    "decode_json",
    "expect",
    "login",
    "problem",
    "register",
    "save_artifact",
    "unreachable",
]

ARTIFACT_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")
"""The contract's pattern for artifact names: no separators, so no way out of --out."""
LOGIN_AGAIN = "run `backbone assistant login` again"


class ApiError(Exception):
    """The API refused, or answered something unexpected; the message says why."""


class Unreachable(ApiError):
    """The API could not be reached, or the connection to it was lost."""


class LoginRequired(ApiError):
    """There is no usable login: the user has to run ``backbone assistant login``."""


def problem(response: httpx.Response) -> str:
    """``STATUS Reason: detail (at pointer)`` of an error answer, problem+json or not."""
    response.read()
    try:
        body = response.json()
    except ValueError:
        body = None
    detail = pointer = None
    if isinstance(body, dict):
        detail = body.get("detail") or body.get("title")
        pointer = body.get("pointer")
    text = f"{response.status_code} {response.reason_phrase}: "
    text += str(detail or response.text[:200] or "no detail given")
    if pointer:
        text += f" (at {pointer})"
    retry = response.headers.get("retry-after")
    if retry and response.status_code in (429, 503):
        text += f" (retry after {retry} s)"
    return text


def unreachable(url: httpx.URL | str, exc: httpx.TransportError) -> Unreachable:
    """The error of a request that got no answer."""
    if isinstance(exc, httpx.ConnectError):
        return Unreachable(
            f"the assistant API is not reachable at {url} ({exc}); "
            "is it running? `backbone up` starts the stack"
        )
    reason = str(exc) or type(exc).__name__
    return Unreachable(f"lost the connection to the assistant API at {url}: {reason}")


def expect(response: httpx.Response, status: int, what: str) -> dict[str, Any]:
    """The JSON object of an answer with ``status``; :class:`ApiError` naming ``what`` if not."""
    if response.status_code != status:
        raise ApiError(f"{what}: {problem(response)}")
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise ApiError(f"{what}: the API answered {status} without a JSON object")
    return body


def _post(http: httpx.Client, path: str, **kwargs: Any) -> httpx.Response:
    try:
        return http.post(path, **kwargs)
    except httpx.TransportError as exc:
        raise unreachable(http.base_url, exc) from exc


def register(http: httpx.Client, *, email: str, password: str) -> dict[str, Any]:
    """Create an account; the ``User`` the API answers."""
    response = _post(http, "/v1/auth/register", json={"email": email, "password": password})
    if response.status_code == 409:
        raise ApiError(f"{email} already has an account: {problem(response)}")
    return expect(response, 201, "the account was not created")


def _credentials(pair: dict[str, Any], *, url: str, email: str, now: float) -> Credentials:
    try:
        return Credentials.from_pair(pair, url=url, email=email, now=now)
    except CredentialsError as exc:
        raise ApiError(str(exc)) from exc


def login(http: httpx.Client, *, email: str, password: str, now: float) -> Credentials:
    """Exchange an email and password for tokens (the OAuth2 password flow)."""
    form = {"grant_type": "password", "username": email, "password": password}
    pair = expect(_post(http, "/v1/auth/token", data=form), 200, "cannot log in")
    return _credentials(pair, url=str(http.base_url).rstrip("/"), email=email, now=now)


class Session:
    """Authenticated requests to the API; rotates the token pair at most once."""

    def __init__(
        self,
        http: httpx.Client,
        *,
        store: CredentialStore,
        credentials: Credentials,
        clock: Callable[[], float],
    ) -> None:
        self.http = http
        self.store = store
        self.credentials = credentials
        self.clock = clock
        self._refreshed = False

    def _authorized(self, send: Callable[[], httpx.Response]) -> httpx.Response:
        """``send()``'s answer; an expired token or a 401 rotates the pair once first."""
        if self.credentials.expired(self.clock()):
            self.refresh()
        response = send()
        if response.status_code == 401 and not self._refreshed:
            response.close()
            self.refresh()
            response = send()
        if response.status_code == 401:
            reason = problem(response)
            response.close()
            raise LoginRequired(f"the API refused the renewed login ({reason}): {LOGIN_AGAIN}")
        return response

    @contextlib.contextmanager
    def stream(self, method: str, path: str, **kwargs: Any) -> Iterator[httpx.Response]:
        """Send a request with the access token; its answer, body not read yet."""
        response = self._authorized(lambda: self._send(method, path, **kwargs))
        try:
            yield response
        finally:
            response.close()

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """Send a request with the access token; its answer, body read."""
        with self.stream(method, path, **kwargs) as response:
            response.read()
        return response

    def _send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = {**(kwargs.get("headers") or {})}
        headers["Authorization"] = f"Bearer {self.credentials.access_token}"
        request = self.http.build_request(method, path, **{**kwargs, "headers": headers})
        try:
            return self.http.send(request, stream=True)
        except httpx.TransportError as exc:
            raise unreachable(self.http.base_url, exc) from exc

    def logout(self) -> None:
        """Revoke the refresh token (and its family) on the API."""
        response = self._authorized(
            lambda: self._send(
                "POST", "/v1/auth/logout", json={"refresh_token": self.credentials.refresh_token}
            )
        )
        try:
            if response.status_code != 204:
                raise ApiError(f"cannot log out: {problem(response)}")
        finally:
            response.close()

    def refresh(self) -> None:
        """Rotate the token pair with the refresh token and store the new pair."""
        self._refreshed = True
        if self._adopt_stored():
            return
        body = {"refresh_token": self.credentials.refresh_token}
        response = _post(self.http, "/v1/auth/refresh", json=body)
        if response.status_code in (400, 401, 422):
            raise LoginRequired(f"the login has expired ({problem(response)}): {LOGIN_AGAIN}")
        pair = expect(response, 200, "cannot renew the login")
        old = self.credentials
        self.credentials = _credentials(pair, url=old.url, email=old.email, now=self.clock())
        self.store.save(self.credentials)

    def _adopt_stored(self) -> bool:
        """Use a pair another ``backbone`` process stored meanwhile (a spent refresh token
        presented twice would revoke the whole family)."""
        try:
            stored = self.store.load()
        except CredentialsError:
            return False
        ours = self.credentials
        if stored is None or stored.url != ours.url or stored.refresh_token == ours.refresh_token:
            return False
        self.credentials = stored
        return not stored.expired(self.clock())


def save_artifact(session: Session, task_id: str, name: str, directory: Path) -> Path:
    """Download one artifact of a task to ``directory/<task_id>-<name>``; that path."""
    if not ARTIFACT_NAME.fullmatch(name):
        raise ApiError(f"the API named an artifact {name!r}, which is not a plain file name")
    target = directory / f"{task_id}-{name}"
    partial = directory / f".{task_id}-{name}.part"
    with session.stream("GET", f"/v1/tasks/{task_id}/artifacts/{name}") as response:
        if response.status_code != 200:
            raise ApiError(f"cannot download {name}: {problem(response)}")
        try:
            with partial.open("wb") as file:
                for chunk in response.iter_bytes():
                    file.write(chunk)
        except httpx.TransportError as exc:
            partial.unlink(missing_ok=True)
            raise unreachable(session.http.base_url, exc) from exc
    partial.replace(target)
    return target


def decode_json(data: str, what: str) -> dict[str, Any]:
    """The JSON object in ``data`` (an event's data); :class:`ApiError` if it is not one."""
    try:
        value = json.loads(data)
    except ValueError:
        value = None
    if not isinstance(value, dict):
        raise ApiError(f"the API sent {what} that is not a JSON object: {data[:100]!r}")
    return value
