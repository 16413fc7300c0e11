"""`backbone assistant register|login|logout`, the token file, and refreshing the login."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import httpx
import pytest

from backbone.cli._assistant_api import Session
from backbone.cli._credentials import Credentials, CredentialStore, config_path
from tests.unit.cli._assistant_fake import NOW, TASK, URL, USER, FakeAssistant, problem, task
from tests.unit.cli.conftest import AssistantCli

EMAIL = "ada@example.com"
PASSWORD = "correct horse battery"


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_register_asks_twice_and_prints_the_user_id(assistant: AssistantCli) -> None:
    """`register EMAIL` prompts for the password twice (hidden) and prints the new id."""
    result = assistant.run("register", EMAIL, "--url", URL, stdin=f"{PASSWORD}\n{PASSWORD}\n")
    assert result.code == 0, result.err
    assert result.out.splitlines()[0] == USER
    assert "Repeat for confirmation" in result.out
    assert PASSWORD not in result.out
    assert assistant.api.users == {EMAIL: PASSWORD}
    request = assistant.api.requests[0]
    assert (request.method, request.url.path) == ("POST", "/v1/auth/register")
    assert json.loads(request.content) == {"email": EMAIL, "password": PASSWORD}


def test_register_reads_the_password_from_stdin(assistant: AssistantCli) -> None:
    """`--password-stdin` takes one line, without its line end, and asks nothing."""
    result = assistant.run(
        "register", EMAIL, "--password-stdin", "--url", URL, stdin=f"{PASSWORD}\r\n"
    )
    assert result.code == 0, result.err
    assert assistant.api.users == {EMAIL: PASSWORD}
    assert "Password" not in result.out


def test_register_conflict_and_invalid_exit_1(assistant: AssistantCli) -> None:
    """409 says the account exists; 422 shows the problem's detail and pointer."""
    assistant.api.users[EMAIL] = PASSWORD
    taken = assistant.run("register", EMAIL, "--password-stdin", "--url", URL, stdin="x" * 12)
    assert taken.code == 1
    assert f"{EMAIL} already has an account: 409 Conflict" in taken.err
    short = assistant.run(
        "register", "bo@example.com", "--password-stdin", "--url", URL, stdin="short\n"
    )
    assert short.code == 1
    assert "422 Unprocessable Entity: The password is too short. (at /password)" in short.err
    assert "Traceback" not in short.err + short.out


def test_empty_password_on_stdin_is_a_usage_error(assistant: AssistantCli) -> None:
    """No password on stdin is refused before any request (exit 2)."""
    result = assistant.run("login", EMAIL, "--password-stdin", "--url", URL, stdin="\n")
    assert result.code == 2
    assert assistant.api.requests == []


def test_login_keeps_the_tokens_private(assistant: AssistantCli) -> None:
    """login posts the form, stores the pair 0600 in a 0700 dir, and never prints a token."""
    assistant.api.users[EMAIL] = PASSWORD
    result = assistant.run("login", EMAIL, "--url", URL, stdin=f"{PASSWORD}\n")
    assert result.code == 0, result.err
    request = assistant.api.requests[0]
    assert request.url.path == "/v1/auth/token"
    assert request.headers["content-type"] == "application/x-www-form-urlencoded"
    assert b"username=ada%40example.com" in request.content
    path = assistant.store.path
    assert _mode(path) == 0o600
    assert _mode(path.parent) == 0o700
    assert os.listdir(path.parent) == ["assistant.json"]
    stored = json.loads(path.read_text())
    assert stored["url"] == URL
    assert stored["expires_at"] == NOW + 900
    for token in (stored["access_token"], stored["refresh_token"]):
        assert token not in result.out + result.err
    assert f"logged in to {URL} as {EMAIL}" in result.out


def test_login_refused_stores_nothing(assistant: AssistantCli) -> None:
    """A wrong password is a 401 shown with its detail; no file is written."""
    assistant.api.users[EMAIL] = PASSWORD
    result = assistant.run("login", EMAIL, "--password-stdin", "--url", URL, stdin="wrong\n")
    assert result.code == 1
    assert "cannot log in: 401 Unauthorized: Incorrect email or password." in result.err
    assert not assistant.store.path.exists()


def test_a_401_refreshes_once_then_retries(assistant: AssistantCli) -> None:
    """A rejected access token is rotated with the refresh token, stored, and the call retried."""
    old = assistant.logged_in()
    assistant.api.access.discard(old.access_token)
    assistant.api.task = task()
    result = assistant.run("task", TASK)
    assert result.code == 0, result.err
    assert assistant.api.paths() == [f"/v1/tasks/{TASK}", "/v1/auth/refresh", f"/v1/tasks/{TASK}"]
    assert json.loads(assistant.api.requests[1].content) == {"refresh_token": old.refresh_token}
    new = assistant.store.load()
    assert new is not None
    assert new.refresh_token != old.refresh_token
    assert assistant.api.requests[2].headers["authorization"] == f"Bearer {new.access_token}"
    assert _mode(assistant.store.path) == 0o600


def test_an_expired_token_is_refreshed_before_the_call(assistant: AssistantCli) -> None:
    """Past its expiry the access token is not even sent: the pair is rotated first."""
    assistant.logged_in(expires_at=NOW - 1)
    assistant.api.task = task()
    result = assistant.run("task", TASK)
    assert result.code == 0, result.err
    assert assistant.api.paths() == ["/v1/auth/refresh", f"/v1/tasks/{TASK}"]


