"""Where CrewAI may write and talk: configured before its first import, imported once.

CrewAI reads its switches from the environment when it is imported, and at import time
it also writes under the user's home: ``~/.config/crewai/`` (platform settings) and
``~/.local/share/crewai/credentials/secret.key`` (a key for tokens of its cloud login),
whatever ``CREWAI_STORAGE_DIR`` says. :func:`crewai` points both inside ``data_dir``
before importing it, so a service writes nothing outside its own data directory.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib
import logging
import os
import sys
import threading
import warnings
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from types import ModuleType

import portalocker

__all__ = ["configure_crewai", "crewai", "crewai_dir"]

logger = logging.getLogger(__name__)

_lock = threading.Lock()
_root: Path | None = None

_OFF_SWITCHES = {
    "CREWAI_DISABLE_TELEMETRY": "true",
    "OTEL_SDK_DISABLED": "true",
    "CREWAI_TRACING_ENABLED": "false",
}


def _default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local/share")
    return Path(base) / "backbone"


def configure_crewai(*, data_dir: Path) -> None:
    """Telemetry and tracing off (unless already set: a user may turn them on) and
    CrewAI's storage under ``<data_dir>/crewai``. Call before the first crew runs;
    called later, the storage moves but what CrewAI chose at import stays."""
    global _root
    root = Path(data_dir).expanduser().resolve() / "crewai"
    for name, value in _OFF_SWITCHES.items():
        os.environ.setdefault(name, value)
    # Absolute: CrewAI hands it to appdirs, whose os.path.join keeps only an absolute part.
    os.environ["CREWAI_STORAGE_DIR"] = str(root)
    with _lock:
        previous, _root = _root, root
        # The same directory again (a worker's handler, after the parent preloaded CrewAI
        # with it) changes nothing: only a move after the import is worth a warning.
        if "crewai" in sys.modules and root != previous:
            logger.warning("crewai_configured_after_import data_dir=%s", data_dir)


def crewai_dir() -> Path:
    """CrewAI's directory (``<data_dir>/crewai``), configuring the default if needed."""
    if _root is None:
        configure_crewai(data_dir=_default_data_dir())
    assert _root is not None  # noqa: S101 - set just above
    return _root


def crewai() -> ModuleType:
    """The ``crewai`` module, imported once, after its home-directory writes are redirected."""
    with _lock:
        loaded = sys.modules.get("crewai")
    if loaded is not None:
        return loaded
    root = crewai_dir()
    with _lock, warnings.catch_warnings():
        _redirect_user_files(root)
        # crewai.rag refuses attributes, so Python's import machinery warns (ImportWarning)
        # when it sets crewai.rag.embeddings: under -W error the import itself would fail.
        warnings.simplefilter("ignore", ImportWarning)
        return importlib.import_module("crewai")


def _file_locks(directory: Path) -> Callable[..., AbstractContextManager[None]]:
    """CrewAI's lock backend: lock files in ``directory`` (shared by the processes that
    share the data directory, whose files the locks protect)."""

    @contextlib.contextmanager
    def lock(name: str, *, timeout: float = 120) -> Iterator[None]:
        digest = hashlib.md5(name.encode(), usedforsecurity=False).hexdigest()
        directory.mkdir(parents=True, exist_ok=True)
        with portalocker.Lock(str(directory / f"{digest}.lock"), timeout=timeout):
            yield

    return lock


def _redirect_user_files(root: Path) -> None:
    import crewai_core.lock_store as lock_store
    import crewai_core.settings as core_settings
    import crewai_core.token_manager as token_manager

    # Left alone, CrewAI locks through REDIS_URL's Redis when that variable is set (as it
    # is for our services), else with files in the system's temporary directory.
    lock_store.set_lock_backend(_file_locks(root / "locks"))
    # crewai_core offers no setting for these two paths; both are read when used, so
    # replacing them before crewai's import (which creates both) is enough.

    core_settings.DEFAULT_CONFIG_PATH = root / "config" / "settings.json"
    credentials = root / "credentials"

    def storage_path() -> Path:
        credentials.mkdir(mode=0o700, parents=True, exist_ok=True)
        return credentials

    token_manager.TokenManager._get_secure_storage_path = staticmethod(storage_path)  # type: ignore[method-assign]


def preload_crewai() -> None:
    """Import CrewAI and the offline engine now (a worker's parent process, before it
    forks its pool: each child then starts with them loaded)."""
    crewai()
    importlib.import_module("backbone.agents._local")
    importlib.import_module("backbone.agents._tools")
