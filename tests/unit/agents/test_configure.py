"""configure_crewai: CrewAI's switches off by default, its files inside the data directory,
and a kickoff that writes nothing elsewhere and connects to nothing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from backbone.agents import configure_crewai

pytestmark = pytest.mark.timeout(120)

SCRIPT = r"""
import ipaddress, json, os, socket, sys
from pathlib import Path

reached = []
_connect = socket.socket.connect
_getaddrinfo = socket.getaddrinfo

def _loopback(host):
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"

def connect(self, address):
    if isinstance(address, tuple) and not _loopback(address[0]):
        reached.append(repr(address))
        raise OSError("network refused by the test")
    return _connect(self, address)

def getaddrinfo(host, *args, **kwargs):
    if host is not None and not _loopback(str(host)):
        reached.append(str(host))
        raise OSError("name lookup refused by the test")
    return _getaddrinfo(host, *args, **kwargs)

socket.socket.connect = connect
socket.getaddrinfo = getaddrinfo

from pydantic import BaseModel
from backbone.agents import (AgentSettings, AgentSpec, CrewSpec, TaskSpec, ToolCall, ToolSpec,
                             configure_crewai, run_crew)

class Args(BaseModel):
    n: int

configure_crewai(data_dir=Path(sys.argv[1]))
switches = {k: os.environ.get(k) for k in ("CREWAI_DISABLE_TELEMETRY", "OTEL_SDK_DISABLED",
            "CREWAI_TRACING_ENABLED", "CREWAI_STORAGE_DIR")}
spec = CrewSpec(AgentSpec("r", "g", "b"), TaskSpec("Count.", "a number"),
                [ToolSpec("count", "Counts.", Args, lambda a: {"n": a.n})])
outcome = run_crew(spec, settings=AgentSettings(), inputs={},
                   plan=[ToolCall("count", {"n": 3})], compose=lambda steps: str(steps[0].output))
print(json.dumps({"text": outcome.text, "reached": reached, "switches": switches}))
"""


def _files(root: Path) -> list[str]:
    return sorted(str(path.relative_to(root)) for path in root.rglob("*") if path.is_file())


def test_a_kickoff_stays_in_the_data_dir_and_off_the_network(tmp_path: Path) -> None:
    """HOME, XDG dirs, TMPDIR and the working directory stay empty; no remote connection."""
    dirs = {name: tmp_path / name for name in ("home", "xdg-data", "xdg-config", "tmp", "cwd")}
    for path in dirs.values():
        path.mkdir()
    data_dir = tmp_path / "data"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CREWAI_", "OTEL_"))}
    env.update(
        HOME=str(dirs["home"]),
        XDG_DATA_HOME=str(dirs["xdg-data"]),
        XDG_CONFIG_HOME=str(dirs["xdg-config"]),
        TMPDIR=str(dirs["tmp"]),
        PYTHONPATH=os.pathsep.join(sys.path),
    )
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(data_dir)],
        cwd=dirs["cwd"],
        env=env,
        capture_output=True,
        text=True,
        timeout=100,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["text"] == "{'n': 3}"
    assert report["reached"] == []
    assert report["switches"] == {
        "CREWAI_DISABLE_TELEMETRY": "true",
        "OTEL_SDK_DISABLED": "true",
        "CREWAI_TRACING_ENABLED": "false",
        "CREWAI_STORAGE_DIR": str(data_dir.resolve() / "crewai"),
    }
    for name, path in dirs.items():
        assert _files(path) == [], f"{name} got files"
    assert "crewai/latest_kickoff_task_outputs.db" in _files(data_dir)


def test_a_user_may_turn_the_switches_on(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, crewai_data_dir: Path
) -> None:
    """Variables already set are kept (setdefault); the storage directory is always ours."""
    monkeypatch.setenv("CREWAI_TRACING_ENABLED", "true")
    monkeypatch.setenv("CREWAI_STORAGE_DIR", "elsewhere")
    try:
        configure_crewai(data_dir=tmp_path)
        assert os.environ["CREWAI_TRACING_ENABLED"] == "true"
        assert os.environ["CREWAI_STORAGE_DIR"] == str(tmp_path.resolve() / "crewai")
    finally:
        configure_crewai(data_dir=crewai_data_dir)


def test_storage_dir_is_what_crewai_uses(tmp_path: Path, crewai_data_dir: Path) -> None:
    """CrewAI's own db_storage_path() resolves to <data_dir>/crewai (absolute path honoured)."""
    from crewai_core.paths import db_storage_path

    try:
        configure_crewai(data_dir=tmp_path)
        assert db_storage_path() == str(tmp_path.resolve() / "crewai")
    finally:
        configure_crewai(data_dir=crewai_data_dir)