def test_a_refresh_that_fails_asks_to_log_in_again(assistant: AssistantCli) -> None:
    """A refused refresh token ends with `run backbone assistant login again`, exit 1."""
    old = assistant.logged_in()
    assistant.api.access.discard(old.access_token)
    assistant.api.refresh_tokens.clear()
    result = assistant.run("task", TASK)
    assert result.code == 1
    assert "run `backbone assistant login` again" in result.err
    assert assistant.api.paths().count("/v1/auth/refresh") == 1


def test_a_401_after_refreshing_is_not_retried_again(assistant: AssistantCli) -> None:
    """The refresh token is used once per command: a second 401 asks for a new login."""
    assistant.logged_in()
    assistant.api.answer("GET", f"/v1/tasks/{TASK}", problem(401, "no"), problem(401, "still no"))
    result = assistant.run("task", TASK)
    assert result.code == 1
    assert "still no" in result.err
    assert "run `backbone assistant login` again" in result.err
    assert assistant.api.paths().count("/v1/auth/refresh") == 1


def test_a_pair_stored_meanwhile_is_used_not_refreshed(tmp_path: Path) -> None:
    """If another process rotated the pair, its stored pair is used: a spent refresh token
    presented again would revoke the whole family."""
    api = FakeAssistant()
    store = CredentialStore(tmp_path / "assistant.json")
    ours = Credentials.from_pair(api.issue(), url=URL, email=EMAIL, now=NOW)
    theirs = Credentials.from_pair(api.issue(), url=URL, email=EMAIL, now=NOW)
    api.access.discard(ours.access_token)
    store.save(theirs)
    with httpx.Client(base_url=URL, transport=httpx.MockTransport(api)) as http:
        session = Session(http, store=store, credentials=ours, clock=lambda: NOW)
        assert session.request("GET", f"/v1/tasks/{TASK}").status_code == 200
    assert "/v1/auth/refresh" not in api.paths()


def test_not_logged_in_or_logged_in_elsewhere(assistant: AssistantCli) -> None:
    """Without a login, or with one for another URL, nothing is sent (no token leaves)."""
    assert "not logged in" in assistant.run("tasks").err
    assistant.logged_in()
    result = assistant.run("tasks", "--url", "http://elsewhere.test")
    assert result.code == 1
    assert f"logged in to {URL}, not http://elsewhere.test" in result.err
    assert assistant.api.requests == []


def test_logout_revokes_and_forgets(assistant: AssistantCli) -> None:
    """logout posts the refresh token with the bearer token, then deletes the file."""
    credentials = assistant.logged_in()
    result = assistant.run("logout")
    assert result.code == 0, result.err
    request = assistant.api.requests[0]
    assert request.url.path == "/v1/auth/logout"
    assert request.headers["authorization"] == f"Bearer {credentials.access_token}"
    assert json.loads(request.content) == {"refresh_token": credentials.refresh_token}
    assert not assistant.store.path.exists()
    assert assistant.run("logout").code == 0


def test_logout_after_a_refresh_revokes_the_new_token(assistant: AssistantCli) -> None:
    """A logout that had to rotate the pair revokes the new refresh token, not the spent one."""
    assistant.logged_in(expires_at=NOW)
    assert assistant.run("logout").code == 0
    refreshed = assistant.api.requests[1]
    assert refreshed.url.path == "/v1/auth/logout"
    assert json.loads(refreshed.content)["refresh_token"] in assistant.api.refresh_tokens


def test_logout_with_the_api_down_still_forgets(assistant: AssistantCli) -> None:
    """An unreachable API: the local login is deleted and the command says so, exit 1."""
    assistant.logged_in()
    assistant.api.answer("POST", "/v1/auth/logout", httpx.ConnectError("refused"))
    result = assistant.run("logout")
    assert result.code == 1
    assert "deleted all the same" in result.err
    assert not assistant.store.path.exists()


def test_a_damaged_credentials_file_is_one_line(assistant: AssistantCli) -> None:
    """A file that is not ours is reported (exit 1), not a traceback."""
    assistant.store.path.parent.mkdir(parents=True)
    assistant.store.path.write_text("{not json")
    result = assistant.run("tasks")
    assert result.code == 1
    assert "cannot read" in result.err
    assert isinstance(result.exception, SystemExit)


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"XDG_CONFIG_HOME": "/xdg"}, Path("/xdg/backbone/assistant.json")),
        ({"XDG_CONFIG_HOME": "relative"}, Path.home() / ".config/backbone/assistant.json"),
        ({}, Path.home() / ".config/backbone/assistant.json"),
    ],
)
def test_config_path_follows_xdg(env: dict[str, str], expected: Path) -> None:
    """An absolute XDG_CONFIG_HOME is used; a relative or missing one means ~/.config."""
    assert config_path(env) == expected


def test_a_failed_save_leaves_no_temporary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """If the final rename fails, the temporary file is removed and nothing is half written."""
    store = CredentialStore(tmp_path / "backbone" / "assistant.json")

    def fail(*_: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(OSError, match="disk full"):
        store.save(Credentials(URL, EMAIL, "a", "r", NOW))
    assert os.listdir(store.path.parent) == []


def test_credentials_repr_hides_the_tokens() -> None:
    """Printing credentials (a log line, a traceback) does not show the tokens."""
    text = repr(Credentials(URL, EMAIL, "access-secret", "refresh-secret", NOW))
    assert "secret" not in text
